// WORKFLOW.md configuration layer: durations, schema defaults and errors, $ENV, unknown keys, the
// loader's refusal of executable front matter, reload semantics, credentials order, agent env scrubbing.
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Config } from '../../src/config/types.js';
import { parseDuration } from '../../src/config/duration.js';
import { validateConfig } from '../../src/config/schema.js';
import { loadWorkflow, parseWorkflow, reloadWorkflow, reloadWorkflowSettled } from '../../src/config/workflow.js';
import { githubHost, resolveGithubToken, resolveLinearKey } from '../../src/config/credentials.js';
import { agentEnv } from '../../src/config/env.js';
import { hookEnv } from '../../src/workspace/hooks.js';
import { ConfigError } from '../../src/errors.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/workflows');

function validate(raw: unknown, env: Record<string, string | undefined> = {}) {
  return validateConfig(raw, { file: 'WORKFLOW.md', env });
}

/** {a: {b: v}} from "a.b". */
function nested(path: string, value: unknown): Record<string, unknown> {
  const keys = path.split('.');
  let out: unknown = value;
  for (const k of keys.reverse()) out = { [k]: out };
  return out as Record<string, unknown>;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'swarm-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['1.5s', 1_500],
    ['1500', 1_500],
    [' 5M ', 300_000],
    [1500, 1_500],
    [0, 0],
  ] as const)('%j → %d ms', (input, ms) => {
    expect(parseDuration(input, 'agent.timeout')).toBe(ms);
  });

  it.each(['', 'soon', '10 minutes', '-5s', '5x', '1h-', 'h'] as const)('rejects %j naming the key', (input) => {
    const err = errorOf(() => parseDuration(input, 'agent.stall_timeout', 'repo/WORKFLOW.md'));
    expect(err.message).toContain('repo/WORKFLOW.md: agent.stall_timeout must be a duration');
    expect(err.message).toContain(JSON.stringify(input));
  });

  it('rejects negative numbers, booleans and lists', () => {
    for (const v of [-1, true, ['1s'], Number.NaN]) {
      expect(() => parseDuration(v, 'polling.interval')).toThrow(/polling\.interval must be a duration/);
    }
  });

});

describe('validateConfig defaults', () => {
  it('fills in every documented default for an empty front matter', () => {
    const expected: Config = {
      tracker: {
        kind: 'github',
        labels: ['agent'],
        exclude_labels: ['blocked'],
        api_url: null,
        repo: null,
        token: null,
        running_label: 'agent:running',
        review_label: 'agent:review',
        failed_label: 'agent:failed',
        trusted_labelers_only: true,
        throttle_writes: true,
        request_timeout: 30_000,
        allowed_authors: [],
        app_id: null,
        private_key: null,
        installation_id: null,
        token_command: null,
        claim_parents: false,
        trusted_roles: ['admin', 'member'],
      },
      polling: { interval: 30_000 },
      workspace: { root: '.swarm/worktrees', base_branch: null, branch_prefix: 'swarm/' },
      hooks: { after_create: '', before_run: '', after_run: '', before_remove: '', after_merge: '', timeout: 300_000 },
      agent: {
        command: 'claude',
        max_concurrent: 3,
        max_attempts: 3,
        models: ['sonnet', 'sonnet', 'opus'],
        max_turns: 60,
        permission_mode: 'bypassPermissions',
        allowed_tools: [],
        disallowed_tools: [],
        mcp_servers: {},
        append_system_prompt: '',
        env: {},
        timeout: 3_600_000,
        stall_timeout: 600_000,
        fast_fail: 10_000,
        retry_backoff: 30_000,
        max_retry_backoff: 1_800_000,
        max_cost_usd: null,
        transcript_max: 200 * 1024 * 1024,
        use_extra_usage: true,
        reclaim_cooldown: 3_600_000,
        account: null,
        lanes: { urgent: { labels: [] }, background: { labels: [], hours: null, max_concurrent: null } },
        pacing: { reserve: null },
        sandbox: { enabled: true, network: { allow: [] }, filesystem: { allow_write: [], allow_read: [] } },
      },
      budget: { daily_usd: null, urgent_reserve_usd: null, timezone: null },
      pr: { publish: 'swarm', auto_open: true, draft: false, watch_interval: 120_000, max_followups: 3, needs_human_label: 'agent:needs-human', log_excerpt_bytes: 4000, followup_checks: 'required', auto_merge: 'off' },
      verify: {
        checks: 'required', checks_timeout: 1_800_000, command: '', wait: 60_000, retries: 2, revert: 'pr', revert_draft: true,
        reopen_state: null, reverted_label: 'agent:reverted', max_reverts: 1, hold_while_red: 'merge',
      },
      server: { port: null, host: '127.0.0.1', tls: null, insecure: false, public_url: null },
      notify: { webhook_url: null, routes: [] },
      state: { url: null, transcript_days: 14, events_max_mb: 20, lease_ttl: 120_000 },
      webhooks: { github_secret: null, linear_secret: null, public_url: null, healthy_within: 600_000, poll_interval: 300_000 },
    };
    for (const raw of [{}, null, undefined]) {
      const res = validate(raw);
      expect(res.config).toEqual(expected);
      expect(res.warnings).toEqual([]);
      expect(res.secrets).toEqual([]);
      expect(res.agentSecrets).toEqual([]);
    }
  });

  it('treats an explicit null as "use the default"', () => {
    const { config } = validate({ agent: { max_concurrent: null, models: null }, hooks: { after_create: null } });
    expect(config.agent.max_concurrent).toBe(3);
    expect(config.agent.models).toEqual(['sonnet', 'sonnet', 'opus']);
    expect(config.hooks.after_create).toBe('');
  });

  it('reads given values, converting durations to milliseconds', () => {
    const { config } = validate({
      tracker: { kind: 'github', repo: 'octo-org/app', labels: 'bot', api_url: 'http://127.0.0.1:4000' },
      polling: { interval: '5s' },
      agent: { max_concurrent: 5, models: ['haiku'], timeout: 1000, max_cost_usd: 2.5, env: { DEBUG: 1, MODE: 'x' } },
      server: { port: 0 },
      pr: { draft: 'true' },
    });
    expect(config.tracker.repo).toBe('octo-org/app');
    expect(config.tracker.labels).toEqual(['bot']);
    expect(config.polling.interval).toBe(5_000);
    expect(config.agent.max_concurrent).toBe(5);
    expect(config.agent.timeout).toBe(1_000);
    expect(config.agent.max_cost_usd).toBe(2.5);
    expect(config.agent.env).toEqual({ DEBUG: '1', MODE: 'x' });
    expect(config.server.port).toBe(0);
    expect(config.pr.draft).toBe(true);
  });
});

