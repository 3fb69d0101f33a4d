import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/schema.js';
import type { Config } from '../../src/config/types.js';
import type { Ticket } from '../../src/tracker/types.js';
import type { Classification } from '../../src/agent/types.js';
import { emptyState } from '../../src/state/empty-state.js';
import { AUTH_KINDS } from '../../src/core/auth-kinds.js';
import { emptyAccount, withModelLimit } from '../../src/core/account-record.js';
import { activePause, backoffMs, canaryPassed, capacity, choose, earlyKill, eligibility, modelFor, needsCanary, pauseJitterMs, spawnGate, trackerPause } from '../../src/core/policy.js';
import { idleVerdict, nextWakeMs } from '../../src/core/idle.js';
import { budgetStop, remainingBudget } from '../../src/core/budget.js';
import { breakerStep, effectOf } from '../../src/core/outcome.js';
import { claim } from '../../src/core/lifecycle.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const config = (raw: Record<string, unknown> = {}): Config => validateConfig(raw, { file: 'WORKFLOW.md', env: {} }).config;

function ticket(over: Partial<Ticket> = {}): Ticket {
  return { key: '1', id: '1', identifier: '#1', number: 1, title: 'T', body: '', url: 'u', labels: ['agent'], priority: 4, state: 'open', open: true, phase: 'todo', created_at: '2026-01-01T00:00:00Z', updated_at: '', blockers: [], branch_hint: null, ...over };
}
const ctx = (cfg = config(), state = emptyState(NOW), running = new Set<string>()) => ({ config: cfg, state, now: NOW, running });
const failing = (t: Ticket, c = ctx()) => eligibility(t, c).filter((r) => !r.pass).map((r) => r.rule);
const cls = (outcome: Classification['outcome'], over: Partial<Classification> = {}): Classification => ({ outcome, counted: false, reason: outcome, resetAt: null, limitType: null, rule: outcome, ...over });

describe('eligibility', () => {
  it('accepts an open labelled ticket', () => {
    expect(failing(ticket())).toEqual([]);
  });
  it('names each rule that blocks', () => {
    expect(failing(ticket({ open: false, state: 'closed' }))).toEqual(['open']);
    expect(failing(ticket({ labels: [] }))).toEqual(['labels']);
    expect(failing(ticket({ labels: ['agent', 'Blocked'] }))).toEqual(['exclude_labels']);
    expect(failing(ticket({ labels: ['agent', 'agent:review'] }))).toEqual(['handed_off']);
    expect(failing(ticket({ labels: ['agent', 'agent:failed'] }))).toEqual(['handed_off']);
    expect(failing(ticket({ labels: ['agent', 'agent:running'] }))).toEqual(['claimed_elsewhere']);
    expect(failing(ticket({ blockers: ['#9'] }))).toEqual(['blockers']);
    expect(failing(ticket(), ctx(config(), emptyState(NOW), new Set(['1'])))).toEqual(['running']);
  });
  it('lets this daemon resume its own claim', () => {
    const state = emptyState(NOW);
    state.tickets['1'] = { ...claim(undefined, ticket(), 'swarm/1-t', '/w', NOW).ticket!, status: 'retry_wait', next_retry_at: new Date(NOW - 1).toISOString() };
    expect(failing(ticket({ labels: ['agent', 'agent:running'] }), ctx(config(), state))).toEqual([]);
    state.tickets['1'].next_retry_at = new Date(NOW + 60_000).toISOString();
    const rules = eligibility(ticket({ labels: ['agent', 'agent:running'] }), ctx(config(), state));
    expect(rules.find((r) => r.rule === 'retry_wait')).toMatchObject({ pass: false, detail: expect.stringMatching(/retry due in 1m/) });
  });
  it('stops at max_attempts and while paused or over budget', () => {
    const state = emptyState(NOW);
    state.tickets['1'] = { ...claim(undefined, ticket(), 'b', '/w', NOW).ticket!, status: 'failed', failures: 3 };
    expect(failing(ticket(), ctx(config(), state))).toEqual(['attempts']);
    const paused = emptyState(NOW);
    paused.pause = { kind: 'rate_limit', reason: 'limit', since: '', until: new Date(NOW + 1000).toISOString(), limit_type: 'five_hour' };
    expect(failing(ticket(), ctx(config(), paused))).toEqual(['pause']);
    const spent = emptyState(NOW);
    spent.daily.cost_usd = 10;
    expect(failing(ticket(), ctx(config({ budget: { daily_usd: 10 } }), spent))).toEqual(['budget']);
    const perTicket = emptyState(NOW);
    perTicket.tickets['1'] = { ...claim(undefined, ticket(), 'b', '/w', NOW).ticket!, status: 'retry_wait', cost_usd: 2 };
    expect(failing(ticket({ labels: ['agent', 'agent:running'] }), ctx(config({ agent: { max_cost_usd: 2 } }), perTicket))).toEqual(['budget']);
  });
  it('checks Linear states', () => {
    const cfg = config({ tracker: { kind: 'linear', team: 'ENG' } });
    expect(failing(ticket({ state: 'Todo' }), ctx(cfg))).toEqual([]);
    expect(failing(ticket({ state: 'Backlog', phase: 'other' }), ctx(cfg))).toEqual(['state']);
  });
});

