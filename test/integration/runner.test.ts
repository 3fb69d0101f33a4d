// runAgent against real processes: the fake claude (test/helpers/fake-claude.mjs) and tiny inline scripts.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGroupAlive, processStartTime } from '../../src/agent/procs.js';
import { runAgent } from '../../src/agent/runner.js';
import type { RunRequest, StreamEvent } from '../../src/agent/types.js';

const FAKE = resolve(fileURLToPath(import.meta.url), '../../helpers/fake-claude.mjs');
const ARGS = ['-p', '--output-format', 'stream-json', '--verbose', '--model', 'sonnet', '--max-turns', '5'];
let dir: string;
let n = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'runner-test-'));
});
afterAll(() => {
  // nothing to clean: every test asserts its own processes are gone
});

function req(scenario: unknown, over: Partial<RunRequest> = {}): RunRequest {
  const id = ++n;
  return {
    command: FAKE,
    args: ARGS,
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      FAKE_CLAUDE_SCENARIO: JSON.stringify(scenario),
      FAKE_CLAUDE_LOG: join(dir, `log-${id}.jsonl`),
      FAKE_CLAUDE_PROMPT_DIR: join(dir, `prompts-${id}`),
      SWARM_TICKET_ID: `T-${id}`,
      SWARM_ATTEMPT: '1',
    },
    prompt: `prompt for run ${id}`,
    runFile: join(dir, 'runs', `T-${id}`, '1.jsonl'),
    timeoutMs: 60_000,
    stallTimeoutMs: 30_000,
    killGraceMs: 2_000,
    ...over,
  };
}

/** Dead, or a zombie: some containers' PID 1 never reaps orphans, and a zombie is as dead as it gets. */
function isDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

async function waitForFile(path: string): Promise<string> {
  for (let i = 0; i < 200 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 25));
  return readFileSync(path, 'utf8');
}