describe('validateConfig errors name the key path', () => {
  // [key path, bad value, fragment of the expected "must be …"]
  const cases: [string, unknown, string][] = [
    ['tracker', 'github', 'a mapping'],
    ['tracker.kind', 'jira', 'one of github | linear | local'],
    ['tracker.repo', 'just-a-name', 'owner/name'],
    ['tracker.api_url', 'not a url', 'an http(s) URL'],
    ['tracker.team', [], 'a non-empty string or null'],
    ['tracker.token', ['x'], 'a non-empty string or null'],
    ['tracker.labels', { a: 1 }, 'a list of non-empty strings'],
    ['tracker.labels', [], 'a non-empty list'],
    ['tracker.exclude_labels', [''], 'a non-empty string'],
    ['tracker.running_label', '', 'a non-empty string'],
    ['tracker.review_label', ['x'], 'a non-empty string'],
    ['tracker.failed_label', {}, 'a non-empty string'],
    ['tracker.trusted_labelers_only', 'yes', 'true or false'],
    ['tracker.allowed_authors', [''], 'a non-empty string'],
    ['tracker.api_key', true, 'a non-empty string or null'],
    ['tracker.project', [], 'a non-empty string or null'],
    ['tracker.states', 7, 'a list of non-empty strings'],
    ['tracker.running_state', '', 'a non-empty string'],
    ['tracker.review_state', [], 'a non-empty string'],
    ['tracker.failed_state', false, 'a non-empty string or null'],
    ['tracker.path', '', 'a non-empty string'],
    ['polling', [], 'a mapping'],
    ['polling.interval', 'often', 'a duration'],
    ['polling.interval', 0, 'greater than zero'],
    ['workspace.root', '', 'a non-empty string'],
    ['workspace.base_branch', [], 'a non-empty string or null'],
    ['workspace.branch_prefix', 'my branch/', 'a git branch prefix'],
    ['workspace.branch_prefix', '../x', 'a git branch prefix'],
    ['hooks.after_create', ['npm ci'], 'a string'],
    ['hooks.before_run', {}, 'a string'],
    ['hooks.after_run', true, 'a string'],
    ['hooks.before_remove', [], 'a string'],
    ['hooks.timeout', 'long', 'a duration'],
    ['agent.command', '', 'a non-empty string'],
    ['agent.max_concurrent', 'three', 'a whole number ≥ 1'],
    ['agent.max_concurrent', 0, 'a whole number ≥ 1'],
    ['agent.max_concurrent', 2.5, 'a whole number ≥ 1'],
    ['agent.max_attempts', -1, 'a whole number ≥ 1'],
    ['agent.models', [], 'a non-empty list of non-empty strings'],
    ['agent.models', ['sonnet', ''], 'a non-empty string'],
    ['agent.models', [{ m: 1 }], 'a non-empty string'],
    ['agent.max_turns', 'many', 'a whole number ≥ 1'],
    ['agent.permission_mode', 'yolo', 'one of acceptEdits | auto | bypassPermissions | manual | dontAsk | plan | default'],
    ['agent.allowed_tools', ['Edit', 3.5, null], 'a non-empty string'],
    ['agent.disallowed_tools', { Bash: true }, 'a list'],
    ['agent.mcp_servers', ['x'], 'a mapping'],
    ['agent.mcp_servers.fs', 'npx fs', 'a mapping {command, args, env}'],
    ['agent.mcp_servers.fs.command', '', 'a non-empty string'],
    ['agent.append_system_prompt', ['x'], 'a string'],
    ['agent.env', 'A=1', 'a mapping'],
    ['agent.env.FOO', { nested: 1 }, 'a string'],
    ['agent.env.not-a-name', 'x', 'named like an environment variable'],
    ['agent.timeout', 'forever', 'a duration'],
    ['agent.stall_timeout', '0s', 'greater than zero'],
    ['agent.fast_fail', 'quick', 'a duration'],
    ['agent.retry_backoff', [], 'a duration'],
    ['agent.max_retry_backoff', {}, 'a duration'],
    ['agent.max_cost_usd', 0, 'a positive number of US dollars'],
    ['agent.max_cost_usd', 'cheap', 'a positive number of US dollars'],
    ['budget.daily_usd', -3, 'a positive number of US dollars'],
    ['pr.auto_open', 'sure', 'true or false'],
    ['pr.draft', 1, 'true or false'],
    ['server.port', 70000, 'a whole number from 0 to 65535'],
    ['server.port', 'http', 'a whole number from 0 to 65535'],
    ['server.host', '', 'a non-empty string'],
    ['notify.webhook_url', 'ftp://hooks', 'an http(s) URL'],
    ['state.url', 'mysql://u:p@h/db', 'postgres://'],
    ['state.transcript_days', 0, 'a whole number ≥ 1'],
  ];

  it.each(cases)('%s = %j', (path, value, fragment) => {
    const err = errorOf(() => validate(nested(path, value)));
    expect(err.code).toBe('ECONFIG');
    // A list item's error names the item: agent.models[1].
    expect(err.message).toMatch(new RegExp(`^WORKFLOW\\.md: ${path.replace(/\./g, '\\.')}(\\[\\d+\\])? must be `));
    expect(err.message).toContain(fragment);
  });

  it('quotes the offending value, as in the documented example', () => {
    expect(errorOf(() => validate({ agent: { max_concurrent: 'three' } })).message).toBe(
      'WORKFLOW.md: agent.max_concurrent must be a whole number ≥ 1 (got "three")',
    );
  });

  it('uses the file name it is given', () => {
    const err = errorOf(() => validateConfig({ agent: { max_turns: 0 } }, { file: 'ops/WF.md', env: {} }));
    expect(err.message).toMatch(/^ops\/WF\.md: agent\.max_turns/);
  });

  it('requires a team for linear, states non-empty, and an MCP command', () => {
    expect(errorOf(() => validate({ tracker: { kind: 'linear' } })).message).toContain('tracker.team is required');
    expect(validate({ tracker: { kind: 'linear', team: 'ENG' } }).config.tracker.team).toBe('ENG');
    expect(errorOf(() => validate({ tracker: { kind: 'linear', team: 'ENG', states: [] } })).message).toContain(
      'tracker.states must be a non-empty list',
    );
    expect(errorOf(() => validate({ agent: { mcp_servers: { fs: { args: [] } } } })).message).toContain(
      'agent.mcp_servers.fs.command must be',
    );
    expect(errorOf(() => validate({ agent: { mcp_servers: { fs: { command: 'x', args: ['ok', ''] } } } })).message).toContain(
      'agent.mcp_servers.fs.args[1] must be a non-empty string',
    );
  });

  it('reads MCP servers with defaults for args and env', () => {
    const { config } = validate({
      agent: { mcp_servers: { fs: { command: 'npx', args: ['-y', 'srv'], env: { ROOT: '/x' } }, bare: { command: 'b' } } },
    });
    expect(config.agent.mcp_servers).toEqual({
      fs: { command: 'npx', args: ['-y', 'srv'], env: { ROOT: '/x' } },
      bare: { command: 'b', args: [], env: {} },
    });
  });

  it('refuses a retry backoff cap below the first delay', () => {
    expect(errorOf(() => validate({ agent: { retry_backoff: '10m', max_retry_backoff: '1m' } })).message).toContain(
      'agent.max_retry_backoff must be at least agent.retry_backoff',
    );
  });

  it('never echoes a secret-bearing URL', () => {
    const err = errorOf(() => validate({ notify: { webhook_url: 'hooks.slack.com/services/T000/SECRETPART' } }));
    expect(err.message).toContain('notify.webhook_url');
    expect(err.message).not.toContain('SECRETPART');
  });

  it('rejects a front matter that is not a mapping', () => {
    expect(errorOf(() => validate(['a', 'b'])).message).toContain('WORKFLOW.md: the front matter must be a YAML mapping');
  });
});