describe('choose', () => {
  it('orders by priority, then age, then key', () => {
    const list = [
      ticket({ key: '3', priority: 2, created_at: '2026-01-03' }),
      ticket({ key: '1', priority: 4, created_at: '2026-01-01' }),
      ticket({ key: '2', priority: 2, created_at: '2026-01-02' }),
      ticket({ key: '4', priority: 0, created_at: '2026-01-09' }),
      ticket({ key: '5', priority: 0, created_at: '2026-01-09', labels: [] }),
    ];
    expect(choose(list, ctx()).map((t) => t.key)).toEqual(['4', '2', '3', '1']);
  });
});

describe('ladder, backoff, capacity, budget', () => {
  it('escalates by counted failures and repeats the last model', () => {
    const models = ['sonnet', 'sonnet', 'opus'];
    expect([0, 1, 2, 3, 7].map((n) => modelFor(n, models))).toEqual(['sonnet', 'sonnet', 'opus', 'opus', 'opus']);
  });
  it('doubles backoff up to the cap', () => {
    expect([1, 2, 3, 4, 10].map((n) => backoffMs(n, 30_000, 100_000))).toEqual([30_000, 60_000, 100_000, 100_000, 100_000]);
  });
  it('allows one canary run after a pause', () => {
    const state = emptyState(NOW);
    expect(capacity(config(), state, 1)).toBe(2);
    state.canary = true;
    expect(capacity(config(), state, 0)).toBe(1);
    expect(capacity(config(), state, 1)).toBe(0);
  });
  it('passes the remaining per-ticket budget down', () => {
    const ts = { ...claim(undefined, ticket(), 'b', '/w', NOW).ticket!, cost_usd: 1.25 };
    expect(remainingBudget(config({ agent: { max_cost_usd: 5 } }), ts)).toBe(3.75);
    expect(remainingBudget(config(), ts)).toBeNull();
  });
  it('treats an expired pause as inactive', () => {
    expect(activePause({ kind: 'breaker', reason: '', since: '', until: new Date(NOW - 1).toISOString(), limit_type: null }, NOW)).toBeNull();
    expect(activePause({ kind: 'auth', reason: '', since: '', until: null, limit_type: null }, NOW)).not.toBeNull();
  });
});

