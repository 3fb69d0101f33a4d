// The agent's supervisor (src/agent/supervisor.ts and bin/swarm-supervisor.pl, one protocol: lifeline.ts)
// with real processes, each implementation the same way: a stand-in daemon
// (a node process running the real runner) starts a shell "agent" with a tool grandchild under the
// supervisor; then the daemon is killed -9 or frozen with SIGSTOP, and the agent's whole group must be gone
// within the grace. While the daemon lives, the supervisor is invisible: the agent's exit code, signal,
// output and spawn errors reach the runner as they would without it, and the lifeline never leaks into the agent.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAgent } from '../../src/agent/runner.js';
import { groupHasLiveMember } from '../../src/agent/procs.js';
import { SUPERVISOR, SUPERVISOR_PL, lifelineFor, superviseSpec, supervisorProgram } from '../../src/agent/lifeline.js';
import type { Lifeline } from '../../src/agent/types.js';
import { isAlive, waitFor } from '../helpers/daemon.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-supervisor-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const PERL = supervisorProgram(process.env);
const PROGRAMS: [string, string[]][] = [['node', [process.execPath, SUPERVISOR]], ['perl', PERL]];
const RUNNER = path.resolve(path.dirname(SUPERVISOR), 'runner.js');

function base(lifeline: Lifeline, command: string, args: string[], extra: Record<string, unknown> = {}) {
  return { command, args, cwd: tmp, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, prompt: 'the prompt', runFile: path.join(tmp, `run-${Math.random()}.jsonl`), timeoutMs: 60_000, stallTimeoutMs: 60_000, lifeline, ...extra };
}


/**
 * A stand-in daemon: a node process that runs a long agent (sleep + a tool grandchild) under the supervisor.
 * It writes the agent's pid whole (temp + rename): a fresh-clone run read the file between its creation and
 * its write once (empty JSON).
 */
async function daemonWithAgent(LIFELINE: Lifeline): Promise<{ daemon: number; group: number; tool: number }> {
  const info = path.join(tmp, `daemon-${Math.random()}.json`);
  const script = path.join(tmp, 'daemon.mjs');
  fs.writeFileSync(script, [
    "import { renameSync, writeFileSync } from 'node:fs';",
    `import { runAgent } from ${JSON.stringify(RUNNER)};`,
    'const [info, lifeline] = [process.argv[2], JSON.parse(process.argv[3])];',
    "await runAgent({ command: 'sh', args: ['-c', 'sleep 600 & echo $! > \"$1.tool\"; wait', 'sh', info], cwd: process.cwd(), env: { PATH: process.env.PATH },",
    "  prompt: '', runFile: info + '.run', timeoutMs: 600000, stallTimeoutMs: 600000, lifeline, onSpawn: (pid) => { writeFileSync(info + '.tmp', JSON.stringify({ group: pid })); renameSync(info + '.tmp', info); } });",
  ].join('\n'));
  const child = spawn(process.execPath, [script, info, JSON.stringify(LIFELINE)], { cwd: tmp, stdio: 'ignore', detached: true });
  const group = await waitFor(() => (fs.existsSync(info) ? (JSON.parse(fs.readFileSync(info, 'utf8')) as { group: number }).group : null), { what: 'the agent started' });
  const tool = await waitFor(() => (fs.existsSync(`${info}.tool`) ? Number(fs.readFileSync(`${info}.tool`, 'utf8').trim()) || null : null), { what: 'the tool grandchild started' });
  return { daemon: child.pid!, group, tool };
}

