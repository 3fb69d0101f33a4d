import { mkdtempSync, readFileSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildClaudeArgs, formatUsd, rootBypassCheck, writeMcpConfig } from '../../src/agent/args.js';
import { resumeFailed } from '../../src/agent/resume.js';
import { StreamParser } from '../../src/agent/stream.js';
import type { RunResult } from '../../src/agent/types.js';
import type { Config } from '../../src/config/types.js';

function agent(over: Partial<Config['agent']> = {}): Config['agent'] {
  return {
    command: 'claude', max_concurrent: 1, max_attempts: 3, models: ['sonnet'], max_turns: 60,
    permission_mode: 'bypassPermissions', allowed_tools: [], disallowed_tools: [], mcp_servers: {},
    append_system_prompt: '', env: {}, timeout: 3_600_000, stall_timeout: 600_000, fast_fail: 10_000,
    retry_backoff: 30_000, max_retry_backoff: 1_800_000, max_cost_usd: null, use_extra_usage: true, transcript_max: 200 * 1024 * 1024,
    account: null, lanes: { urgent: { labels: [] }, background: { labels: [], hours: null, max_concurrent: null } }, pacing: { reserve: null },
    sandbox: { enabled: true, network: { allow: [] }, filesystem: { allow_write: [], allow_read: [] } }, ...over,
  };
}
const base = { model: 'sonnet', mcpConfigPath: null, maxBudgetUsd: null };

describe('buildClaudeArgs', () => {
  it('builds the fixed headless flags and nothing else by default', () => {
    expect(buildClaudeArgs(agent(), base)).toEqual([
      '-p', '--output-format', 'stream-json', '--verbose', '--model', 'sonnet', '--max-turns', '60',
      '--permission-mode', 'bypassPermissions',
    ]);
  });

  it('puts the variadic tool lists after every fixed flag, each ended by the next flag', () => {
    const args = buildClaudeArgs(agent({ allowed_tools: ['Bash(npm test)', 'Edit'], disallowed_tools: ['WebFetch'],
      append_system_prompt: 'Be brief.' }), { ...base, mcpConfigPath: '/tmp/m.json', maxBudgetUsd: 2, sessionId: 'u-1' });
    const a = args.indexOf('--allowedTools');
    expect(args.slice(a)).toEqual(['--allowedTools', 'Bash(npm test)', 'Edit', '--disallowedTools', 'WebFetch']);
    for (const f of ['--model', '--max-turns', '--permission-mode', '--append-system-prompt', '--max-budget-usd', '--session-id']) {
      expect(args.indexOf(f)).toBeGreaterThan(-1);
      expect(args.indexOf(f)).toBeLessThan(a);
    }
    const m = args.indexOf('--mcp-config');
    expect(args.slice(m, m + 3)).toEqual(['--mcp-config', '/tmp/m.json', '--strict-mcp-config']);
    expect(args[args.indexOf('--append-system-prompt') + 1]).toBe('Be brief.');
    expect(args[args.indexOf('--session-id') + 1]).toBe('u-1');
    expect(args[args.length - 1]).toBe('WebFetch');
  });

  it('omits optional flags when their values are empty', () => {
    const args = buildClaudeArgs(agent({ append_system_prompt: '   ' }), base);
    for (const f of ['--append-system-prompt', '--max-budget-usd', '--session-id', '--mcp-config', '--strict-mcp-config',
      '--allowedTools', '--disallowedTools']) expect(args).not.toContain(f);
  });

  it('formats the budget with at most 4 decimals', () => {
    const budget = (x: number) => { const a = buildClaudeArgs(agent(), { ...base, maxBudgetUsd: x }); return a[a.indexOf('--max-budget-usd') + 1]; };
    expect(budget(1.5)).toBe('1.5');
    expect(budget(0.123456)).toBe('0.1235');
    expect(budget(10)).toBe('10');
    expect(budget(0)).toBe('0');
    expect(formatUsd(-3)).toBe('0');
    expect(formatUsd(1e-7)).toBe('0');
  });

  it('never contains the prompt: there is no positional argument', () => {
    const args = buildClaudeArgs(agent({ max_turns: 5 }), { ...base, model: 'opus' });
    const flagsWithValue = new Set(['--output-format', '--model', '--max-turns', '--permission-mode']);
    args.forEach((a, i) => {
      if (!a.startsWith('-')) expect(flagsWithValue.has(args[i - 1]!)).toBe(true);
    });
  });

  it('maps permission_mode dangerously-skip-permissions to its own flag', () => {
    const args = buildClaudeArgs(agent({ permission_mode: 'dangerously-skip-permissions' }), base);
    expect(args).toContain('--dangerously-skip-permissions');
    expect(args).not.toContain('--permission-mode');
  });
});