describe('effects of outcomes', () => {
  const cfg = config({ agent: { retry_backoff: '10s', max_retry_backoff: '1m', max_attempts: 3 } });
  it('hands off PRs, retries counted failures with backoff, fails at max_attempts', () => {
    expect(effectOf(cls('pr_opened'), 0, cfg, NOW, 0)).toEqual({ kind: 'handoff' });
    expect(effectOf(cls('pr_auto_opened'), 0, cfg, NOW, 0)).toEqual({ kind: 'handoff' });
    expect(effectOf(cls('no_changes', { counted: true }), 1, cfg, NOW, 0)).toMatchObject({ kind: 'retry', at: NOW + 10_000 });
    expect(effectOf(cls('stalled', { counted: true }), 2, cfg, NOW, 0)).toMatchObject({ kind: 'retry', at: NOW + 20_000 });
    expect(effectOf(cls('agent_error', { counted: true }), 3, cfg, NOW, 0)).toMatchObject({ kind: 'failed' });
  });
  it('pauses on limits until the reset plus jitter, and on auth until an operator acts', () => {
    const reset = NOW + 3_600_000;
    const e = effectOf(cls('rate_limited', { resetAt: reset, limitType: 'five_hour' }), 0, cfg, NOW, 1234);
    expect(e).toMatchObject({ kind: 'pause', retryAt: reset + 1234, pause: { kind: 'rate_limit', limit_type: 'five_hour', until: new Date(reset + 1234).toISOString() } });
    expect(effectOf(cls('rate_limited'), 0, cfg, NOW, 0)).toMatchObject({ kind: 'pause', retryAt: NOW + 300_000 });
    expect(effectOf(cls('auth_failed'), 0, cfg, NOW, 0)).toMatchObject({ kind: 'pause', retryAt: null, pause: { kind: 'auth', until: null } });
  });
  it('retries infra failures without counting them', () => {
    expect(effectOf(cls('infra_failed'), 2, cfg, NOW, 0)).toMatchObject({ kind: 'retry', at: NOW + 10_000 });
  });
});

describe('circuit breaker', () => {
  const run = (seq: boolean[]) => {
    let b = { recent: [] as boolean[], consecutive: 0, level: 0 };
    const pauses: (string | null)[] = [];
    for (const infra of seq) {
      const s = breakerStep(b, infra, NOW);
      b = s.breaker;
      pauses.push(s.pause?.until ?? null);
    }
    return { b, pauses };
  };
  it('trips on three in a row, pausing 5 minutes, doubling each time up to an hour', () => {
    const { pauses, b } = run([true, true, true]);
    expect(pauses).toEqual([null, null, new Date(NOW + 300_000).toISOString()]);
    let br = b;
    const lengths: number[] = [];
    for (let i = 0; i < 6; i++) {
      let s = breakerStep(br, true, NOW);
      s = breakerStep(s.breaker, true, NOW);
      s = breakerStep(s.breaker, true, NOW);
      lengths.push((Date.parse(s.pause!.until!) - NOW) / 60_000);
      br = s.breaker;
    }
    expect(lengths).toEqual([10, 20, 40, 60, 60, 60]);
  });
  it('trips on 4 of the last 5 and resets after a good run', () => {
    expect(run([true, true, false, true, true]).pauses.at(-1)).not.toBeNull();
    expect(run([true, true, false, true, false]).pauses.every((p) => p === null)).toBe(true);
    expect(run([true, true, false]).b).toMatchObject({ consecutive: 0, level: 0 });
  });
});

describe('the canary after a pause', () => {
  it('follows the pauses that say something about the way to the model, not an operator or the tracker', () => {
    expect((['rate_limit', 'auth', 'breaker', 'operator', 'tracker'] as const).map((k) => needsCanary(k))).toEqual([true, true, true, false, false]);
  });
  it("with a shared account a usage limit's canary is the account's, not one per daemon", () => {
    expect((['rate_limit', 'auth', 'breaker', 'operator', 'tracker'] as const).map((k) => needsCanary(k, true))).toEqual([false, true, true, false, false]);
  });
  it('passes on a real model turn, or after fast_fail with no API retries under it', () => {
    expect(canaryPassed({ sawModelTurn: true, apiRetries: [] }, 0, 10_000)).toBe(true);
    expect(canaryPassed({ sawModelTurn: false, apiRetries: [] }, 9_999, 10_000)).toBe(false);
    expect(canaryPassed({ sawModelTurn: false, apiRetries: [] }, 10_000, 10_000)).toBe(true);
    expect(canaryPassed({ sawModelTurn: false, apiRetries: [{ errorStatus: 529, error: 'overloaded' }] }, 60_000, 10_000)).toBe(false);
  });
});

