// finishAttempt: what a finished run does to the persisted state (costs, tokens, budget stop, pauses)
// and the canary rule. Pure: no daemon, no clock.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/schema.js';
import type { Config } from '../../src/config/types.js';
import type { Ticket } from '../../src/tracker/types.js';
import type { Classification, RunResult, StreamEvent } from '../../src/agent/types.js';
import type { SwarmState, TicketState } from '../../src/state/types.js';
import { emptyState } from '../../src/state/file-store.js';
import { finishAttempt, newTicketState, startAttempt, tokensOf } from '../../src/orchestrator/transitions.js';
import { canaryPassed } from '../../src/orchestrator/canary.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const config = (raw: Record<string, unknown> = {}): Config => validateConfig(raw, { file: 'WORKFLOW.md', env: {} }).config;
const ticket: Ticket = { key: '1', id: '1', identifier: '#1', number: 1, title: 'T', body: '', url: 'u', labels: ['agent'], priority: 4, state: 'open', open: true, created_at: '2026-01-01T00:00:00Z', updated_at: '', blockers: [], branch_hint: null };
const cls = (outcome: Classification['outcome'], counted: boolean, over: Partial<Classification> = {}): Classification => ({ outcome, counted, reason: `${outcome} reason`, resetAt: null, limitType: null, rule: outcome, ...over });

type Result = Extract<StreamEvent, { type: 'result' }>;
function run(result: Partial<Result> | null): RunResult {
  const r: Result | null = result && {
    type: 'result', subtype: 'success', isError: false, result: 'Done.', numTurns: 1, durationMs: 1, totalCostUsd: 0,
    usage: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 }, modelUsage: {}, terminalReason: null, apiErrorStatus: null,
    apiErrorType: null, apiError: null, errors: [], permissionDenials: 0, sessionId: 's', raw: {}, ...result,
  };
  return {
    exitCode: 0, signal: null, killedFor: null, durationMs: 1000, stderrTail: '', spawnError: null,
    summary: { sessionId: 's', model: 'sonnet', sawModelTurn: true, lines: 3, bytes: 100, badLines: 0, lastText: 'Done.', apiRetries: [], rateLimit: null, syntheticError: null, result: r, lastActivity: 'result' },
  };
}

function finish(state: SwarmState, ts: TicketState, c: Classification, r: RunResult | null, cfg: Config) {
  const rec = startAttempt(ts, 'sonnet', (n) => `/runs/${n}.jsonl`, NOW);
  return { rec, effect: finishAttempt(state, ts, rec, { cls: c, pr: null, run: r }, cfg, NOW + 1000, 0) };
}

describe('finishAttempt', () => {
  it('records cost and tokens per attempt, per ticket and per day; tokens summed over modelUsage', () => {
    const state = emptyState(NOW);
    const ts = newTicketState(ticket, 'swarm/1-t', '/w', NOW);
    const usage = { input: 10, output: 5, cacheRead: 0, cacheCreation: 0 };
    const modelUsage = { 'claude-sonnet': { costUSD: 0.02, input: 100, output: 20, cacheRead: 7, cacheCreation: 1 }, 'claude-haiku': { costUSD: 0.01, input: 50, output: 5, cacheRead: 0, cacheCreation: 0 } };
    const { rec } = finish(state, ts, cls('no_changes', true), run({ totalCostUsd: 0.03, usage, modelUsage }), config());
    expect(rec.cost_usd).toBe(0.03);
    expect(rec.tokens).toEqual({ input: 150, output: 25, cacheRead: 7, cacheCreation: 1 });
    expect(ts.cost_usd).toBe(0.03);
    expect(state.daily.cost_usd).toBe(0.03);
    expect(state.daily.tokens.input).toBe(150);
    expect(tokensOf({ usage, modelUsage: {} })).toEqual(usage);
  });

  it('gives up on a ticket whose agent.max_cost_usd is spent instead of scheduling a retry it can never run', () => {
    const cfg = config({ agent: { max_cost_usd: 0.05, max_attempts: 5 } });
    const state = emptyState(NOW);
    const ts = newTicketState(ticket, 'swarm/1-t', '/w', NOW);
    expect(finish(state, ts, cls('agent_error', true), run({ totalCostUsd: 0.03, isError: true }), cfg).effect.kind).toBe('retry');
    const { effect } = finish(state, ts, cls('agent_error', true), run({ totalCostUsd: 0.03, isError: true }), cfg);
    expect(effect).toEqual({ kind: 'failed', reason: 'ticket spent $0.06 of agent.max_cost_usd $0.05' });
    expect(ts.status).toBe('failed');
    expect(ts.last_event).toContain('agent.max_cost_usd');
  });

  it('a rate-limit pause never lifts an auth pause that waits for an operator', () => {
    const state = emptyState(NOW);
    state.pause = { kind: 'auth', reason: 'run `claude` and /login', since: new Date(NOW).toISOString(), until: null, limit_type: null };
    const ts = newTicketState(ticket, 'swarm/1-t', '/w', NOW);
    finish(state, ts, cls('rate_limited', false, { resetAt: NOW + 60_000, limitType: 'five_hour' }), run(null), config());
    expect(state.pause?.kind).toBe('auth');
    expect(ts.status).toBe('retry_wait');
    // …while a timed pause is replaced by the newer one.
    state.pause = { kind: 'breaker', reason: 'b', since: new Date(NOW).toISOString(), until: new Date(NOW + 1000).toISOString(), limit_type: null };
    finish(state, ts, cls('rate_limited', false, { resetAt: NOW + 60_000, limitType: 'five_hour' }), run(null), config());
    expect(state.pause).toMatchObject({ kind: 'rate_limit', limit_type: 'five_hour', until: new Date(NOW + 60_000).toISOString() });
    expect(ts.failures).toBe(0);
  });
});

describe('canaryPassed', () => {
  it('passes on a real model turn, or after fast_fail with no API retries under it', () => {
    expect(canaryPassed({ sawModelTurn: true, apiRetries: [] }, 0, 10_000)).toBe(true);
    expect(canaryPassed({ sawModelTurn: false, apiRetries: [] }, 9_999, 10_000)).toBe(false);
    expect(canaryPassed({ sawModelTurn: false, apiRetries: [] }, 10_000, 10_000)).toBe(true);
    expect(canaryPassed({ sawModelTurn: false, apiRetries: [{ errorStatus: 529, error: 'overloaded' }] }, 60_000, 10_000)).toBe(false);
  });
});