describe('buildClaudeArgs --resume', () => {
  const SESSION = '11111111-2222-4333-8444-555555555555';

  it('resumes the given session, before the variadic flags', () => {
    const args = buildClaudeArgs(agent({ allowed_tools: ['Edit'] }), { ...base, resume: SESSION });
    const r = args.indexOf('--resume');
    expect(args.slice(r, r + 2)).toEqual(['--resume', SESSION]);
    expect(r).toBeLessThan(args.indexOf('--allowedTools'));
    expect(args).not.toContain('--fork-session');
    expect(args).not.toContain('--session-id');
  });

  it('with a new session id too: --fork-session, because the CLI refuses --session-id with --resume alone', () => {
    const args = buildClaudeArgs(agent(), { ...base, resume: SESSION, sessionId: 'u-2' });
    expect(args.slice(args.indexOf('--resume'))).toEqual(['--resume', SESSION, '--fork-session', '--session-id', 'u-2']);
  });

  it('an empty resume id is no resume', () => {
    expect(buildClaudeArgs(agent(), { ...base, resume: '' })).toEqual(buildClaudeArgs(agent(), base));
  });
});

describe('resumeFailed', () => {
  const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'claude');
  const runOf = (stdout: string, over: Partial<RunResult> = {}): RunResult => {
    const parser = new StreamParser();
    parser.push(Buffer.from(stdout));
    parser.end();
    return { exitCode: 1, signal: null, killedFor: null, durationMs: 700, summary: parser.summary, stderrTail: '', spawnError: null, held: null, ...over };
  };
  const fixture = (name: string, over: Partial<RunResult> = {}) => {
    const err = join(fixtures, `${name}.stderr.txt`);
    return runOf(readFileSync(join(fixtures, `${name}.stdout.jsonl`), 'utf8'), { stderrTail: existsSync(err) ? readFileSync(err, 'utf8') : '', ...over });
  };
  const line = (o: Record<string, unknown>) => `${JSON.stringify(o)}\n`;
  const result = (o: Record<string, unknown>) => line({ type: 'result', subtype: 'error_during_execution', is_error: true, num_turns: 0, session_id: 's', errors: [], ...o });

  it('is true for the real CLI’s answer to an unknown session id (recorded from Claude Code 2.1.328)', () => {
    const run = fixture('bad-resume');
    expect(run.summary.result?.errors[0]).toMatch(/^No conversation found with session ID: 99999999-/);
    expect(resumeFailed(run)).toBe(true);
    expect(resumeFailed({ ...run, stderrTail: '' })).toBe(true); // the result line alone says it
    expect(resumeFailed(runOf('', { stderrTail: 'No conversation found with session ID: x\n' }))).toBe(true); // stderr alone
  });

  it('is true for an id that is neither a UUID nor a session title', () => {
    const err = 'Error: --resume requires a valid session ID or session title when used with --print. Usage: claude -p --resume <session-id|title>.';
    expect(resumeFailed(runOf(result({ errors: [err] }), { stderrTail: `${err}\n` }))).toBe(true);
  });

  it('is false for every other recorded run: real failures stay failures', () => {
    for (const name of ['ok', 'max-turns', 'budget', 'e401', 'e500', 'unknown-flag', 'tool-commit']) expect(resumeFailed(fixture(name))).toBe(false);
  });

  it('never believes the phrase once the model took a turn, or from a run that was killed or never started', () => {
    const said = line({ type: 'assistant', message: { id: 'm1', model: 'claude-sonnet-4', content: [{ type: 'text', text: 'No conversation found with session ID: 1' }] } }) +
      result({ errors: ['No conversation found with session ID: 1'] });
    expect(runOf(said).summary.sawModelTurn).toBe(true);
    expect(resumeFailed(runOf(said))).toBe(false);
    const bad = readFileSync(join(fixtures, 'bad-resume.stdout.jsonl'), 'utf8');
    expect(resumeFailed(runOf(bad, { killedFor: 'timeout' }))).toBe(false);
    expect(resumeFailed(runOf('', { spawnError: 'ENOENT', stderrTail: 'No conversation found with session ID: x' }))).toBe(false);
    expect(resumeFailed(runOf(result({ subtype: 'error_max_turns', errors: ['No conversation found with session ID: x'] })))).toBe(false);
    expect(resumeFailed(runOf(result({ errors: ['something else broke'] })))).toBe(false);
  });
});