describe('the spawn gate (the last moment before an agent starts)', () => {
  const ts = () => claim(undefined, ticket(), 'b', '/w', NOW).ticket!;
  it('lets a run through when nothing holds it', () => {
    expect(spawnGate(config(), emptyState(NOW), ts(), NOW, 2)).toBeNull();
  });
  it('holds it for every kind of pause, a spent budget, and while another run is the canary', () => {
    for (const kind of ['rate_limit', 'auth', 'breaker', 'operator', 'tracker'] as const) {
      const state = emptyState(NOW);
      state.pause = { kind, reason: `${kind} pause`, since: '', until: kind === 'auth' ? null : new Date(NOW + 1000).toISOString(), limit_type: null };
      expect(spawnGate(config(), state, ts(), NOW, 0)).toMatch(new RegExp(`${kind} pause`));
      expect(spawnGate(config(), state, ts(), NOW + 2000, 0) === null).toBe(kind !== 'auth'); // a timed pause that ended holds nothing
    }
    const spent = emptyState(NOW);
    spent.daily.cost_usd = 10;
    expect(spawnGate(config({ budget: { daily_usd: 10 } }), spent, ts(), NOW, 0)).toMatch(/budget.daily_usd/);
    expect(spawnGate(config({ agent: { max_cost_usd: 1 } }), emptyState(NOW), { ...ts(), cost_usd: 1 }, NOW, 0)).toMatch(/max_cost_usd/);
    const canary = emptyState(NOW);
    canary.canary = true;
    expect(spawnGate(config(), canary, ts(), NOW, 0)).toBeNull(); // the canary itself
    expect(spawnGate(config(), canary, ts(), NOW, 1)).toMatch(/canary/);
  });
});

