import { afterAll, describe, expect, it } from 'vitest';
import { classify, RULE_NAMES } from '../../src/agent/classify.js';
import { StreamParser } from '../../src/agent/stream.js';
import type { Classification, HandoffFacts, RunResult } from '../../src/agent/types.js';

// Stream lines modelled on real `claude -p --output-format stream-json --verbose` captures (2.1.x).
const SID = '24dff912-0668-425e-b4cf-d29e33c22e21';
const init = (model = 'claude-sonnet-5-5') => ({ type: 'system', subtype: 'init', session_id: SID, model, tools: [], claude_code_version: '2.1.328' });
const say = (text: string, id = 'msg_1') => ({ type: 'assistant', message: { id, model: 'claude-sonnet-5-5', role: 'assistant', content: [{ type: 'text', text }] }, session_id: SID });
const bash = (command: string) => ({ type: 'assistant', message: { id: 'msg_1', model: 'claude-sonnet-5-5', role: 'assistant', content: [{ type: 'tool_use', id: 't0', name: 'Bash', input: { command } }] }, session_id: SID });
const retry = (status: number | null, error: string) => ({ type: 'system', subtype: 'api_retry', attempt: 1, max_retries: 10, retry_delay_ms: 600, error_status: status, error, session_id: SID });
const rateEvent = (resetsAt: number, rateLimitType: string) => ({ type: 'rate_limit_event', rate_limit_info: { status: 'rejected', resetsAt, rateLimitType }, session_id: SID });
/** The synthetic assistant line the CLI prints for an API failure. */
const synthetic = (text: string, extra: Record<string, unknown>) => ({
  type: 'assistant', message: { id: 'e1', model: '<synthetic>', role: 'assistant', content: [{ type: 'text', text }] },
  session_id: SID, is_api_error_message: true, ...extra,
});
const result = (extra: Record<string, unknown> = {}) => ({
  type: 'result', subtype: 'success', is_error: false, num_turns: 1, duration_ms: 900, total_cost_usd: 0.01, session_id: SID,
  usage: { input_tokens: 10, output_tokens: 5 }, modelUsage: {}, permission_denials: [], terminal_reason: 'completed',
  api_error_status: null, result: 'Done.', ...extra,
});
/** An API failure as `claude -p` reports it: subtype success, is_error true. */
const apiErrorResult = (text: string, extra: Record<string, unknown> = {}) =>
  result({ is_error: true, terminal_reason: 'api_error', result: text, duration_ms: 1500, ...extra });

const NOW = Date.parse('2026-11-21T11:46:20Z');
const OPTS = { fastFailMs: 10_000, now: NOW };