describe('writeMcpConfig', () => {
  it('returns null and writes nothing without servers', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'mcp-')), 'sub');
    expect(writeMcpConfig(dir, {})).toBeNull();
    expect(existsSync(dir)).toBe(false);
  });

  it('writes {"mcpServers": …} readable only by the owner', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'mcp-')), 'sub');
    const servers = { gh: { command: 'npx', args: ['-y', 'server'], env: { TOKEN: 's3cret' } } };
    const path = writeMcpConfig(dir, servers)!;
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ mcpServers: servers });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // rewriting keeps working (atomic replace)
    expect(writeMcpConfig(dir, { other: { command: 'x', args: [], env: {} } })).toBe(path);
    expect(Object.keys(JSON.parse(readFileSync(path, 'utf8')).mcpServers)).toEqual(['other']);
  });
});

describe('rootBypassCheck', () => {
  it('adds IS_SANDBOX=1 for root with a bypass mode inside swarm\'s own sandbox', () => {
    expect(rootBypassCheck('bypassPermissions', true, {}, true)).toEqual({ IS_SANDBOX: '1' });
    expect(rootBypassCheck('dangerously-skip-permissions', true, {}, true)).toEqual({ IS_SANDBOX: '1' });
  });
  it('adds nothing when not root, not bypassing, or set explicitly in agent.env', () => {
    expect(rootBypassCheck('bypassPermissions', false, {}, false)).toEqual({});
    expect(rootBypassCheck('acceptEdits', true, {}, false)).toEqual({});
    expect(rootBypassCheck('bypassPermissions', true, { IS_SANDBOX: '1' }, false)).toEqual({});
    expect(rootBypassCheck('bypassPermissions', true, { IS_SANDBOX: '1' }, true)).toEqual({});
  });
  it('refuses root + bypass unconfined unless agent.env says IS_SANDBOX: "1", naming the fixes', () => {
    const r = rootBypassCheck('bypassPermissions', true, {}, false);
    expect(typeof r).toBe('string');
    expect(r).toMatch(/agent\.sandbox is off/);
    expect(r).toMatch(/IS_SANDBOX: "1" in agent\.env/);
    expect(r).toMatch(/non-root user/);
  });
  it('refuses to override an explicit IS_SANDBOX value', () => {
    for (const sandboxed of [true, false]) {
      const r = rootBypassCheck('bypassPermissions', true, { IS_SANDBOX: '0' }, sandboxed);
      expect(typeof r).toBe('string');
      expect(r).toMatch(/IS_SANDBOX/);
    }
  });
});