describe('the loop: wake-up, --until-idle, tracker trouble, jitter, early kill', () => {
  const listed = (...keys: string[]) => new Set(keys);
  it('wakes for the next poll, a due retry or the end of a timed pause, whichever is first', () => {
    const state = emptyState(NOW);
    expect(nextWakeMs(state, NOW, 30_000, NOW)).toBe(30_000);
    state.tickets['1'] = { ...claim(undefined, ticket(), 'b', '/w', NOW).ticket!, status: 'retry_wait', next_retry_at: new Date(NOW + 5000).toISOString() };
    expect(nextWakeMs(state, NOW, 30_000, NOW)).toBe(5000);
    state.pause = { kind: 'rate_limit', reason: '', since: '', until: new Date(NOW + 2000).toISOString(), limit_type: null };
    expect(nextWakeMs(state, NOW, 30_000, NOW)).toBe(2000);
    expect(nextWakeMs(state, NOW - 60_000, 30_000, NOW)).toBe(50); // overdue: soon, never a busy loop
  });
  it('--until-idle stops when nothing runs, is eligible or waits; waits out a timed pause; an open-ended one ends the run', () => {
    const cfg = config();
    const state = emptyState(NOW);
    expect(idleVerdict(cfg, state, { running: 0, eligible: 0, listed: listed(), now: NOW })).toEqual({ done: true, code: 0, message: null });
    expect(idleVerdict(cfg, state, { running: 1, eligible: 0, listed: listed(), now: NOW }).done).toBe(false);
    expect(idleVerdict(cfg, state, { running: 0, eligible: 2, listed: listed(), now: NOW }).done).toBe(false);
    expect(idleVerdict(cfg, state, { running: 0, eligible: Number.NaN, listed: listed(), now: NOW }).done).toBe(false); // the poll failed
    expect(idleVerdict(cfg, state, { running: 0, eligible: Number.NaN, listed: listed(), now: NOW, refused: 'Linear refuses SwarmCandidates as too complex' })).toMatchObject({ done: true, code: 2 }); // …for good
    state.tickets['1'] = { ...claim(undefined, ticket(), 'b', '/w', NOW).ticket!, status: 'retry_wait', next_retry_at: new Date(NOW + 5000).toISOString() };
    expect(idleVerdict(cfg, state, { running: 0, eligible: 0, listed: listed('1'), now: NOW }).done).toBe(false);
    expect(idleVerdict(cfg, state, { running: 0, eligible: 0, listed: listed(), now: NOW }).done).toBe(true); // no longer listed: not coming
    state.tickets['1'].cost_usd = 5;
    expect(idleVerdict(config({ agent: { max_cost_usd: 5 } }), state, { running: 0, eligible: 0, listed: listed('1'), now: NOW }).done).toBe(true); // its budget is spent
    state.pause = { kind: 'rate_limit', reason: 'limit', since: '', until: new Date(NOW + 1000).toISOString(), limit_type: null };
    expect(idleVerdict(cfg, { ...state, tickets: {} }, { running: 0, eligible: 0, listed: listed(), now: NOW }).done).toBe(false);
    state.pause = { kind: 'auth', reason: 'run /login', since: '', until: null, limit_type: null };
    expect(idleVerdict(cfg, state, { running: 0, eligible: 0, listed: listed(), now: NOW })).toMatchObject({ done: true, code: 1, message: expect.stringMatching(/run \/login/) });
    state.pause = { kind: 'operator', reason: 'paused', since: '', until: null, limit_type: null };
    expect(idleVerdict(cfg, state, { running: 0, eligible: 0, listed: listed(), now: NOW })).toMatchObject({ done: true, code: 0 });
  });
  it('a tracker rate limit pauses until the tracker\'s reset (a minute when it gives none); other errors do not pause', () => {
    expect(trackerPause({ kind: 'rate_limited', message: 'limited', retryAt: new Date(NOW + 9000).toISOString() }, NOW)).toMatchObject({ kind: 'tracker', until: new Date(NOW + 9000).toISOString() });
    expect(trackerPause({ kind: 'rate_limited', message: 'limited', retryAt: null }, NOW)).toMatchObject({ until: new Date(NOW + 60_000).toISOString() });
    expect(trackerPause({ kind: 'unavailable', message: '502' }, NOW)).toBeNull();
  });
  it('jitter is at most 5% of the wait, between 1 s and 30 s of spread', () => {
    expect(pauseJitterMs(NOW + 8000, NOW, 0.999)).toBe(999);
    expect(pauseJitterMs(NOW + 3_600_000, NOW, 0.5)).toBe(15_000);
    expect(pauseJitterMs(null, NOW, 0.5)).toBe(500);
  });
  it('kills at once on the first auth or billing retry, nothing else', () => {
    const retry = (error: string) => ({ type: 'api_retry', attempt: 1, retryDelayMs: 0, errorStatus: 401, error, raw: {} }) as const;
    expect(earlyKill(retry('authentication_failed'))).toBe('auth');
    expect(earlyKill(retry('billing_error'))).toBe('auth');
    expect(earlyKill(retry('overloaded'))).toBeNull();
  });
  it('kills on every kind of the one auth table (the ones 2.1.328 added too), and on extra usage only when it is not allowed', () => {
    const retry = (error: string) => ({ type: 'api_retry', attempt: 1, retryDelayMs: 0, errorStatus: null, error, raw: {} }) as const;
    for (const kind of Object.keys(AUTH_KINDS)) expect(earlyKill(retry(kind)), kind).toBe('auth');
    for (const kind of ['oauth_org_not_allowed', 'account_on_hold', 'verification_required', 'cloud_credential_error']) expect(AUTH_KINDS).toHaveProperty(kind);
    for (const kind of ['rate_limit', 'server_error', 'invalid_request', 'model_not_found', 'unknown', 'max_output_tokens']) expect(earlyKill(retry(kind)), kind).toBeNull();
    const ev = (isUsingOverage: boolean) => ({ type: 'rate_limit', status: 'rejected', resetsAt: 1, rateLimitType: 'five_hour', utilization: null, overageStatus: isUsingOverage ? 'allowed' : null, isUsingOverage, raw: {} }) as const;
    expect(earlyKill(ev(true))).toBeNull();
    expect(earlyKill(ev(true), true)).toBeNull();
    expect(earlyKill(ev(true), false)).toBe('limit');
    expect(earlyKill(ev(false), false)).toBeNull(); // a plain rejection ends the run by itself
  });
});