describe('issue 24 keys: tracker.full_sweep, tracker.page_size with Linear, agent.use_extra_usage', () => {
  const v = (raw: Record<string, unknown>) => validateConfig(raw, { file: 'WORKFLOW.md', env: {} }).config;
  it('reads full_sweep as a duration (default 10m) and use_extra_usage as a boolean (default true)', () => {
    // A Linear key: a Linear config carries it (the YAML key is read, and checked, whatever the kind).
    expect(v({ tracker: { kind: 'linear', team: 'ENG' } }).tracker.full_sweep).toBe(600_000);
    expect(v({ tracker: { kind: 'linear', team: 'ENG', full_sweep: '2m' } }).tracker.full_sweep).toBe(120_000);
    expect(() => v({ tracker: { full_sweep: 'soon' } })).toThrow(/tracker\.full_sweep must be a duration/);
    expect(v({}).agent.use_extra_usage).toBe(true);
    expect(v({ agent: { use_extra_usage: false } }).agent.use_extra_usage).toBe(false);
    expect(() => v({ agent: { use_extra_usage: 'no' } })).toThrow(/agent\.use_extra_usage must be true or false/);
  });
  it('refuses a Linear page_size above what Linear accepts the candidates query at (135), naming the fix', () => {
    const linear = (page_size: number) => v({ tracker: { kind: 'linear', team: 'ENG', page_size } });
    expect(linear(135).tracker.page_size).toBe(135);
    expect(() => linear(136)).toThrow('WORKFLOW.md: tracker.page_size must be at most 135 with Linear (got 136): Linear refuses the candidates query above 10,000 complexity points at a larger page; lower it (the default 50 costs about 3,700)');
    expect(() => linear(250)).toThrow(/at most 135/);
    expect(() => linear(251)).toThrow(/tracker\.page_size must be a whole number from 1 to 250/);
  });
});

