import { mkdtempSync, readFileSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildClaudeArgs, formatUsd, rootBypassCheck, writeMcpConfig } from '../../src/agent/args.js';
import type { Config } from '../../src/config/types.js';

function agent(over: Partial<Config['agent']> = {}): Config['agent'] {
  return {
    command: 'claude', max_concurrent: 1, max_attempts: 3, models: ['sonnet'], max_turns: 60,
    permission_mode: 'bypassPermissions', allowed_tools: [], disallowed_tools: [], mcp_servers: {},
    append_system_prompt: '', env: {}, timeout: 3_600_000, stall_timeout: 600_000, fast_fail: 10_000,
    retry_backoff: 30_000, max_retry_backoff: 1_800_000, max_cost_usd: null,
    account: null, lanes: { urgent: { labels: [] }, background: { labels: [], hours: null, max_concurrent: null } }, pacing: { reserve: null }, ...over,
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
  it('adds IS_SANDBOX=1 for root with a bypass mode', () => {
    expect(rootBypassCheck('bypassPermissions', true, {})).toEqual({ IS_SANDBOX: '1' });
    expect(rootBypassCheck('dangerously-skip-permissions', true, {})).toEqual({ IS_SANDBOX: '1' });
  });
  it('adds nothing when not root, not bypassing, or already set', () => {
    expect(rootBypassCheck('bypassPermissions', false, {})).toEqual({});
    expect(rootBypassCheck('acceptEdits', true, {})).toEqual({});
    expect(rootBypassCheck('bypassPermissions', true, { IS_SANDBOX: '1' })).toEqual({});
  });
  it('refuses to override an explicit IS_SANDBOX value', () => {
    const r = rootBypassCheck('bypassPermissions', true, { IS_SANDBOX: '0' });
    expect(typeof r).toBe('string');
    expect(r).toMatch(/IS_SANDBOX/);
  });
});