function runOf(lines: object[], over: Partial<RunResult> = {}): RunResult {
  const p = new StreamParser();
  p.push(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  p.end();
  return { exitCode: 1, signal: null, killedFor: null, durationMs: 30_000, summary: p.summary, stderrTail: '', spawnError: null, held: null, ...over };
}
const facts = (over: Partial<HandoffFacts> = {}): HandoffFacts => ({ prExists: false, commitsAhead: 0, canAutoOpen: true, ...over });

const seenRules = new Set<string>();
function check(run: RunResult, handoff: HandoffFacts, expected: Partial<Classification>): Classification {
  const c = classify(run, handoff, OPTS);
  seenRules.add(c.rule);
  expect(c).toMatchObject(expected);
  expect(c.reason).not.toMatch(/\n/);
  return c;
}

const worked = [init(), say('I will fix it.'), bash('npm test'), say('Done.', 'msg_2')];

describe('classify: cancelled and PR rows', () => {
  it('cancel and shutdown are never counted, whatever the stream says', () => {
    check(runOf([init(), synthetic('Invalid API key', { error: 'authentication_failed', api_error_status: 401 })], { killedFor: 'cancel' }), facts(), {
      outcome: 'cancelled', counted: false, rule: 'cancelled',
    });
    check(runOf(worked, { killedFor: 'shutdown', signal: 'SIGTERM' }), facts({ prExists: true }), {
      outcome: 'cancelled', counted: false, reason: 'interrupted by shutdown',
    });
  });

  it('an existing PR wins over any failure after it', () => {
    check(runOf([...worked, result({ subtype: 'error_max_turns', is_error: true })]), facts({ prExists: true, commitsAhead: 2 }), {
      outcome: 'pr_opened', counted: false, reason: 'PR exists', rule: 'pr_exists',
    });
  });
});

describe('classify: auth_failed', () => {
  const LOGIN = 'Claude Code is not logged in or its credentials were rejected: run `claude` and /login, then `swarm resume`';
  it('killed at the first authentication_failed api_retry', () => {
    check(runOf([init(), retry(401, 'authentication_failed')], { killedFor: 'auth', signal: 'SIGTERM', exitCode: null }), facts(), {
      outcome: 'auth_failed', counted: false, reason: LOGIN, rule: 'auth',
    });
  });
  it('invalid API key after retries (subtype success, is_error true, exit 0 ignored)', () => {
    const lines = [init(), retry(401, 'authentication_failed'), synthetic('Invalid API key · Fix external API key', { error: 'authentication_failed', api_error_status: 401, api_error_type: 'authentication_error' }),
      apiErrorResult('Invalid API key · Fix external API key', { api_error_status: 401, api_error_type: 'authentication_error' })];
    check(runOf(lines, { exitCode: 0 }), facts(), { outcome: 'auth_failed', reason: LOGIN });
  });
  it('not logged in, no HTTP status', () => {
    check(runOf([init(), synthetic('Not logged in · Please run /login', { error: 'authentication_failed' }), apiErrorResult('Not logged in · Please run /login')], { durationMs: 400 }), facts(), {
      outcome: 'auth_failed', counted: false,
    });
  });
  it('403 permission error', () => {
    const t = 'Failed to authenticate. API Error: 403 Your API key does not have permission to use the specified resource.';
    check(runOf([init(), synthetic(t, { error: 'authentication_failed', api_error_status: 403, api_error_type: 'permission_error' }), apiErrorResult(t, { api_error_status: 403 })]), facts(), { outcome: 'auth_failed' });
  });
  it('billing error says to add credits', () => {
    const c = check(runOf([init(), synthetic('Credit balance is too low', { error: 'billing_error', api_error_status: 400, api_error_type: 'invalid_request_error' }),
      apiErrorResult('Credit balance is too low', { api_error_status: 400 })]), facts(), { outcome: 'auth_failed', counted: false });
    expect(c.reason).toMatch(/add credits.*then `swarm resume`/);
  });
  it('text patterns alone (older CLI, no structured fields), also on stderr', () => {
    check(runOf([init(), apiErrorResult('OAuth token revoked · Please run /login')]), facts(), { outcome: 'auth_failed' });
    check(runOf([], { stderrTail: 'Login expired · Please run /login\n', durationMs: 300 }), facts(), { outcome: 'auth_failed' });
  });
  it('a transient 401 followed by a clean finish is not an auth failure, nor is auth text in a clean answer', () => {
    check(runOf([...worked.slice(0, 1), retry(401, 'authentication_failed'), ...worked.slice(1), result()]), facts(), { outcome: 'no_changes' });
    check(runOf([...worked, result({ result: 'Fixed the "Invalid API key" message in login.ts' })]), facts(), { outcome: 'no_changes' });
  });
});

describe('classify: rate_limited', () => {
  it('subscription 5-hour limit: the epoch resetsAt wins over the minute-resolution text', () => {
    const t = "You've hit your 5-hour limit · resets 8:46am (America/Chicago)";
    const info = { rate_limit_info: { status: 'rejected', resetsAt: 1795272379, rateLimitType: 'five_hour' } };
    check(runOf([init(), rateEvent(1795272379, 'five_hour'),
      synthetic(t, { error: 'rate_limit', api_error_status: 429, api_error: 'usage_limit_reached', api_error_params: info, api_error_type: 'rate_limit_error' }),
      apiErrorResult(t, { api_error_status: 429, api_error: 'usage_limit_reached', api_error_type: 'rate_limit_error' })]), facts(), {
      outcome: 'rate_limited', counted: false, resetAt: 1795272379_000, limitType: 'five_hour', rule: 'rate_limit',
    });
  });
  it('weekly limit from the synthetic line alone', () => {
    const t = "You've hit your weekly limit · resets Nov 25, 5:46am (America/Chicago)";
    check(runOf([init(), synthetic(t, { api_error_status: 429, api_error: 'usage_limit_reached', api_error_params: { rate_limit_info: { resetsAt: 1795607175, rateLimitType: 'seven_day' } } }), apiErrorResult(t, { api_error_status: 429 })]),
      facts(), { outcome: 'rate_limited', resetAt: 1795607175_000, limitType: 'seven_day' });
  });
  it('text only (older CLI): reset time read from the text in its zone', () => {
    check(runOf([init(), apiErrorResult("You've hit your session limit · resets 4pm (Europe/Berlin)")]), facts(), {
      outcome: 'rate_limited', resetAt: Date.parse('2026-11-21T15:00:00Z'), limitType: 'session',
    });
    check(runOf([init(), apiErrorResult('Claude AI usage limit reached|1795272379')]), facts(), { outcome: 'rate_limited', resetAt: 1795272379_000 });
  });
  it('API-key 429 after retries: no reset time, limitType api_key', () => {
    const t = "API Error: Request rejected (429) · This request would exceed your account's rate limit. Please try again later.";
    const c = check(runOf([init(), retry(429, 'rate_limit'), synthetic(t, { error: 'rate_limit', api_error_status: 429, api_error_type: 'rate_limit_error' }),
      apiErrorResult(t, { api_error_status: 429, api_error_type: 'rate_limit_error' })]), facts(), { outcome: 'rate_limited', counted: false, resetAt: null, limitType: 'api_key' });
    expect(c.reason).toMatch(/429/);
  });
  it('a 429 retried and then survived is not a rate limit', () => {
    check(runOf([init(), retry(429, 'rate_limit'), ...worked.slice(1), result()]), facts(), { outcome: 'no_changes' });
  });
});

describe('classify: a runaway printer', () => {
  it('killed past the transcript hard cap: infrastructure, never counted; a PR that exists still wins', () => {
    const c = check(runOf(worked, { killedFor: 'output', signal: 'SIGTERM' }), facts({ commitsAhead: 2 }), { outcome: 'infra_failed', counted: false, rule: 'output_cap' });
    expect(c.reason).toMatch(/printed more than 4 × agent\.transcript_max/);
    check(runOf(worked, { killedFor: 'output', signal: 'SIGTERM' }), facts({ prExists: true }), { outcome: 'pr_opened', rule: 'pr_exists' });
  });
});

describe('classify: timed_out and stalled', () => {
  it('counts both', () => {
    check(runOf(worked, { killedFor: 'timeout', signal: 'SIGTERM', durationMs: 3_600_000 }), facts({ commitsAhead: 1 }), { outcome: 'timed_out', counted: true, rule: 'timeout' });
    const c = check(runOf(worked.slice(0, 3), { killedFor: 'stall', signal: 'SIGKILL' }), facts(), { outcome: 'stalled', counted: true, rule: 'stall' });
    expect(c.reason).toContain('Bash: npm test');
  });
});

describe('classify: infra_failed', () => {
  it('spawn error names agent.command', () => {
    const c = check(runOf([], { spawnError: 'spawn claude ENOENT', exitCode: null, durationMs: 5 }), facts(), { outcome: 'infra_failed', counted: false, rule: 'spawn_error' });
    expect(c.reason).toMatch(/ENOENT.*agent\.command/);
  });
  it('startup error: no result line, stderr quoted', () => {
    const c = check(runOf([], { stderrTail: "error: unknown option '--bogus'\n", durationMs: 300 }), facts(), { outcome: 'infra_failed', counted: false, rule: 'startup_error' });
    expect(c.reason).toContain("unknown option '--bogus'");
  });
  it('startup error even when slow (no model turn, no result)', () => {
    check(runOf([init()], { durationMs: 60_000, exitCode: 1 }), facts(), { outcome: 'infra_failed', rule: 'startup_error' });
  });
  it('529 / 500 / connection refused / request timed out after retries', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['API Error: Repeated 529 Overloaded errors. The API is at capacity.', { error: 'server_error', api_error_status: 529, api_error_type: 'overloaded_error' }],
      ['API Error: 500 Internal server error. This is a server-side issue.', { error: 'server_error', api_error_status: 500, api_error_type: 'api_error' }],
      ['API Error: Connection refused — a firewall or proxy may be blocking it (ECONNREFUSED)', { error: 'server_error', api_error: 'connection_failed' }],
      ['Request timed out. If the API is slow to answer, set API_TIMEOUT_MS above 3000.', { error: 'server_error' }],
    ];
    for (const [t, extra] of cases) {
      const status = extra.api_error_status ?? null;
      const c = check(runOf([init(), retry(status as number | null, 'overloaded'), synthetic(t, extra), apiErrorResult(t, { api_error_status: status })]), facts(), {
        outcome: 'infra_failed', counted: false, rule: 'api_unavailable',
      });
      expect(c.reason).toContain(t.split('. ')[0]!.replace(/\.$/, ''));
    }
  });
  it('5xx after model turns is still infrastructure (text only, older CLI)', () => {
    check(runOf([...worked, apiErrorResult('API Error: 500 Internal server error')]), facts(), { outcome: 'infra_failed', rule: 'api_unavailable' });
  });
  it('model not found (404) is a configuration problem naming agent.models', () => {
    const t = "There's an issue with the selected model (claude-nonexistent). It may not exist or you may not have access to it.";
    const c = check(runOf([init('claude-nonexistent'), synthetic(t, { error: 'model_not_found', api_error_status: 404, api_error_type: 'not_found_error' }), apiErrorResult(t, { api_error_status: 404 })]),
      facts(), { outcome: 'infra_failed', counted: false, rule: 'model_not_found' });
    expect(c.reason).toMatch(/claude-nonexistent.*agent\.models/);
  });
  it('exit before any model turn within fast_fail', () => {
    check(runOf([init(), apiErrorResult('API Error: 400 something odd', { api_error_status: 400 })], { durationMs: 800 }), facts(), {
      outcome: 'infra_failed', counted: false, rule: 'fast_fail',
    });
  });
  it('no result line after model turns: crashed or killed from outside', () => {
    const c = check(runOf(worked, { exitCode: null, signal: 'SIGKILL' }), facts({ commitsAhead: 1 }), { outcome: 'infra_failed', counted: false, rule: 'no_result' });
    expect(c.reason).toContain('SIGKILL');
  });
});