describe('account, lanes, pacing, leases and PR follow-through keys', () => {
  it('reads every key, hours with and without a zone, across midnight', () => {
    const { config, warnings } = validate({
      agent: {
        account: 'team-max',
        lanes: { urgent: { labels: ['hotfix', 'incident'] }, background: { labels: 'agent:overnight', hours: '22:00-06:00 Europe/Berlin', max_concurrent: 2 } },
        pacing: { reserve: 0.8 },
      },
      budget: { daily_usd: 50, urgent_reserve_usd: 10, timezone: 'America/New_York' },
      state: { lease_ttl: '30s' },
      pr: { watch_interval: '5m', max_followups: 0, needs_human_label: 'needs-human', log_excerpt_bytes: 8000 },
    });
    expect(warnings).toEqual([]);
    expect(config.agent.account).toBe('team-max');
    expect(config.agent.lanes).toEqual({
      urgent: { labels: ['hotfix', 'incident'] },
      background: { labels: ['agent:overnight'], hours: { text: '22:00-06:00 Europe/Berlin', start: 22 * 60, end: 6 * 60, zone: 'Europe/Berlin' }, max_concurrent: 2 },
    });
    expect(config.agent.pacing.reserve).toBe(0.8);
    expect(config.budget).toEqual({ daily_usd: 50, urgent_reserve_usd: 10, timezone: 'America/New_York' });
    expect(errorOf(() => validate({ budget: { timezone: 'Mars/Olympus' } })).message).toContain('WORKFLOW.md: budget.timezone must be an IANA time zone such as UTC or Europe/Berlin, or null (got "Mars/Olympus"');
    expect(config.state.lease_ttl).toBe(30_000);
    expect(config.pr).toMatchObject({ watch_interval: 300_000, max_followups: 0, needs_human_label: 'needs-human', log_excerpt_bytes: 8000 });
    expect(validate({ agent: { lanes: { background: { hours: '1:30-6:00' } } } }).config.agent.lanes.background.hours).toEqual({ text: '1:30-6:00', start: 90, end: 360, zone: null });
    expect(validate({ agent: { account: 'me@example.com', pacing: { reserve: 1 } } }).config.agent).toMatchObject({ account: 'me@example.com', pacing: { reserve: 1 } });
  });

  it('reads unquoted hours from a real WORKFLOW.md', () => {
    const file = join(dir, 'WORKFLOW.md');
    writeFileSync(file, '---\nagent:\n  lanes:\n    background:\n      hours: 01:00-06:00\n---\nDo {{ issue.title }}\n');
    expect(loadWorkflow(file, {}).config.agent.lanes.background.hours).toEqual({ text: '01:00-06:00', start: 60, end: 360, zone: null });
  });

  it.each([
    ['agent.account', 'has space', 'agent.account must be null (derived from the Claude login) or a name of letters'],
    ['agent.account', '../etc', 'agent.account must be null'],
    ['agent.lanes.urgent.labels', [''], 'agent.lanes.urgent.labels[0] must be a non-empty string'],
    ['agent.lanes.background.hours', 'nights', 'agent.lanes.background.hours must be null or daily hours "HH:MM-HH:MM"'],
    ['agent.lanes.background.hours', '25:00-06:00', '25:00 is not a time of day'],
    ['agent.lanes.background.hours', '01:00-01:00', 'opens and closes at the same minute'],
    ['agent.lanes.background.hours', '01:00-06:00 Mars/Olympus', 'Mars/Olympus is not a time zone this system knows'],
    ['agent.lanes.background.max_concurrent', 0, 'agent.lanes.background.max_concurrent must be a whole number ≥ 1 (got 0)'],
    ['agent.pacing.reserve', 80, 'agent.pacing.reserve must be a number above 0 and at most 1 (e.g. 0.8 for 80%), or null (got 80)'],
    ['agent.pacing.reserve', 0, 'agent.pacing.reserve must be a number above 0'],
    ['budget.urgent_reserve_usd', -1, 'budget.urgent_reserve_usd must be a positive number of US dollars'],
    ['state.lease_ttl', '2s', 'state.lease_ttl must be a duration like "90s", "10m", "1h", "2d" or a number of milliseconds, at least 5000 ms (got "2s")'],
    ['pr.watch_interval', 'often', 'pr.watch_interval must be a duration'],
    ['pr.max_followups', -1, 'pr.max_followups must be a whole number ≥ 0 (got -1)'],
    ['pr.needs_human_label', '', 'pr.needs_human_label must be a non-empty string'],
    ['pr.log_excerpt_bytes', 10_000_000, 'pr.log_excerpt_bytes must be a whole number from 0 to 100000'],
  ] as const)('%s = %j is an error naming the file, the key and the fix', (path, value, message) => {
    const err = errorOf(() => validate(nested(path, value)));
    expect(err.message.startsWith('WORKFLOW.md: ')).toBe(true);
    expect(err.message).toContain(message);
  });

  it('keeps the urgent reserve below the daily budget, and warns when there is no daily budget', () => {
    expect(errorOf(() => validate({ budget: { daily_usd: 10, urgent_reserve_usd: 10 } })).message).toBe(
      'WORKFLOW.md: budget.urgent_reserve_usd must be less than budget.daily_usd (got $10 ≥ $10; it is the part of the daily budget kept for urgent tickets)',
    );
    const { config, warnings } = validate({ budget: { urgent_reserve_usd: 5 } });
    expect(config.budget.urgent_reserve_usd).toBe(5);
    expect(warnings).toEqual(['WORKFLOW.md: budget.urgent_reserve_usd has no effect without budget.daily_usd (ignored)']);
  });

  it('warns about unknown keys inside lanes and pacing', () => {
    const { warnings } = validate({ agent: { lanes: { urgent: { label: ['x'] }, overnight: {} }, pacing: { reserve: 0.5, floor: 1 } } });
    expect(warnings).toEqual([
      'WORKFLOW.md: unknown key agent.lanes.urgent.label (ignored); did you mean agent.lanes.urgent.labels?',
      'WORKFLOW.md: unknown key agent.lanes.overnight (ignored)',
      'WORKFLOW.md: unknown key agent.pacing.floor (ignored)',
    ]);
  });
});

