import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hookEnv, runHook, type HookVars } from '../../src/workspace/hooks.js';

const vars: HookVars = {
  ticketId: 'ENG-12',
  ticketNumber: 12,
  ticketUrl: 'https://example.invalid/issues/12',
  branch: 'swarm/12-fix-login',
  baseBranch: 'main',
  workspace: '/tmp/ws',
  attempt: 2,
  model: 'opus',
  repo: 'acme/widgets',
};

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(cond: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

describe('runHook', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-hooks-')));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const baseEnv = () => ({ PATH: process.env.PATH });

  it('passes the SWARM_* variables and runs in cwd', async () => {
    const env = { ...baseEnv(), ...hookEnv(vars) };
    const script = 'printf "%s|" "$SWARM_TICKET_ID" "$SWARM_TICKET_NUMBER" "$SWARM_TICKET_URL" "$SWARM_BRANCH" ' +
      '"$SWARM_BASE_BRANCH" "$SWARM_WORKSPACE" "$SWARM_ATTEMPT" "$SWARM_MODEL" "$SWARM_REPO"; pwd';
    const r = await runHook('after_create', script, { cwd: dir, env, timeoutMs: 10_000 });
    expect(r).toMatchObject({ ok: true, code: 0, timedOut: false });
    expect(r.output.trim()).toBe(
      `ENG-12|12|https://example.invalid/issues/12|swarm/12-fix-login|main|/tmp/ws|2|opus|acme/widgets|${dir}`,
    );
  });

  it('never executes ticket text that arrives through the environment', async () => {
    const title = '$(touch CANARY) `touch CANARY2` ; touch CANARY3 \n touch CANARY4 " \' $((1+1))';
    const env = { ...baseEnv(), ...hookEnv({ ...vars, title, ticketUrl: '$(touch CANARY5)' }) };
    const script = 'echo "title: $SWARM_TICKET_TITLE"; echo $SWARM_TICKET_TITLE; echo "$SWARM_TICKET_URL" > url.txt';
    const r = await runHook('before_run', script, { cwd: dir, env, timeoutMs: 10_000 });
    expect(r.ok).toBe(true);
    expect(r.output).toContain('title: $(touch CANARY) `touch CANARY2`');
    expect(fs.readFileSync(path.join(dir, 'url.txt'), 'utf8')).toBe('$(touch CANARY5)\n');
    const leftovers = fs.readdirSync(dir).filter((f) => f.startsWith('CANARY'));
    expect(leftovers).toEqual([]);
  });

  it('reports failure with the exit code and the tail of the output', async () => {
    const script = 'for i in $(seq 1 2000); do echo "line $i of noise"; done; echo "the real error" >&2; exit 3';
    const r = await runHook('after_create', script, { cwd: dir, env: baseEnv(), timeoutMs: 10_000 });
    expect(r).toMatchObject({ ok: false, code: 3, timedOut: false });
    expect(r.output).toContain('the real error');
    expect(r.output).not.toContain('line 1 of noise');
    expect(Buffer.byteLength(r.output)).toBeLessThanOrEqual(4096);
  });

  it('kills the whole process group on timeout, grandchildren included', async () => {
    const pidFile = path.join(dir, 'grandchild.pid');
    // The grandchild ignores SIGTERM, so only the SIGKILL escalation can end it.
    const script = `bash -c 'trap "" TERM; sleep 300 & echo $! > "${pidFile}"; wait' ; echo unreachable`;
    const r = await runHook('before_run', script, { cwd: dir, env: baseEnv(), timeoutMs: 500, killGraceMs: 200 });
    expect(r.ok).toBe(false);
    expect(r.timedOut).toBe(true);
    expect(r.output).toContain('timed out');
    expect(r.output).not.toContain('unreachable');
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    expect(pid).toBeGreaterThan(0);
    expect(await waitFor(() => !alive(pid))).toBe(true);
  });

  it('does not wait for a background process that keeps the pipes open after the script exits', async () => {
    const pidFile = path.join(dir, 'bg.pid');
    const script = `sleep 300 & echo $! > "${pidFile}"; echo done`;
    const r = await runHook('after_create', script, { cwd: dir, env: baseEnv(), timeoutMs: 30_000 });
    expect(r).toMatchObject({ ok: true, code: 0, timedOut: false });
    expect(r.output).toContain('done');
    process.kill(Number(fs.readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
  });

  it('succeeds without spawning for an empty script, and reports a missing cwd', async () => {
    expect(await runHook('after_run', '  \n', { cwd: '/nonexistent/x', env: baseEnv(), timeoutMs: 1000 })).toEqual({
      ok: true,
      code: 0,
      timedOut: false,
      output: '',
    });
    const r = await runHook('after_run', 'true', { cwd: path.join(dir, 'missing'), env: baseEnv(), timeoutMs: 5000 });
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/could not start/);
  });
});

describe('hookEnv', () => {
  it('maps the typed vars onto the SPEC §6 names and strips NUL bytes', () => {
    const env = hookEnv({ ...vars, ticketUrl: 'a\0b' });
    expect(Object.keys(env).sort()).toEqual(
      [
        'SWARM_ATTEMPT',
        'SWARM_BASE_BRANCH',
        'SWARM_BRANCH',
        'SWARM_MODEL',
        'SWARM_REPO',
        'SWARM_TICKET_ID',
        'SWARM_TICKET_NUMBER',
        'SWARM_TICKET_URL',
        'SWARM_WORKSPACE',
      ].sort(),
    );
    expect(env.SWARM_TICKET_URL).toBe('ab');
    expect(env.SWARM_ATTEMPT).toBe('2');
  });
});