describe('issue 24: budgets Claude Code refuses, and weekly limits on one model family', () => {
  it('a remaining per-ticket budget below $0.0001 is a budget stop (never --max-budget-usd 0)', () => {
    const cfg = config({ agent: { max_cost_usd: 0.05 } });
    const ts = { ...claim(undefined, ticket(), 'b', '/w', NOW).ticket!, cost_usd: 0.04997 };
    expect(remainingBudget(cfg, ts)).toBeCloseTo(0.00003, 8);
    expect(budgetStop(cfg, emptyState(NOW), ts)).toBe('ticket spent $0.04997 of agent.max_cost_usd $0.05: the $0.00003 left is below the $0.0001 Claude Code needs for --max-budget-usd');
    expect(failing(ticket(), { ...ctx(cfg), state: { ...emptyState(NOW), tickets: { '1': ts } } })).toContain('budget');
    expect(spawnGate(cfg, emptyState(NOW), ts, NOW, 0)).toMatch(/below the \$0\.0001/);
    expect(budgetStop(cfg, emptyState(NOW), { ...ts, cost_usd: 0.0499 })).toBeNull(); // $0.0001 left still runs
  });
  it('a seven_day_opus limit holds only tickets whose next attempt is on Opus, in eligibility and in the spawn gate', () => {
    const cfg = config({ agent: { models: ['sonnet', 'opus'] } });
    const until = new Date(NOW + 86_400_000).toISOString();
    const record = withModelLimit(emptyAccount('acct'), 'opus', { until, reason: 'weekly Opus limit', limit_type: 'seven_day_opus', by: 'd1' }, NOW);
    const account = { record, self: 'd1' };
    const state = emptyState(NOW);
    const first = ticket({ key: '1' });
    const second = ticket({ key: '2', number: 2, identifier: '#2' });
    state.tickets['2'] = { ...claim(undefined, second, 'b2', '/w2', NOW).ticket!, status: 'retry_wait', failures: 1, next_retry_at: new Date(NOW - 1).toISOString() };
    const c = { ...ctx(cfg, state), account };
    expect(failing(first, c)).toEqual([]);
    const rules = eligibility(second, c);
    expect(rules.filter((r) => !r.pass).map((r) => r.rule)).toEqual(['pause']);
    expect(rules.find((r) => r.rule === 'pause')!.detail).toMatch(/weekly Opus limit \(seven_day_opus\).*holds opus attempts until/);
    const extra = (model: string) => ({ lane: 'normal' as const, model, backgroundRunning: 0, account });
    expect(spawnGate(cfg, state, undefined, NOW, 0, extra('sonnet'))).toBeNull();
    expect(spawnGate(cfg, state, state.tickets['2'], NOW, 0, extra('opus'))).toMatch(/Opus limit/);
    expect(spawnGate(cfg, state, state.tickets['2'], NOW, 0, extra('claude-opus-4-5'))).toMatch(/Opus limit/);
    // Once it ends, nothing holds anyone.
    expect(spawnGate(cfg, state, state.tickets['2'], NOW + 86_400_001, 0, extra('opus'))).toBeNull();
  });
  it('a usage limit on one family makes only that ticket wait; it pauses nothing', () => {
    const e = effectOf(cls('rate_limited', { resetAt: NOW + 3_600_000, limitType: 'seven_day_opus', reason: 'weekly Opus limit reached' }), 0, config(), NOW, 0);
    expect(e).toEqual({ kind: 'model_wait', family: 'opus', limit: { reason: 'weekly Opus limit reached', until: new Date(NOW + 3_600_000).toISOString(), limit_type: 'seven_day_opus' }, retryAt: NOW + 3_600_000 });
    expect(effectOf(cls('rate_limited', { resetAt: NOW + 3_600_000, limitType: 'seven_day' }), 0, config(), NOW, 0).kind).toBe('pause');
  });
});