describe('$NAME values and secrets', () => {
  it('reads a value written exactly $NAME from the environment', () => {
    const env = { GITHUB_TOKEN: 'ghp_fromenv', N: '7', DRAFT: 'true', HOOK: 'make setup', PORT_X: '8080' };
    const { config, secrets } = validate(
      {
        tracker: { token: '$GITHUB_TOKEN' },
        agent: { max_concurrent: '$N', env: { GH_TOKEN: '$GITHUB_TOKEN' } },
        pr: { draft: '$DRAFT' },
        hooks: { after_create: '$HOOK' },
        server: { port: '$PORT_X' },
      },
      env,
    );
    expect(config.tracker.token).toBe('ghp_fromenv');
    expect(config.agent.max_concurrent).toBe(7);
    expect(config.agent.env).toEqual({ GH_TOKEN: 'ghp_fromenv' });
    expect(config.pr.draft).toBe(true);
    expect(config.hooks.after_create).toBe('make setup');
    expect(config.server.port).toBe(8080);
    expect(secrets).toEqual(['ghp_fromenv']);
  });

  it('leaves values that merely contain $ alone', () => {
    const { config } = validate({ hooks: { before_run: 'echo $HOME' }, tracker: { labels: ['$x y'] } });
    expect(config.hooks.before_run).toBe('echo $HOME');
    expect(config.tracker.labels).toEqual(['$x y']);
  });

  it('names the key and the variable when the variable is missing or empty', () => {
    for (const env of [{}, { LINEAR_API_KEY: '' }]) {
      const err = errorOf(() => validate({ tracker: { kind: 'linear', team: 'E', api_key: '$LINEAR_API_KEY' } }, env));
      expect(err.message).toContain('WORKFLOW.md: tracker.api_key is $LINEAR_API_KEY');
      expect(err.message).toContain('LINEAR_API_KEY is not set');
    }
  });

  it('type-checks the value read from the environment', () => {
    const err = errorOf(() => validate({ agent: { max_concurrent: '$N' } }, { N: 'lots' }));
    expect(err.message).toBe('WORKFLOW.md: agent.max_concurrent must be a whole number ≥ 1 (got "lots" from $N)');
  });

  it('lists the token, the Linear key, the webhook URL and the state password as secrets', () => {
    const { secrets } = validate({
      tracker: { token: 'tok-123', api_key: 'lin_api_abc' },
      notify: { webhook_url: 'https://hooks.example/T1/abc' },
      state: { url: 'postgres://swarm:p%40ss@db.example:5432/swarm' },
    });
    expect(secrets).toEqual(expect.arrayContaining(['tok-123', 'lin_api_abc', 'https://hooks.example/T1/abc', 'p%40ss', 'p@ss']));
  });

  it("lists the environment's credentials and what is handed to the agent, but not values that cannot be secrets", () => {
    const env = {
      ANTHROPIC_API_KEY: 'sk-ant-api03-envkey', ANTHROPIC_AUTH_TOKEN: 'authtoken-1', CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-x', PGPASSWORD: 'pgpass-9',
      NPM_TOKEN: 'npm_abcdef123', AWS_SECRET_ACCESS_KEY: 'awsSecret/xyz', HOME: '/root', PATH: '/usr/bin', SSH_AUTH_SOCK: '/tmp/ssh/agent.1', SOME_TOKEN: 'true',
    };
    const { secrets, agentSecrets } = validate(
      {
        agent: {
          env: { DEPLOY_KEY_VALUE: 'opaque-deploy-value', MODE: 'x', CI: 'true', RETRIES: '12345678', CACHE_DIR: '/var/cache/agent', GH_TOKEN: 'short', API: 'http://127.0.0.1:4000', HOOK: 'https://hooks.example/T1/B2/agentHookSecret' },
          mcp_servers: { db: { command: 'srv', env: { DB_URL: 'postgres://u:mcpPassword1@db/x', LEVEL: 'debug' } } },
        },
      },
      env,
    );
    const handed = ['sk-ant-api03-envkey', 'authtoken-1', 'sk-ant-oat01-x', 'pgpass-9', 'npm_abcdef123', 'awsSecret/xyz', 'opaque-deploy-value', 'short', '/T1/B2/agentHookSecret', 'mcpPassword1'];
    expect(agentSecrets).toEqual(expect.arrayContaining(handed));
    // Masked, never scrubbed: `secrets` (what is kept from the agent's environment) does not list the agent's own login.
    for (const v of handed) expect(secrets, v).not.toContain(v);
    for (const v of ['/root', '/usr/bin', '/tmp/ssh/agent.1', 'true', 'x', '12345678', '/var/cache/agent', 'http://127.0.0.1:4000', 'debug', 'postgres://u:mcpPassword1@db/x']) {
      expect(agentSecrets, v).not.toContain(v);
    }
  });
});

describe('unknown keys', () => {
  it('are warnings naming the full key path, never errors', () => {
    const { config, warnings } = validate({
      agent: { modle: 'opus', mcp_servers: { fs: { command: 'x', cwd: '/' } } },
      trackr: {},
      tracker: { lables: ['x'] },
    });
    expect(config.agent.models).toEqual(['sonnet', 'sonnet', 'opus']);
    expect(warnings).toEqual(
      expect.arrayContaining([
        'WORKFLOW.md: unknown key agent.modle (ignored); did you mean agent.models?',
        'WORKFLOW.md: unknown key agent.mcp_servers.fs.cwd (ignored)',
        'WORKFLOW.md: unknown key trackr (ignored); did you mean tracker?',
        'WORKFLOW.md: unknown key tracker.lables (ignored); did you mean tracker.labels?',
      ]),
    );
    expect(warnings).toHaveLength(4);
  });

  it('refuses a server beyond loopback without server.tls or server.insecure, naming the keys (exit 2)', () => {
    const err = errorOf(() => validate({ server: { host: '0.0.0.0', port: 8080 } }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/^WORKFLOW\.md: server\.host 0\.0\.0\.0 serves the API beyond this machine over plain HTTP: set server\.tls .*server\.insecure: true/);
    // No port: nothing listens, nothing to refuse. Loopback names (127.x, ::1, localhost) are fine.
    expect(validate({ server: { host: '0.0.0.0' } }).warnings).toEqual([]);
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) expect(validate({ server: { host, port: 1 } }).warnings).toEqual([]);
    const tls = validate({ server: { host: '0.0.0.0', port: 8080, tls: { cert: 'c.pem', key: 'k.pem' } } });
    expect(tls.config.server.tls).toEqual({ cert: 'c.pem', key: 'k.pem' });
    expect(tls.warnings).toEqual([]);
    const insecure = validate({ server: { host: '0.0.0.0', port: 8080, insecure: true } });
    expect(insecure.config.server.insecure).toBe(true);
    expect(insecure.warnings[0]).toContain('server.insecure is true: the API on 0.0.0.0 is served over plain HTTP');
    expect(errorOf(() => validate({ server: { tls: { cert: 'c.pem' } } })).message).toBe(
      'WORKFLOW.md: server.tls needs both cert and key (paths of the PEM certificate chain and its private key)',
    );
    expect(errorOf(() => validate({ server: { insecure: 'maybe' } })).message).toContain('server.insecure must be');
  });
});

