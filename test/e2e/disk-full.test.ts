// Issue #23 acceptance 2: the daemon runs under a file-size limit (`ulimit -f`, RLIMIT_FSIZE: writes past it
// are cut short, then fail with EFBIG, exactly as on a filling disk) that the grown state no longer fits.
// state.json still parses and holds the previous state, events.jsonl holds no torn line, `swarm status`
// (asking the daemon) shows "disk full" and nothing is dispatched; once the limit is raised on the running
// daemon (prlimit) dispatch resumes by itself, and nothing was counted twice.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BIN, killLeftovers, makeProject, runCli, waitFor, type Project } from '../helpers/daemon.js';

let project: Project;
let daemon: ChildProcess | null = null;
let out = '';
const LIMIT_KB = 256;

beforeAll(async () => {
  project = await makeProject();
});
afterAll(async () => {
  if (daemon && daemon.exitCode === null) {
    daemon.kill('SIGTERM');
    setTimeout(() => daemon?.kill('SIGTERM'), 500).unref();
    await new Promise((r) => daemon!.once('exit', r));
  }
  killLeftovers(project.base);
  project.cleanup();
});

const stateOnDisk = () => JSON.parse(fs.readFileSync(path.join(project.swarmDir, 'state.json'), 'utf8'));

it('a state that no longer fits: the old state.json kept, status says disk full, dispatch waits and resumes once there is room, nothing counted twice', async () => {
  project.writeWorkflow({ agent: { max_concurrent: 2 } });
  project.setScenarios({ default: ['commit_only'] });
  const dir = path.join(project.dir, '.swarm', 'tickets');
  fs.mkdirSync(dir, { recursive: true });
  // Two tickets with 150 KB titles: the state (and the events log) holds one of them, not both.
  for (const k of ['h1', 'h2']) fs.writeFileSync(path.join(dir, `${k}.md`), `---\n${JSON.stringify({ title: `${k} ${'t'.repeat(150 * 1024)}`, labels: ['agent'], priority: k === 'h1' ? 'P0' : 'P3' })}\n---\nDo it.\n`);

  daemon = spawn('bash', ['-c', `ulimit -S -f ${LIMIT_KB} && exec "${process.execPath}" "${BIN}" start`], { cwd: project.dir, env: project.env, stdio: ['ignore', 'pipe', 'pipe'] });
  daemon.stdout!.on('data', (d) => (out += d));
  daemon.stderr!.on('data', (d) => (out += d));
  await waitFor(() => /disk full/.test(out) || daemon!.exitCode !== null, { timeoutMs: 60_000, what: 'the disk-full pause' });
  expect(daemon.exitCode, out).toBeNull();

  // The file on disk: whole, valid, the state before the write that did not fit (h1 claimed, h2 not).
  const kept = stateOnDisk();
  expect(Object.keys(kept.tickets)).toEqual(['h1']);
  expect(fs.readdirSync(project.swarmDir).filter((f) => f.startsWith('state.json.'))).toEqual([]);
  const events = fs.readFileSync(path.join(project.swarmDir, 'events.jsonl'), 'utf8');
  expect(events.endsWith('\n')).toBe(true);
  for (const l of events.split('\n').filter(Boolean)) JSON.parse(l); // no torn line

  // The daemon says so (it cannot write it down), and starts nothing meanwhile.
  const status = await runCli(project, ['status']);
  expect(status.stdout).toMatch(/PAUSED \(disk full\) until there is room to write again/);
  const snap = JSON.parse((await runCli(project, ['status', '--json'])).stdout);
  expect(snap.pause).toMatchObject({ kind: 'disk_full', until: null });
  expect(snap.pause.reason).toMatch(/EFBIG/);
  const explain = await runCli(project, ['explain', 'h2']);
  expect(explain.stdout).toMatch(/Next: waits for disk space/);
  await new Promise((r) => setTimeout(r, 2500)); // a couple of polls
  expect(project.claudeCalls()).toHaveLength(0);

  // Room again: raise the limit on the running daemon.
  execFileSync('prlimit', ['--pid', String(daemon.pid), `--fsize=unlimited`]);
  await waitFor(() => {
    const s = stateOnDisk();
    return ['h1', 'h2'].every((k) => s.tickets[k]?.status === 'review');
  }, { timeoutMs: 60_000, what: 'both tickets handed off after the disk recovered' });

  const s = stateOnDisk();
  for (const k of ['h1', 'h2']) expect(s.tickets[k].attempts.map((a: any) => a.outcome), k).toEqual(['pr_auto_opened']);
  expect(s.daily.attempts).toEqual({ pr_auto_opened: 2 });
  expect(s).not.toHaveProperty('daemon'); // the disk-full pause was the ledger's, in memory: never written into state.json
  const calls = project.claudeCalls().map((c) => c.env.SWARM_TICKET_ID).sort();
  expect(calls).toEqual(['h1', 'h2']);
  const evs = project.events();
  expect(evs.filter((e) => e.type === 'disk_full')).toHaveLength(1);
  expect(evs.filter((e) => e.type === 'disk_recovered')).toHaveLength(1);
  expect(evs.filter((e) => e.type === 'finished').map((e) => e.ticket).sort()).toEqual(['h1', 'h2']);
  expect(evs.filter((e) => e.type === 'started').map((e) => e.ticket).sort()).toEqual(['h1', 'h2']);
  // The recovery came after the full disk, and the lines held in memory meanwhile were written, in order.
  const types = evs.map((e) => e.type);
  expect(types.indexOf('disk_recovered')).toBeGreaterThan(types.indexOf('disk_full'));
  expect(evs.find((e) => e.type === 'disk_recovered').unwritten).toBeGreaterThan(0);
  const status2 = await runCli(project, ['status', '--json']);
  expect(JSON.parse(status2.stdout).pause).toBeNull();
});