describe('classify: start-up refusals (zeroed error_during_execution before any model turn)', () => {
  // The shape 2.1.332 writes (test/fixtures/claude/config-invalid.stdout.jsonl): no init, one result line.
  const refused = (reason: string | null, errors: string[], extra: Record<string, unknown> = {}) =>
    result({ subtype: 'error_during_execution', is_error: true, num_turns: 0, total_cost_usd: 0, duration_ms: 0, errors, result: undefined,
      terminal_reason: undefined, ...(reason ? { startup_failure_reason: reason } : {}), ...extra });

  it('config_file_invalid and org_config_refused pause like a dead login, never counted, with the fix in the reason', () => {
    const text = "Configuration error in /home/u/.claude.json: JSON Parse error: Expected '}'\nNo backup of this file was found.";
    const c = check(runOf([refused('config_file_invalid', [text], { invalid_config_file: { path: '/home/u/.claude.json', is_global: true } })], { durationMs: 700 }), facts(), {
      outcome: 'auth_failed', counted: false, rule: 'startup_refused',
    });
    expect(c.reason).toMatch(/^Claude Code refused to start \(config_file_invalid\) \(\/home\/u\/\.claude\.json\): Configuration error in .*repair the JSON.*then `swarm resume`$/);
    const o = check(runOf([refused('org_config_refused', ['Your organization requires …'])], { durationMs: 900 }), facts(), { outcome: 'auth_failed', counted: false, rule: 'startup_refused' });
    expect(o.reason).toMatch(/org_config_refused.*sign in again.*then `swarm resume`/);
  });
  it('a refusal that says retrying may succeed is infrastructure (and an unknown reason too): never counted', () => {
    check(runOf([refused('org_config_required_unavailable', ['could not load'])]), facts(), { outcome: 'infra_failed', counted: false, rule: 'startup_failure' });
    check(runOf([refused('some_future_reason', ['no idea'])]), facts(), { outcome: 'infra_failed', counted: false, rule: 'startup_failure' });
  });
  it('a zeroed error_during_execution without a reason, before any turn, is infrastructure — even slower than fast_fail', () => {
    const c = check(runOf([refused(null, ['No conversation found with session ID: 9999'])], { durationMs: 60_000 }), facts(), {
      outcome: 'infra_failed', counted: false, rule: 'zeroed_result',
    });
    expect(c.reason).toContain('No conversation found');
  });
});