describe('loadWorkflow', () => {
  const BODY = 'Work on {{ issue.title }} on {{ branch }}.\n';
  function write(name: string, text: string): string {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  }

  it('splits front matter from the template', () => {
    const p = write('WORKFLOW.md', `---\ntracker:\n  kind: local\nagent:\n  max_concurrent: 2\n---\n${BODY}`);
    const wf = loadWorkflow(p, {});
    expect(wf.path).toBe(p);
    expect(wf.config.tracker.kind).toBe('local');
    expect(wf.config.agent.max_concurrent).toBe(2);
    expect(wf.template).toBe(BODY);
    expect(wf.warnings).toEqual([]);
  });

  it('accepts CRLF line endings and a byte-order mark', () => {
    const p = write('WORKFLOW.md', `\uFEFF---\r\nagent:\r\n  max_turns: 9\r\n---\r\nLine one {{ attempt }}\r\nLine two\r\n`);
    const wf = loadWorkflow(p, {});
    expect(wf.config.agent.max_turns).toBe(9);
    expect(wf.template).toBe('Line one {{ attempt }}\nLine two\n');
  });

  it('names the path and `swarm init` when the file is missing', () => {
    const p = join(dir, 'nope', 'WORKFLOW.md');
    const err = errorOf(() => loadWorkflow(p, {}));
    expect(err.message).toContain(p);
    expect(err.message).toContain('swarm init');
  });

  it('refuses `---js` front matter without running it', async () => {
    const marker = join(dir, 'pwned');
    const payload = `{ pwned: (globalThis.__swarmPwned = true, require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'), 1) }`;
    for (const opener of ['---js', '---javascript', '--- js', '---JS ']) {
      const p = write('WORKFLOW.md', `${opener}\n${payload}\n---\n${BODY}`);
      const err = errorOf(() => loadWorkflow(p, {}));
      expect(err.message).toBe(`${p}: front matter must be YAML; \`---js\` blocks run code and are refused`);
    }
    for (const opener of ['---coffee', '---cson']) {
      const p = write('WORKFLOW.md', `${opener}\npwned: 1\n---\n${BODY}`);
      expect(errorOf(() => loadWorkflow(p, {})).message).toContain('refused');
    }
    expect((globalThis as Record<string, unknown>).__swarmPwned).toBeUndefined();
    expect(existsSync(marker)).toBe(false);

    // Control: the same payload through gray-matter without swarm's guard does run — so the
    // assertions above would catch a regression.
    const matter = createRequire(import.meta.url)('gray-matter') as (s: string, o?: object) => { data: unknown };
    matter(`---js\n${payload}\n---\n${BODY}`, {});
    expect(existsSync(marker)).toBe(true);
    delete (globalThis as Record<string, unknown>).__swarmPwned;
  });

  it('refuses other front matter languages too', () => {
    const p = write('WORKFLOW.md', `---toml\nx = 1\n---\n${BODY}`);
    expect(errorOf(() => loadWorkflow(p, {})).message).toContain('front matter must be YAML (found `---toml`)');
    const q = write('WORKFLOW.yaml.md', `---yaml\nagent:\n  max_turns: 4\n---\n${BODY}`);
    expect(loadWorkflow(q, {}).config.agent.max_turns).toBe(4);
  });

  it('reports bad YAML with the file line number', () => {
    // line 1 ---, 2 agent:, 3 max_turns, 4 the bad line
    const p = write('WORKFLOW.md', `---\nagent:\n  max_turns: 5\n   models: [a\n---\n${BODY}`);
    const err = errorOf(() => loadWorkflow(p, {}));
    expect(err.message).toBe(`${p}: front matter is not valid YAML at line 4: bad indentation of a mapping entry`);
    const q = write('WORKFLOW2.md', `---\npolling:\n  interval: 5s\nagent: [\n---\n${BODY}`);
    expect(errorOf(() => loadWorkflow(q, {})).message).toMatch(/not valid YAML at line 5: unexpected end of the stream/);
    const r = write('WORKFLOW3.md', `---\nagent:\n  max_turns: 1\n  max_turns: 2\n---\n${BODY}`);
    expect(errorOf(() => loadWorkflow(r, {})).message).toMatch(/not valid YAML at line 4: duplicated mapping key/);
  });

  it('turns unquoted YAML dates into strings', () => {
    const p = write('WORKFLOW.md', `---\nworkspace:\n  base_branch: 2024-01-31\n---\n${BODY}`);
    expect(loadWorkflow(p, {}).config.workspace.base_branch).toBe('2024-01-31');
  });

  it('refuses an empty template and an unclosed front matter', () => {
    const p = write('WORKFLOW.md', `---\nagent:\n  max_turns: 5\n---\n  \n\n`);
    expect(errorOf(() => loadWorkflow(p, {})).message).toContain('the prompt template (the text after the front matter) is empty');
    const q = write('WORKFLOW2.md', `---\nagent:\n  max_turns: 5\n${BODY}`);
    expect(errorOf(() => loadWorkflow(q, {})).message).toContain('no closing `---` line');
  });

  it('warns, and uses defaults, when there is no front matter', () => {
    const wf = parseWorkflow(BODY, 'WORKFLOW.md', {});
    expect(wf.template).toBe(BODY);
    expect(wf.config.tracker.kind).toBe('github');
    expect(wf.warnings[0]).toContain('no front matter');
  });

  it('catches an unknown template variable at load, naming it and its file line', () => {
    const text = `---\nagent:\n  max_turns: 5\n---\nHello\n{{ issue.nope }}\n`;
    const err = errorOf(() => parseWorkflow(text, 'WORKFLOW.md', {}));
    expect(err.message).toContain('WORKFLOW.md (line 6)');
    expect(err.message).toContain('issue.nope');
    for (const body of ['{% if issue.assigne %}x{% endif %}', '{{ nope }}', '{{ issue.titel | upper }}', '{% for c in issue.comments %}{{ c.login }}{% endfor %}', '{% for a in previous_attempts %}{{ a.cost }}{% endfor %}']) {
      expect(() => parseWorkflow(`---\n---\n${body}\n`, 'WORKFLOW.md', {})).toThrow(ConfigError);
    }
    expect(errorOf(() => parseWorkflow(`---\n---\nok\n{% if %}\n`, 'W.md', {})).message).toMatch(/^W\.md \(line 4\): prompt template line 2: unexpected token/);
  });

  it('accepts documented variables, loops, sets, macros and filters', () => {
    const body = [
      '{% set who = issue.identifier %}{{ who }} {{ issue.labels | join(",") }} {{ issue.priority }} {{ issue.state }}',
      '{% for c in issue.comments %}{{ loop.index }} {{ c.author }} {{ c.created_at }} {{ c.body }}{% endfor %}',
      '{% macro m(x) %}[{{ x }}]{% endmacro %}{{ m(issue.id) }} {{ issue.url }} {{ issue.number }} {{ issue.title }} {{ issue.body }}',
      '{% for a in previous_attempts %}{{ a.number }}{{ a.model }}{{ a.outcome }}{{ a.reason }}{{ a.summary }}{% endfor %}',
      '{{ attempt }} {{ model }} {{ branch }} {{ base_branch }} {{ repo }} {{ workspace }} {{ fence }} {{ range(2) | length }}',
    ].join('\n');
    expect(parseWorkflow(`---\n---\n${body}\n`, 'WORKFLOW.md', {}).template).toBe(`${body}\n`);
  });

  it('ships templates and an example that load cleanly', () => {
    const github = loadWorkflow(join(ROOT, 'templates/WORKFLOW.github.md'), {});
    const linear = loadWorkflow(join(ROOT, 'templates/WORKFLOW.linear.md'), {});
    const local = loadWorkflow(join(ROOT, 'templates/WORKFLOW.local.md'), {});
    const example = loadWorkflow(join(ROOT, 'WORKFLOW.md.example'), {});
    for (const wf of [github, linear, local, example]) expect(wf.warnings).toEqual([]);
    expect([github.config.tracker.kind, linear.config.tracker.kind, local.config.tracker.kind]).toEqual(['github', 'linear', 'local']);
    expect(example.config).toEqual(github.config);
    expect(example.template).toBe(github.template);
    // Every default, except the per-ticket spend limit `swarm init` writes (the key's own default is null).
    expect(github.config).toEqual(validate({ agent: { max_cost_usd: 5 } }).config);
    expect(validate({}).config.agent.max_cost_usd).toBeNull();
  });

  it('loads the fixtures', () => {
    expect(loadWorkflow(join(FIXTURES, 'full.md'), { GITHUB_TOKEN: 'ghp_fixture' }).secrets).toEqual(['ghp_fixture']);
  });
});