describe('the agent supervisor as a spawn-spec transform', () => {
  it('is a spawn-spec transform: node runs the supervisor with the grace periods, then the agent command; env and cwd are the agent\'s', () => {
    const spec = { command: '/usr/bin/claude', args: ['-p', '--model', 'x'], env: { A: '1' }, cwd: '/w' };
    const l = { graceMs: 1_500, killGraceMs: 1_000, beatMs: 300 };
    expect(superviseSpec(spec, l, '/node')).toEqual({ command: '/node', args: [SUPERVISOR, '--grace=1500', '--kill-grace=1000', '--', '/usr/bin/claude', '-p', '--model', 'x'], env: { A: '1' }, cwd: '/w' });
    expect(superviseSpec(spec, { ...l, program: ['/usr/bin/perl', SUPERVISOR_PL] })).toMatchObject({ command: '/usr/bin/perl', args: [SUPERVISOR_PL, '--grace=1500', '--kill-grace=1000', '--', '/usr/bin/claude', '-p', '--model', 'x'] });
    // This machine has a perl that runs the light supervisor (CI installs Debian's perl; without one, node runs it).
    expect(PERL[1], 'a perl able to run bin/swarm-supervisor.pl on PATH').toBe(SUPERVISOR_PL);
    expect(supervisorProgram({ PATH: '/nonexistent' }, '/node')).toEqual(['/node', SUPERVISOR]);
    // In fleet mode the agent is gone (grace + kill grace) well before the lease may pass to another daemon.
    for (const ttl of [5_000, 6_000, 30_000, 120_000, 3_600_000]) {
      const l = lifelineFor(ttl);
      expect(l.graceMs + l.killGraceMs, `ttl ${ttl}`).toBeLessThanOrEqual((ttl * 2) / 3);
      expect(l.beatMs * 4).toBeLessThanOrEqual(l.graceMs);
    }
    expect(lifelineFor(null)).toEqual({ graceMs: 30_000, killGraceMs: 10_000, beatMs: 1_000 });
  });
});

describe.each(PROGRAMS)('the agent supervisor in %s', (_name, program) => {
  const LIFELINE: Lifeline = { program, graceMs: 1_500, killGraceMs: 1_000, beatMs: 300 };

  it('is invisible while the daemon lives: output, exit code, signal and spawn errors come through; the agent never holds the lifeline', async () => {
    const out = await runAgent(base(LIFELINE, 'sh', ['-c', 'echo \'{"type":"system","subtype":"init","session_id":"s","model":"m"}\'; readlink /proc/self/fd/3 > fd3.txt; read p; echo "$p" > prompt.txt; exit 3']));
    expect(out.exitCode).toBe(3);
    expect(out.summary.sessionId).toBe('s');
    expect(fs.readFileSync(path.join(tmp, 'fd3.txt'), 'utf8').trim()).toBe('/dev/null');
    expect(fs.readFileSync(path.join(tmp, 'prompt.txt'), 'utf8').trim()).toBe('the prompt');
    const killed = await runAgent(base(LIFELINE, 'sh', ['-c', 'kill -TERM $$']));
    expect(killed).toMatchObject({ exitCode: null, signal: 'SIGTERM', killedFor: null });
    const missing = await runAgent(base(LIFELINE, '/nonexistent/claude', []));
    expect(missing.spawnError).toBe('command not found: /nonexistent/claude (ENOENT)');
    // The runner's own stop (a cancel) reaches the agent through the group; the supervisor ends as it ends.
    const ac = new AbortController();
    setTimeout(() => ac.abort('cancel'), 300);
    const cancelled = await runAgent(base(LIFELINE, 'sh', ['-c', 'sleep 30'], { signal: ac.signal, killGraceMs: 2000 }));
    expect(cancelled).toMatchObject({ killedFor: 'cancel', signal: 'SIGTERM' });
  });

  it('kill -9 of the daemon: the agent and its tool grandchild are gone at once (within the kill grace)', async () => {
    const { daemon, group, tool } = await daemonWithAgent(LIFELINE);
    expect(groupHasLiveMember(group)).toBe(true);
    process.kill(daemon, 'SIGKILL');
    const t0 = Date.now();
    await waitFor(() => !groupHasLiveMember(group), { timeoutMs: LIFELINE.killGraceMs + 1_000, intervalMs: 10, what: 'the agent group gone' });
    expect(isAlive(tool)).toBe(false);
    console.log(`daemon kill -9 → agent group gone in ${Date.now() - t0} ms`);
  });

  it('a frozen daemon (SIGSTOP): the agent lives through short silences and is stopped once the grace has passed', async () => {
    const { daemon, group } = await daemonWithAgent(LIFELINE);
    try {
      process.kill(daemon, 'SIGSTOP');
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, LIFELINE.graceMs - 600));
      expect(groupHasLiveMember(group), 'alive before the grace ran out').toBe(true);
      await waitFor(() => !groupHasLiveMember(group), { timeoutMs: LIFELINE.graceMs + LIFELINE.killGraceMs + 1_000, intervalMs: 10, what: 'the agent group stopped' });
      const took = Date.now() - t0;
      expect(took).toBeGreaterThanOrEqual(LIFELINE.graceMs - 100);
      console.log(`daemon frozen → agent group gone after ${took} ms (grace ${LIFELINE.graceMs} ms)`);
    } finally {
      process.kill(daemon, 'SIGKILL');
      process.kill(daemon, 'SIGCONT');
    }
  });
});