describe('classify: the new auth kinds (api_retry and synthetic errors) pause with their own fix', () => {
  it('each kind of the auth table: early kill or final error, never counted', () => {
    const fixes: Record<string, RegExp> = {
      oauth_org_not_allowed: /API key.*admin/, account_on_hold: /claude\.ai\/restricted/, verification_required: /verification/, cloud_credential_error: /cloud credentials/,
    };
    for (const [kind, fix] of Object.entries(fixes)) {
      const killed = check(runOf([init(), retry(null, kind)], { killedFor: 'auth', exitCode: null, signal: 'SIGTERM' }), facts(), { outcome: 'auth_failed', counted: false, rule: 'auth' });
      expect(killed.reason).toMatch(fix);
      expect(killed.reason).toMatch(/then `swarm resume`$/);
      // Not killed (the early kill is off for some reason): the final synthetic error, with no HTTP status.
      const ended = check(runOf([init(), synthetic('Something went wrong', { error: kind }), apiErrorResult('Something went wrong')]), facts(), { outcome: 'auth_failed', counted: false });
      expect(ended.reason).toMatch(fix);
    }
  });
  it('the final kind wins over the retries (2.1.332: 401 retries say authentication_failed, the end says oauth_org_not_allowed)', () => {
    const t = 'Your organization has disabled Claude subscription access for Claude Code · Use an Anthropic API key instead, or ask your admin to enable access';
    const c = check(runOf([init(), retry(401, 'authentication_failed'), synthetic(t, { error: 'oauth_org_not_allowed', api_error_status: 401 }), apiErrorResult(t, { api_error_status: 401 })]),
      facts(), { outcome: 'auth_failed' });
    expect(c.reason).toContain('oauth_org_not_allowed');
  });
});