describe('reloadWorkflow', () => {
  it('keeps the last good workflow on a bad edit and reports one stable error', () => {
    const p = join(dir, 'WORKFLOW.md');
    writeFileSync(p, '---\nagent:\n  max_concurrent: 2\n---\nGo {{ branch }}\n');
    const first = reloadWorkflow(p, {}, null);
    expect(first.error).toBeNull();
    expect(first.workflow.config.agent.max_concurrent).toBe(2);

    writeFileSync(p, '---\nagent:\n  max_concurrent: many\n---\nGo {{ branch }}\n');
    const bad = reloadWorkflow(p, {}, first.workflow);
    expect(bad.workflow).toBe(first.workflow);
    expect(bad.error).toContain('agent.max_concurrent must be a whole number');
    expect(reloadWorkflow(p, {}, bad.workflow).error).toBe(bad.error);

    writeFileSync(p, '---\nagent:\n  max_concurrent: 2\n---\nGo {{ branch.nope }}\n');
    expect(reloadWorkflow(p, {}, first.workflow).error).toContain('branch.nope');

    rmSync(p);
    const gone = reloadWorkflow(p, {}, first.workflow);
    expect(gone.workflow).toBe(first.workflow);
    expect(gone.error).toContain('swarm init');

    writeFileSync(p, '---\nagent:\n  max_concurrent: 4\n---\nGo {{ branch }}\n');
    const fixed = reloadWorkflow(p, {}, first.workflow);
    expect(fixed.error).toBeNull();
    expect(fixed.workflow.config.agent.max_concurrent).toBe(4);
  });

  it('settled: a file caught mid-save (truncated, not yet written) is read again instead of reported', async () => {
    const p = join(dir, 'WORKFLOW.md');
    const good = '---\nagent:\n  max_concurrent: 3\n---\nGo {{ branch }}\n';
    writeFileSync(p, good);
    const last = reloadWorkflow(p, {}, null).workflow;
    writeFileSync(p, ''); // the editor has truncated the file…
    const saved = setTimeout(() => writeFileSync(p, good.replace('3', '5')), 20); // …and writes it a moment later
    const res = await reloadWorkflowSettled(p, {}, last, 300);
    clearTimeout(saved);
    expect(res.error).toBeNull();
    expect(res.workflow.config.agent.max_concurrent).toBe(5);

    writeFileSync(p, '---\nagent: [broken\n---\nGo\n'); // a real mistake stays an error
    const bad = await reloadWorkflowSettled(p, {}, last, 10);
    expect(bad.workflow).toBe(last);
    expect(bad.error).toMatch(/not valid YAML/);
  });

  it('throws at startup, when there is no last good workflow', () => {
    const p = join(dir, 'WORKFLOW.md');
    writeFileSync(p, '---\nagent:\n  max_concurrent: many\n---\nGo\n');
    expect(() => reloadWorkflow(p, {}, null)).toThrow(ConfigError);
  });
});