describe('runAgent', () => {
  it('runs a normal attempt: events parsed, run file byte-for-byte (torn last line and old content kept)', async () => {
    const recorded = join(dir, 'recorded.jsonl');
    const lines = [
      { type: 'system', subtype: 'init', session_id: 'sess-1', model: 'claude-sonnet-4-5', claude_code_version: '2.1.328' },
      { type: 'assistant', message: { id: 'm1', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'Hällo — ünïcode ✓' }] }, session_id: 'sess-1' },
      { type: 'result', subtype: 'success', is_error: false, num_turns: 1, duration_ms: 5, total_cost_usd: 0.25, session_id: 'sess-1',
        usage: { input_tokens: 10, output_tokens: 20, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 }, modelUsage: {}, result: 'ok' },
    ];
    const bytes = Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n') + '\n{"type":"assist');
    writeFileSync(recorded, bytes);
    const r0 = req([{ emitFile: recorded }]);
    const old = Buffer.from('{"earlier":"attempt output"}\n');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(resolve(r0.runFile, '..'), { recursive: true });
    writeFileSync(r0.runFile, old);

    const events: StreamEvent[] = [];
    let spawned: { pid: number; start: string | null } | null = null;
    const res = await runAgent({ ...r0, onSpawn: (pid, start) => (spawned = { pid, start }), onEvent: (ev) => events.push(ev) });

    expect(res.spawnError).toBeNull();
    expect(res.exitCode).toBe(0);
    expect(res.killedFor).toBeNull();
    expect(res.durationMs).toBeGreaterThanOrEqual(0);
    expect(spawned).not.toBeNull();
    expect(spawned!.pid).toBeGreaterThan(1);
    if (process.platform === 'linux') expect(spawned!.start).toMatch(/^\d+$/);
    expect(events.map((e) => e.type)).toEqual(['init', 'assistant', 'result']);
    expect(res.summary.sessionId).toBe('sess-1');
    expect(res.summary.result?.totalCostUsd).toBe(0.25);
    expect(res.summary.lastText).toContain('ünïcode ✓');
    expect(readFileSync(r0.runFile).equals(Buffer.concat([old, bytes]))).toBe(true);
    expect(isGroupAlive(spawned!.pid)).toBe(false);
  });

  it('kills a silent agent for stall and leaves no process in its group', async () => {
    let pid = 0;
    const res = await runAgent(req([{ init: true }, { hang: true }], { stallTimeoutMs: 1500, onSpawn: (p) => (pid = p) }));
    expect(res.killedFor).toBe('stall');
    expect(res.exitCode === null || res.exitCode === 143).toBe(true);
    expect(res.summary.sessionId).not.toBeNull(); // the init line before the stall was kept
    expect(isGroupAlive(pid)).toBe(false);
    expect(isDead(pid)).toBe(true);
  });

  it('every complete line resets the stall timer', async () => {
    const res = await runAgent(req([{ init: true }, { repeat: 15, steps: [{ sleep: 100 }, { text: 'tick' }] }, { result: true }],
      { stallTimeoutMs: 1500 }));
    expect(res.killedFor).toBeNull();
    expect(res.exitCode).toBe(0);
    expect(res.summary.lines).toBe(17);
  });

  it('kills a chatty agent at the wall clock with reason timeout', async () => {
    const res = await runAgent(req([{ init: true }, { repeat: 100000, steps: [{ text: 'busy' }, { sleep: 50 }] }],
      { timeoutMs: 700, stallTimeoutMs: 20_000 }));
    expect(res.killedFor).toBe('timeout');
  });

  it('kills the whole tree: a grandchild sleep 1000 dies with the agent', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    let pid = 0;
    const res = await runAgent(req([{ init: true }, { spawnSleep: 1000, pidFile }, { hang: true }],
      { stallTimeoutMs: 1500, onSpawn: (p) => (pid = p) }));
    expect(res.killedFor).toBe('stall');
    const sleepPid = Number(readFileSync(pidFile, 'utf8'));
    expect(sleepPid).toBeGreaterThan(1);
    expect(isDead(sleepPid)).toBe(true);
    expect(isGroupAlive(pid)).toBe(false);
  });

  it('TERM-ignoring agents are KILLed after the grace', async () => {
    // bash ignores TERM here; its sleep child keeps the group alive until SIGKILL
    const script = join(dir, 'stubborn.sh');
    writeFileSync(script, "#!/bin/bash\ntrap '' TERM\necho '{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"s\"}'\nwhile true; do sleep 0.2; done\n");
    chmodSync(script, 0o755);
    let pid = 0;
    const res = await runAgent({ ...req(null), command: script, args: [], stallTimeoutMs: 1000, killGraceMs: 300, onSpawn: (p) => (pid = p) });
    expect(res.killedFor).toBe('stall');
    expect(res.signal).toBe('SIGKILL');
    expect(isGroupAlive(pid)).toBe(false);
  });

  it('abort → cancel (or the KillReason given as signal.reason)', async () => {
    const ac = new AbortController();
    const r1 = runAgent(req([{ init: true }, { hang: true }], { signal: ac.signal, onEvent: (ev) => ev.type === 'init' && ac.abort() }));
    expect((await r1).killedFor).toBe('cancel');

    const ac2 = new AbortController();
    let pid = 0;
    const r2 = runAgent(req([{ init: true }, { apiRetry: { status: 401 } }, { hang: true }], {
      signal: ac2.signal,
      onSpawn: (p) => (pid = p),
      onEvent: (ev) => ev.type === 'api_retry' && ac2.abort('auth'),
    }));
    const res2 = await r2;
    expect(res2.killedFor).toBe('auth');
    expect(isGroupAlive(pid)).toBe(false);

    const ac3 = new AbortController();
    ac3.abort(new Error('whatever'));
    let spawned = false;
    const res3 = await runAgent(req('success', { signal: ac3.signal, onSpawn: () => (spawned = true) }));
    expect(res3.killedFor).toBe('cancel');
    expect(spawned).toBe(false);
  });

  it('reports spawn failures instead of throwing', async () => {
    const missing = await runAgent({ ...req('success'), command: join(dir, 'no-such-claude') });
    expect(missing.spawnError).toMatch(/ENOENT|not found/);
    expect(missing.exitCode).toBeNull();

    const notExec = join(dir, 'not-executable');
    writeFileSync(notExec, '#!/bin/sh\necho hi\n', { mode: 0o644 });
    chmodSync(notExec, 0o644);
    const denied = await runAgent({ ...req('success'), command: notExec });
    expect(denied.spawnError).toMatch(/EACCES|permission/);

    const noCwd = await runAgent({ ...req('success'), cwd: join(dir, 'gone') });
    expect(noCwd.spawnError).toMatch(/working directory/);
  });

  it('sends the prompt on stdin and never on argv', async () => {
    // The agent hangs after init so /proc/<pid>/cmdline is read while it certainly runs; then we cancel.
    const ac = new AbortController();
    const r = req([{ init: true }, { hang: true }], { prompt: 'SECRET-PROMPT-MARKER: fix the bug in ünïcode\n', signal: ac.signal });
    let cmdline: string | null = null;
    let pid = 0;
    const res = await runAgent({
      ...r,
      onSpawn: (p) => (pid = p),
      onEvent: (ev) => {
        if (ev.type !== 'init') return;
        try {
          cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } finally {
          ac.abort();
        }
      },
    });
    expect(res.killedFor).toBe('cancel');
    const log = JSON.parse(readFileSync(r.env.FAKE_CLAUDE_LOG!, 'utf8').trim());
    expect(log.argv).toEqual(ARGS);
    expect(log.pid).toBe(pid);
    expect(JSON.stringify(log)).not.toContain('SECRET-PROMPT-MARKER');
    expect(readFileSync(join(r.env.FAKE_CLAUDE_PROMPT_DIR!, `${r.env.SWARM_TICKET_ID}-1.txt`), 'utf8')).toBe(r.prompt);
    if (process.platform === 'linux') {
      expect(cmdline).toContain('fake-claude.mjs');
      expect(cmdline).not.toContain('SECRET-PROMPT-MARKER');
    }
  });

  it('keeps the last 4 KB of stderr', async () => {
    const big = 'x'.repeat(6000) + 'END-OF-STDERR';
    const res = await runAgent(req([{ stderr: big }, { exit: 1 }]));
    expect(res.exitCode).toBe(1);
    expect(res.stderrTail.length).toBeLessThanOrEqual(4096);
    expect(res.stderrTail.trimEnd().endsWith('END-OF-STDERR')).toBe(true);
    expect(res.summary.result).toBeNull();
  });

  it('resolves when the leader exits while a grandchild holds stdout open, and kills it', async () => {
    const pidFile = join(dir, 'holder.pid');
    let pid = 0;
    const res = await runAgent(req([{ init: true }, { spawnSleep: 1000, pidFile, holdStdout: true }, { text: 'bye' }, { result: true }, { exit: 0 }],
      { onSpawn: (p) => (pid = p) }), { pipeGraceMs: 300 });
    expect(res.exitCode).toBe(0);
    expect(res.killedFor).toBeNull();
    expect(res.summary.result?.subtype).toBe('success');
    expect(isDead(Number(await waitForFile(pidFile)))).toBe(true);
    expect(isGroupAlive(pid)).toBe(false);
  });

  it('cleans up background children left by an agent that exited normally', async () => {
    const pidFile = join(dir, 'bg.pid');
    const res = await runAgent(req([{ init: true }, { spawnSleep: 1000, pidFile }, { result: true }]));
    expect(res.exitCode).toBe(0);
    expect(res.killedFor).toBeNull();
    expect(isDead(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
  });

  it('streams a 20 MB output correctly', async () => {
    const text = 'y'.repeat(1000);
    const reps = 14_000;
    const r = req([{ init: true }, { repeat: reps, steps: [{ text }] }, { text: 'last words' }, { result: true }]);
    let count = 0;
    const res = await runAgent({ ...r, onEvent: () => count++ });
    expect(res.exitCode).toBe(0);
    expect(res.summary.lines).toBe(reps + 3);
    expect(count).toBe(reps + 3);
    expect(res.summary.bytes).toBeGreaterThan(20 * 1024 * 1024);
    expect(readFileSync(r.runFile).length).toBe(res.summary.bytes);
    expect(res.summary.lastText).toContain('last words');
    expect(res.summary.badLines).toBe(0);
  });

  it('processStartTime identifies the spawned process', async () => {
    let seen: string | null = 'unset';
    let pid = 0;
    await runAgent(req('success', { onSpawn: (p, s) => { pid = p; seen = s; } }));
    if (process.platform === 'linux') {
      expect(seen).toMatch(/^\d+$/);
      expect(processStartTime(pid)).not.toBe(seen); // gone (null) or a recycled pid with another start
    }
  });
});