describe('classify: usage limits on extra usage and on one model family', () => {
  const overage = (resetsAt: number) => ({ type: 'rate_limit_event', rate_limit_info: { status: 'rejected', resetsAt, rateLimitType: 'five_hour', overageStatus: 'allowed', isUsingOverage: true }, session_id: SID });
  it('a run served from paid extra usage is not a rate limit: it is classified on its work', () => {
    check(runOf([init(), overage(1795272379), ...worked.slice(1), result()], { exitCode: 0 }), facts({ commitsAhead: 1 }), { outcome: 'pr_auto_opened', counted: false });
    check(runOf([init(), overage(1795272379), ...worked.slice(1), result()], { exitCode: 0 }), facts(), { outcome: 'no_changes', counted: true });
  });
  it('killed for extra usage (agent.use_extra_usage: false): a usage limit until the window resets', () => {
    const c = check(runOf([init(), overage(1795272379), say('Working.')], { killedFor: 'limit', exitCode: null, signal: 'SIGTERM' }), facts(), {
      outcome: 'rate_limited', counted: false, resetAt: 1795272379_000, limitType: 'five_hour', rule: 'rate_limit',
    });
    expect(c.reason).toContain('agent.use_extra_usage is false');
  });
  it("a weekly Opus limit says only Opus attempts wait (2.1.332's text has no date: resetsAt wins)", () => {
    const t = "You've hit your Opus limit · resets 7:19pm (UTC)";
    const info = { rate_limit_info: { status: 'rejected', resetsAt: 1796671163, rateLimitType: 'seven_day_opus', isUsingOverage: false } };
    const c = check(runOf([init('claude-opus-4-5'), rateEvent(1796671163, 'seven_day_opus'),
      synthetic(t, { error: 'rate_limit', api_error_status: 429, api_error: 'usage_limit_reached', api_error_params: info }),
      apiErrorResult(t, { api_error_status: 429, api_error: 'usage_limit_reached', api_error_type: 'rate_limit_error' })]), facts(), {
      outcome: 'rate_limited', counted: false, resetAt: 1796671163_000, limitType: 'seven_day_opus',
    });
    expect(c.reason).toMatch(/weekly Opus limit reached \(seven_day_opus\).*only Opus attempts wait/);
    // Text only: the family is still read.
    check(runOf([init(), apiErrorResult(t)]), facts(), { outcome: 'rate_limited', limitType: 'seven_day_opus' });
  });
});