describe('credentials', () => {
  const cfg = (token: string | null, api_url: string | null = null) => ({ tracker: { token, api_url } });

  function fakeGh(script: string): string {
    const p = join(dir, 'gh');
    writeFileSync(p, `#!/bin/sh\n${script}\n`);
    chmodSync(p, 0o755);
    return p;
  }

  it('prefers tracker.token, then GITHUB_TOKEN, then GH_TOKEN', async () => {
    const env = { GITHUB_TOKEN: 'env-github', GH_TOKEN: 'env-gh' };
    const nogh = join(dir, 'missing-gh');
    expect(await resolveGithubToken(cfg('cfg-token'), env, { ghCommand: nogh })).toEqual({ token: 'cfg-token', source: 'tracker.token' });
    expect(await resolveGithubToken(cfg(null), env, { ghCommand: nogh })).toEqual({ token: 'env-github', source: 'GITHUB_TOKEN' });
    expect(await resolveGithubToken(cfg(null), { GITHUB_TOKEN: '', GH_TOKEN: 'env-gh' }, { ghCommand: nogh })).toEqual({
      token: 'env-gh',
      source: 'GH_TOKEN',
    });
  });

  it('falls back to `gh auth token --hostname HOST` and records the secret', async () => {
    const log = join(dir, 'gh-args');
    const gh = fakeGh(`printf '%s ' "$@" > ${JSON.stringify(log)}\necho gho_from_gh`);
    const secrets: string[] = [];
    const res = await resolveGithubToken(cfg(null, 'https://ghe.example.com/api/v3'), { PATH: process.env.PATH }, { ghCommand: gh, secrets });
    expect(res).toEqual({ token: 'gho_from_gh', source: 'gh auth token' });
    expect(secrets).toEqual(['gho_from_gh']);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(log, 'utf8').trim()).toBe('auth token --hostname ghe.example.com');
  });

  it('fails with the documented sentence when no token exists anywhere', async () => {
    for (const ghCommand of [join(dir, 'missing-gh'), fakeGh('echo "not logged in" >&2; exit 1')]) {
      const err = await resolveGithubToken(cfg(null), { PATH: process.env.PATH }, { ghCommand }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toBe('no GitHub token: set GITHUB_TOKEN, or tracker.token in WORKFLOW.md, or run `gh auth login`');
    }
  });

  it('derives the gh host from the API URL', () => {
    expect(githubHost(null)).toBe('github.com');
    expect(githubHost('https://api.github.com')).toBe('github.com');
    expect(githubHost('https://github.acme.corp/api/v3')).toBe('github.acme.corp');
    expect(githubHost('http://127.0.0.1:4000')).toBe('127.0.0.1');
  });

  it('reads the Linear key from tracker.api_key, then LINEAR_API_KEY', () => {
    const secrets: string[] = [];
    expect(resolveLinearKey({ tracker: { api_key: 'lin_cfg' } }, { LINEAR_API_KEY: 'lin_env' }, { secrets })).toEqual({
      token: 'lin_cfg',
      source: 'tracker.api_key',
    });
    expect(resolveLinearKey({ tracker: { api_key: null } }, { LINEAR_API_KEY: 'lin_env' }, { secrets }).source).toBe('LINEAR_API_KEY');
    expect(secrets).toEqual(['lin_cfg', 'lin_env']);
    expect(() => resolveLinearKey({ tracker: { api_key: null } }, {})).toThrow(/no Linear API key: set LINEAR_API_KEY/);
  });
});

describe('agentEnv', () => {
  const run = hookEnv({
    ticketId: 'I_1',
    ticketNumber: 12,
    ticketUrl: 'https://github.com/o/r/issues/12',
    branch: 'swarm/12-x',
    baseBranch: 'main',
    workspace: '/w/12',
    attempt: 2,
    model: 'opus',
    repo: 'o/r',
  });

  it('drops swarm credentials, secret-valued variables and inherited SWARM_*', () => {
    const base = {
      PATH: '/usr/bin',
      HOME: '/home/u',
      GITHUB_TOKEN: 'ghp_x',
      GH_TOKEN: 'ghp_y',
      LINEAR_API_KEY: 'lin_z',
      MY_WEBHOOK: 'https://hooks.example/T1/abc',
      DATABASE_URL: 'postgres://swarm:supersecretpw@db/swarm',
      SWARM_BRANCH: 'stale',
      SWARM_DEBUG: '1',
      UNSET: undefined,
      SHORT: 'pw',
    };
    const env = agentEnv(base, ['https://hooks.example/T1/abc', 'supersecretpw', 'pw'], {}, run);
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/home/u', ...run });
    expect(env.SWARM_BRANCH).toBe('swarm/12-x');
  });

  it('keeps what agent.env lists, then adds agent.env and the SWARM_* facts', () => {
    const base = { PATH: '/bin', GH_TOKEN: 'ghp_y', OTHER: 'ghp_y' };
    const env = agentEnv(base, ['ghp_y'], { GH_TOKEN: 'ghp_agent', EXTRA: '1', SWARM_MODEL: 'ignored' }, run);
    expect(env).toEqual({ PATH: '/bin', GH_TOKEN: 'ghp_agent', EXTRA: '1', ...run });
    expect(env.SWARM_MODEL).toBe('opus');
    expect(Object.keys(run).sort()).toEqual(
      ['SWARM_ATTEMPT', 'SWARM_BASE_BRANCH', 'SWARM_BRANCH', 'SWARM_MODEL', 'SWARM_REPO', 'SWARM_TICKET_ID', 'SWARM_TICKET_NUMBER', 'SWARM_TICKET_URL', 'SWARM_WORKSPACE'],
    );
    expect(run.SWARM_TICKET_NUMBER).toBe('12');
    expect(run.SWARM_ATTEMPT).toBe('2');
  });

  it('does not modify its inputs', () => {
    const base = { A: '1', GITHUB_TOKEN: 't' };
    agentEnv(base, ['1'], {}, {});
    expect(base).toEqual({ A: '1', GITHUB_TOKEN: 't' });
  });
});
