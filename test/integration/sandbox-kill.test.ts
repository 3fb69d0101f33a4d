// Killing a sandboxed agent leaves nothing behind. The runner signals the agent's process group (the shell
// and bubblewrap); everything inside the sandbox — children that ignore TERM, started their own session
// (setsid), or double-forked away — lives in bubblewrap's PID namespace and dies with it. Checked for every
// way swarm stops an agent: wall clock, stall, cancel, shutdown; every process carrying the run's marker
// is looked for afterwards, bubblewrap and the sandbox's socat helpers included.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentSandbox, type AttemptScope } from '../../src/agent/sandbox.js';
import { runAgent } from '../../src/agent/runner.js';
import { isGroupAlive } from '../../src/agent/procs.js';
import type { KillReason } from '../../src/agent/types.js';
import { processesMentioning, waitFor } from '../helpers/daemon.js';

let sandbox: AgentSandbox;
let base: string;

// Children that try every way to outlive their parent, then a line of output and silence.
const STUBBORN = `
trap '' TERM
(setsid sleep 1000 &)
( (sleep 1000 &) & )
nohup sleep 1000 >/dev/null 2>&1 &
sleep 1000 &
echo '{"type":"system","subtype":"init"}'
exec sleep 1000
`;

beforeAll(async () => {
  sandbox = await AgentSandbox.start(['api.anthropic.com:443']);
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-sbkill-')));
});

afterAll(async () => {
  await sandbox?.close();
  fs.rmSync(base, { recursive: true, force: true });
});

function scope(name: string): AttemptScope {
  const repo = path.join(base, name);
  const wt = path.join(repo, '.swarm', 'worktrees', 'w');
  fs.mkdirSync(wt, { recursive: true });
  return {
    repoDir: repo, commonDir: path.join(repo, '.git'), swarmDir: path.join(repo, '.swarm'), workspaceRoot: path.join(repo, '.swarm', 'worktrees'),
    workflowPath: path.join(repo, 'WORKFLOW.md'), worktree: wt, worktreeGitDir: path.join(repo, '.git', 'worktrees', 'w'), branch: 'swarm/1-x',
    privateDir: path.join(repo, '.swarm', 'agents', '1'), extra: { allow_write: [], allow_read: [] },
  };
}

describe('a sandboxed agent killed by swarm leaves no survivors', () => {
  it.each<[KillReason, { timeoutMs?: number; stallTimeoutMs?: number; abort?: KillReason }]>([
    ['timeout', { timeoutMs: 1500 }],
    ['stall', { stallTimeoutMs: 1500 }],
    ['cancel', { abort: 'cancel' }],
    ['shutdown', { abort: 'shutdown' }],
  ])('%s', async (reason, how) => {
    const marker = `SWARM_KILL_${reason}_${randomBytes(6).toString('hex')}`;
    const s = scope(reason);
    const spec = await sandbox.sandboxed({ command: '/bin/sh', args: ['-c', STUBBORN], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: base, [marker]: '1' }, cwd: s.worktree }, s);
    const ac = new AbortController();
    let pid = 0;
    const run = runAgent({
      ...spec, prompt: '', runFile: path.join(base, `${reason}.jsonl`), timeoutMs: how.timeoutMs ?? 60_000, stallTimeoutMs: how.stallTimeoutMs ?? 60_000,
      killGraceMs: 1000, signal: ac.signal, onSpawn: (p) => (pid = p),
      onEvent: () => {
        if (how.abort) setTimeout(() => ac.abort(how.abort), 300);
      },
    });
    // Everything is up inside the sandbox before the kill: five sleeps carry the marker.
    await waitFor(() => processesMentioning(marker).length >= 5, { timeoutMs: 10_000, what: 'the stubborn children' });
    const res = await run;
    spec.release();
    expect(res.killedFor).toBe(reason);
    expect(isGroupAlive(pid)).toBe(false);
    await waitFor(() => processesMentioning(marker).length === 0, { timeoutMs: 5_000, what: `no process left with ${marker}` });
    expect(fs.existsSync(s.privateDir)).toBe(false);
  }, 30_000);
});
