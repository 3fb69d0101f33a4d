// The daemon's report (.swarm/daemon.json) as the commands read it, in process against a real git
// repository: a control command finds the running daemon's socket there (control.json is gone), and a
// report left by a dead daemon — or written by another pid than the lock's live holder — is ignored.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { githubWorld, teardown, type Project } from '../helpers/daemon.js';
import { controlCommand } from '../../src/commands/control.js';
import { statusCommand } from '../../src/commands/status.js';
import { createApiServer, closeServer } from '../../src/server/http.js';
import type { DaemonHandle } from '../../src/server/api.js';
import { captureIO } from '../helpers/io.js';

let gh: FakeGitHub;
let project: Project;
let sleeper: ChildProcess;

beforeAll(async () => {
  ({ project, gh } = await githubWorld());
  // A live process standing in for the daemon: the lock names it, so it is the lock's live holder.
  sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
});
afterAll(async () => {
  sleeper.kill('SIGKILL');
  await teardown(null, gh, project);
});

const io = () => captureIO(project);

const lockFile = () => path.join(project.swarmDir, 'daemon.lock');
const reportFile = () => path.join(project.swarmDir, 'daemon.json');
const now = new Date().toISOString();

function writeLock(pid: number): void {
  fs.mkdirSync(project.swarmDir, { recursive: true });
  fs.writeFileSync(lockFile(), JSON.stringify({ pid, pid_start: null, started_at: now, heartbeat_at: now, workflow: 'WORKFLOW.md' }));
}

function writeReport(pid: number, socket: string | null, extra: Record<string, unknown> = {}): void {
  const config = { max_attempts: 3, max_concurrent: 7, models: ['claude-sonnet-4-5'], max_followups: 3, sandbox: 'on', poll_interval_ms: 1000 };
  fs.writeFileSync(reportFile(), JSON.stringify({
    version: 1, pid, at: now, started_at: now, draining: false, workflow: 'WORKFLOW.md', socket, url: null, config,
    config_error: null, tracker_error: null, notes: [], webhooks: null, fleet: null, account: null, queue: null, ...extra,
  }));
}

/** A process that has exited: its pid is free (or reused by something that is not swarm). */
async function deadPid(): Promise<number> {
  const p = spawn('true', [], { stdio: 'ignore' });
  await new Promise((r) => p.once('exit', r));
  return p.pid!;
}

describe('daemon.json', () => {
  it('a control command finds the running daemon through its report, not a default path or control.json', async () => {
    // The socket is somewhere no default would look: only the report says where.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-report-'));
    const socket = path.join(dir, 'elsewhere.sock');
    const calls: (number | null)[] = [];
    const handle = { pause: async (untilMs: number | null) => (calls.push(untilMs), { ok: true, message: 'paused by the daemon that reported this socket' }) } as unknown as DaemonHandle;
    const server = createApiServer(handle, null);
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      writeLock(sleeper.pid!);
      writeReport(sleeper.pid!, socket);
      const x = io();
      expect(await controlCommand({ kind: 'pause', untilMs: null }, x)).toBe(0);
      expect(x.out()).toBe('paused by the daemon that reported this socket\n');
      expect(calls).toEqual([null]);
      expect(fs.existsSync(path.join(project.swarmDir, 'control.json'))).toBe(false);
      // A report by another pid than the lock's holder does not count: no socket is taken from it.
      writeReport(await deadPid(), socket);
      const y = io();
      await expect(controlCommand({ kind: 'pause', untilMs: null }, y)).rejects.toThrow(/runs but does not answer on its control socket/);
      expect(calls).toEqual([null]);
    } finally {
      await closeServer(server);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(lockFile(), { force: true });
    }
  }, 30_000);

  it('a stale report of a dead daemon is ignored: status shows no daemon view (only the configuration it ran with), a control edits state.json', async () => {
    const dead = await deadPid();
    writeLock(dead);
    writeReport(dead, path.join(project.swarmDir, 'nowhere.sock'), { config_error: 'WORKFLOW.md: stale error', notes: ['stale note'], draining: true });
    const s = io();
    expect(await statusCommand({ json: true }, s)).toBe(0);
    const snap = JSON.parse(s.out());
    // Its errors, notes and draining are not shown; the configuration it ran with still counts (as before
    // the report existed, when state.json kept it): "Running (0 of 7)", attempts against its max_attempts.
    expect(snap.daemon).toMatchObject({ running: false, config_error: null, warnings: [], draining: false, max_concurrent: 7 });
    const x = io();
    expect(await controlCommand({ kind: 'pause', untilMs: null }, x)).toBe(0);
    expect(x.out()).toMatch(/no daemon running: state\.json updated/);
    expect(JSON.parse(fs.readFileSync(path.join(project.swarmDir, 'state.json'), 'utf8')).pause).toMatchObject({ kind: 'operator' });
  }, 30_000);
});