describe('classify: agent_error', () => {
  it('max turns, budget, error during execution', () => {
    check(runOf([...worked, result({ subtype: 'error_max_turns', is_error: true, terminal_reason: 'max_turns', errors: ['Reached maximum number of turns (60)'] })]), facts(), {
      outcome: 'agent_error', counted: true, reason: 'hit max_turns (60) before finishing', rule: 'agent_error',
    });
    const b = check(runOf([...worked, result({ subtype: 'error_max_budget_usd', is_error: true, errors: ['Reached maximum budget ($2.5)'] })]), facts(), { outcome: 'agent_error', counted: true });
    expect(b.reason).toContain('--max-budget-usd budget ($2.5)');
    // error_during_execution after the model worked is the agent's failure.
    const d = check(runOf([...worked, result({ subtype: 'error_during_execution', is_error: true, num_turns: 3, errors: ['Tool crashed'] })]),
      facts(), { outcome: 'agent_error', counted: true });
    expect(d.reason).toContain('Tool crashed');
  });
  it('an unrecognised API error after model turns counts, whatever the exit code', () => {
    check(runOf([...worked, apiErrorResult('API Error: 400 prompt is too long', { api_error_status: 400 })], { exitCode: 0 }), facts({ commitsAhead: 3 }), {
      outcome: 'agent_error', counted: true,
    });
  });
});

describe('classify: success rows', () => {
  it('commits ahead and auto-open allowed → pr_auto_opened, not counted', () => {
    check(runOf([...worked, result()], { exitCode: 0 }), facts({ commitsAhead: 2 }), { outcome: 'pr_auto_opened', counted: false, rule: 'auto_open' });
  });
  it('commits ahead but auto-open off → no_changes with its own reason', () => {
    const c = check(runOf([...worked, result()], { exitCode: 0 }), facts({ commitsAhead: 2, canAutoOpen: false }), { outcome: 'no_changes', counted: true, rule: 'commits_without_pr' });
    expect(c.reason).toContain('pr.auto_open');
  });
  it('clean finish without commits → no_changes (even with exit code 1), permission denials mentioned', () => {
    check(runOf([...worked, result()], { exitCode: 1 }), facts(), { outcome: 'no_changes', counted: true, reason: 'finished without commits or a PR', rule: 'no_changes' });
    const c = check(runOf([...worked, result({ permission_denials: [{ tool_name: 'Bash' }] })], { exitCode: 0 }), facts(), { outcome: 'no_changes' });
    expect(c.reason).toContain('1 tool call(s) denied');
  });
});

describe('the table', () => {
  it('has unique names in the documented order', () => {
    expect(new Set(RULE_NAMES).size).toBe(RULE_NAMES.length);
    const order = ['cancelled', 'pr_exists', 'startup_refused', 'startup_failure', 'auth', 'rate_limit', 'timeout', 'stall', 'zeroed_result', 'agent_error', 'auto_open', 'no_changes'];
    const idx = order.map((n) => RULE_NAMES.indexOf(n));
    expect(idx.every((i) => i >= 0)).toBe(true);
    expect([...idx].sort((a, b) => a - b)).toEqual(idx);
    expect(RULE_NAMES[RULE_NAMES.length - 1]).toBe('no_changes');
  });
  afterAll(() => {
    // Every row of the table is exercised by at least one case above.
    expect([...RULE_NAMES].filter((n) => !seenRules.has(n))).toEqual([]);
  });
});
