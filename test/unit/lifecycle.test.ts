// Every lifecycle transition, pure: what it does to the record, which events it implies, what a finished
// attempt trips — and that replaying the logged events (rebuild) gives back the records the live
// transitions produced. No daemon, no clock.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/schema.js';
import type { Config } from '../../src/config/types.js';
import type { Ticket } from '../../src/tracker/types.js';
import type { Classification, RunResult, StreamEvent } from '../../src/agent/types.js';
import type { SwarmState, TicketState } from '../../src/core/types.js';
import type { SwarmEvent } from '../../src/core/events.js';
import { emptyState } from '../../src/state/empty-state.js';
import { applyEvent } from '../../src/core/fold.js';
import { rebuildFromEvents } from '../../src/state/rebuild.js';
import { appearanceOf } from '../../src/core/appearance.js';
import * as L from '../../src/core/lifecycle.js';
import type { AttemptOutput } from '../../src/core/types.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const config = (raw: Record<string, unknown> = {}): Config => validateConfig(raw, { file: 'WORKFLOW.md', env: {} }).config;
const ticket: Ticket = { key: '1', id: '1', identifier: '#1', number: 1, title: 'T', body: '', url: 'u', labels: ['agent'], priority: 4, state: 'open', open: true, phase: 'todo', created_at: '2026-01-01T00:00:00Z', updated_at: '', blockers: [], branch_hint: null };
const cls = (outcome: Classification['outcome'], counted: boolean, over: Partial<Classification> = {}): Classification => ({ outcome, counted, reason: `${outcome} reason`, resetAt: null, limitType: null, rule: outcome, ...over });

type Result = Extract<StreamEvent, { type: 'result' }>;
function run(result: Partial<Result> | null, over: Partial<RunResult> = {}): RunResult {
  const r: Result | null = result && {
    type: 'result', subtype: 'success', isError: false, result: 'Done.', numTurns: 1, durationMs: 1, totalCostUsd: 0,
    usage: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 }, modelUsage: {}, terminalReason: null, apiErrorStatus: null,
    apiErrorType: null, apiError: null, errors: [], permissionDenials: 0, sessionId: 's', startupFailureReason: null, invalidConfigPath: null, raw: {}, ...result,
  };
  return {
    exitCode: 0, signal: null, killedFor: null, durationMs: 1000, stderrTail: '', spawnError: null, held: null,
    summary: { sessionId: 's', model: 'sonnet', sawModelTurn: true, lines: 3, bytes: 100, badLines: 0, lastText: 'Done.', apiRetries: [], rateLimit: null, window: null, syntheticError: null, result: r, lastActivity: 'result' },
    ...over,
  };
}
const output = (c: Classification, r: RunResult | null = run({}), pr: AttemptOutput['pr'] = null): AttemptOutput => ({ cls: c, pr, run: r, held: null, started: true });

/** A world that commits steps like the ledger does (fold, keep the events) without any I/O. */
function world(cfg = config()) {
  const state = emptyState(NOW);
  const log: SwarmEvent[] = [];
  const commit = <S extends L.Step>(step: S): S => {
    for (const ev of step.events) {
      applyEvent(state, ev);
      log.push(ev);
    }
    return step;
  };
  const ts = (): TicketState => state.tickets['1']!;
  const claimed = (t = NOW) => commit(L.claim(state.tickets['1'], ticket, 'swarm/1-t', '/w/swarm-1-t', t));
  const attempt = (c: Classification, r: RunResult | null = run({}), at = NOW + 1000, pr: AttemptOutput['pr'] = null) => {
    commit(L.start(ts(), 'sonnet', `/runs/1/${ts().attempts.length + 1}.jsonl`, cfg.agent.max_attempts, at));
    return commit(L.finish(state, ts(), ts().attempts.length, output(c, r, pr), cfg, at + 1000, 0));
  };
  return { state, log, commit, ts, claimed, attempt, cfg };
}
const types = (s: L.Step) => s.events.map((e) => e.type);

describe('claim, start, spawned', () => {
  it('claim makes a record that the tracker has not confirmed; a second claim keeps the first branch', () => {
    const w = world();
    const s = w.claimed();
    expect(types(s)).toEqual(['claimed']);
    expect(w.ts()).toMatchObject({ status: 'claimed', branch: 'swarm/1-t', worktree: '/w/swarm-1-t', rev: 1, synced_rev: 0, claimed_at: iso(NOW) });
    w.commit(L.claim(w.ts(), { ...ticket, title: 'Renamed' }, 'swarm/1-renamed', '/w/other', NOW + 5));
    expect(w.ts()).toMatchObject({ branch: 'swarm/1-t', worktree: '/w/swarm-1-t', title: 'Renamed', rev: 2, claimed_at: iso(NOW) });
  });

  it('start records a running attempt on the next number; spawned adds its pid without a new revision', () => {
    const w = world();
    w.claimed();
    expect(types(w.commit(L.start(w.ts(), 'opus', '/runs/1/1.jsonl', 3, NOW + 1)))).toEqual(['started']);
    expect(w.ts()).toMatchObject({ status: 'running', rev: 2 });
    expect(w.ts().attempts).toMatchObject([{ number: 1, model: 'opus', outcome: 'running', run_file: '/runs/1/1.jsonl', started_at: iso(NOW + 1) }]);
    w.commit(L.spawned(w.ts(), 1, 4242, '99', NOW + 2));
    expect(w.ts().attempts[0]).toMatchObject({ pid: 4242, pid_start: '99' });
    expect(w.ts().rev).toBe(2);
  });
});

describe('finish', () => {
  it('hands off a PR: review, PR recorded, cost per attempt, ticket and day', () => {
    const w = world();
    w.claimed();
    const s = w.attempt(cls('pr_opened', false), run({ totalCostUsd: 0.03, modelUsage: { a: { costUSD: 0.03, input: 10, output: 2, cacheRead: 0, cacheCreation: 0 } } }), NOW + 1000, { number: 9, url: 'https://x/pull/9', state: 'open', branch: 'swarm/1-t' });
    expect(types(s)).toEqual(['finished', 'pr_opened']);
    expect(w.ts()).toMatchObject({ status: 'review', pr: { number: 9, url: 'https://x/pull/9' }, cost_usd: 0.03, failures: 0 });
    expect(w.ts().attempts[0]).toMatchObject({ outcome: 'pr_opened', counted: false, cost_usd: 0.03, tokens: { input: 10, output: 2 }, pid: null });
    expect(w.state.daily).toMatchObject({ prs: 1, cost_usd: 0.03, attempts: { pr_opened: 1 } });
  });

  it('counts a real failure, schedules the retry with backoff, and fails the ticket at max_attempts', () => {
    const w = world(config({ agent: { max_attempts: 2, retry_backoff: '10s', max_retry_backoff: '1m' } }));
    w.claimed();
    const first = w.attempt(cls('no_changes', true));
    expect(types(first)).toEqual(['finished', 'retry_scheduled']);
    expect(w.ts()).toMatchObject({ status: 'retry_wait', failures: 1, next_retry_at: iso(NOW + 2000 + 10_000), retry_reason: 'no_changes reason' });
    const second = w.attempt(cls('stalled', true), run(null), NOW + 20_000);
    expect(types(second)).toEqual(['finished', 'ticket_failed']);
    expect(w.ts()).toMatchObject({ status: 'failed', failures: 2, next_retry_at: null });
  });

  it('gives up on a ticket whose agent.max_cost_usd is spent rather than wait for a retry it can never run', () => {
    const w = world(config({ agent: { max_cost_usd: 0.05, max_attempts: 5 } }));
    w.claimed();
    expect(types(w.attempt(cls('agent_error', true), run({ totalCostUsd: 0.03, isError: true })))).toEqual(['finished', 'retry_scheduled']);
    const s = w.attempt(cls('agent_error', true), run({ totalCostUsd: 0.03, isError: true }), NOW + 5000);
    expect(s.events.at(-1)).toMatchObject({ type: 'ticket_failed', reason: 'ticket spent $0.06 of agent.max_cost_usd $0.05' });
    expect(w.ts().status).toBe('failed');
  });

  it('a usage limit pauses until the reset plus jitter, counts nothing, and reports what it tripped', () => {
    const w = world();
    w.claimed();
    w.commit(L.start(w.ts(), 'sonnet', '/r', 3, NOW));
    const s = L.finish(w.state, w.ts(), 1, output(cls('rate_limited', false, { resetAt: NOW + 60_000, limitType: 'five_hour' }), run(null)), w.cfg, NOW + 1000, 777);
    w.commit(s);
    expect(types(s)).toEqual(['finished', 'paused', 'waiting']);
    expect(s.tripped.pause).toMatchObject({ kind: 'rate_limit', until: iso(NOW + 60_777), limit_type: 'five_hour' });
    expect(w.state.pause).toMatchObject({ kind: 'rate_limit', until: iso(NOW + 60_777) });
    expect(w.ts()).toMatchObject({ status: 'retry_wait', failures: 0, next_retry_at: iso(NOW + 60_777) });
    expect(w.ts().attempts[0]).toMatchObject({ outcome: 'rate_limited', counted: false });
  });

  it('a usage limit never lifts an open-ended auth pause', () => {
    const w = world();
    w.commit(L.pause({ kind: 'auth', reason: 'run /login', until: null, limit_type: null }, NOW));
    w.claimed();
    w.commit(L.start(w.ts(), 'sonnet', '/r', 3, NOW));
    const s = w.commit(L.finish(w.state, w.ts(), 1, output(cls('rate_limited', false, { resetAt: NOW + 60_000 }), run(null)), w.cfg, NOW + 1000, 0));
    expect(types(s)).toEqual(['finished', 'waiting']);
    expect(s.tripped.pause).toBeNull();
    expect(w.state.pause?.kind).toBe('auth');
  });

  it('a pause in force is never shortened by a later limit with an earlier (less jittered) reset', () => {
    const w = world();
    w.claimed();
    const limited = (jitter: number, at: number) => {
      w.commit(L.start(w.ts(), 'sonnet', '/r', 3, at));
      return w.commit(L.finish(w.state, w.ts(), w.ts().attempts.length, output(cls('rate_limited', false, { resetAt: NOW + 60_000 }), run(null)), w.cfg, at + 10, jitter));
    };
    expect(types(limited(900, NOW))).toEqual(['finished', 'paused', 'waiting']);
    const later = limited(100, NOW + 100);
    expect(types(later)).toEqual(['finished', 'waiting']);
    expect(later.tripped.pause).toBeNull();
    expect(w.state.pause?.until).toBe(iso(NOW + 60_900));
    expect(w.ts().next_retry_at).toBe(iso(NOW + 60_900)); // it waits for the pause in force
    expect(types(limited(2000, NOW + 200))).toEqual(['finished', 'paused', 'waiting']); // a longer one extends it
    expect(w.state.pause?.until).toBe(iso(NOW + 62_000));
  });

  it('three infrastructure failures in a row trip the breaker (reported, not diffed) and count nothing', () => {
    const w = world();
    w.claimed();
    const steps = [0, 1, 2].map((i) => w.attempt(cls('infra_failed', false), run(null), NOW + i * 10_000));
    expect(steps.map((s) => s.tripped.breaker === null)).toEqual([true, true, false]);
    expect(types(steps[2]!)).toEqual(['finished', 'paused', 'retry_scheduled']);
    expect(w.state.pause).toMatchObject({ kind: 'breaker' });
    expect(w.state.breaker).toMatchObject({ consecutive: 0, level: 1 });
    expect(w.ts().failures).toBe(0);
  });

  it('crossing budget.daily_usd is reported once', () => {
    const w = world(config({ budget: { daily_usd: 0.05 } }));
    w.claimed();
    expect(w.attempt(cls('no_changes', true), run({ totalCostUsd: 0.03 })).tripped.budget).toBeNull();
    const s = w.attempt(cls('no_changes', true), run({ totalCostUsd: 0.03 }), NOW + 9000);
    expect(s.tripped.budget).toMatch(/budget.daily_usd \$0.05/);
    expect(types(s)).toContain('budget_reached');
    expect(w.attempt(cls('no_changes', true), run({ totalCostUsd: 0.03 }), NOW + 19_000).tripped.budget).toBeNull();
  });

  it('a shutdown interrupts: not counted, resumes at once; breaker and canary untouched', () => {
    const w = world();
    w.state.canary = true;
    w.claimed();
    const s = w.attempt(cls('cancelled', false, { reason: 'interrupted by shutdown' }), run(null, { killedFor: 'shutdown' }));
    expect(types(s)).toEqual(['finished', 'interrupted']);
    expect(w.ts().attempts[0]).toMatchObject({ outcome: 'interrupted', counted: false });
    expect(w.ts()).toMatchObject({ status: 'retry_wait', failures: 0, next_retry_at: iso(NOW + 2000) });
    expect(w.state.breaker.recent).toEqual([]);
    expect(w.state.canary).toBe(true);
  });

  it('an attempt that ends after its ticket was cancelled is recorded, and the ticket stays released', () => {
    const w = world();
    w.claimed();
    w.commit(L.start(w.ts(), 'sonnet', '/r', 3, NOW));
    w.commit(L.cancel(w.ts(), 'the ticket was closed', { stoppingAgent: true, removingWorktree: true }, NOW + 10));
    const s = w.commit(L.finish(w.state, w.ts(), 1, output(cls('cancelled', false), run(null, { killedFor: 'cancel' })), w.cfg, NOW + 20, 0));
    expect(types(s)).toEqual(['finished']);
    expect(w.ts()).toMatchObject({ status: 'released', cleared: false });
    expect(w.ts().attempts[0]!.outcome).toBe('cancelled');
  });

  it('a run that reached the model ends the canary; an infrastructure failure does not', () => {
    const w = world();
    w.claimed();
    w.state.canary = true;
    w.attempt(cls('infra_failed', false), run(null));
    expect(w.state.canary).toBe(true);
    w.attempt(cls('no_changes', true));
    expect(w.state.canary).toBe(false);
  });
});

describe('hold, cancel, release, retry, interrupt', () => {
  it('hold: the gate refused the spawn — waits for the pause, no attempt, nothing counted', () => {
    const w = world();
    w.claimed();
    w.commit(L.pause({ kind: 'rate_limit', reason: 'usage limit', until: iso(NOW + 8000), limit_type: 'five_hour' }, NOW));
    const s = w.commit(L.hold(w.ts(), 'dispatch paused', w.state, NOW + 1));
    expect(types(s)).toEqual(['held']);
    expect(w.ts()).toMatchObject({ status: 'retry_wait', next_retry_at: iso(NOW + 8000), attempts: [], failures: 0, rev: 2 });
    w.commit(L.resume(w.state.pause!, 'ended', NOW + 9000));
    expect(w.commit(L.hold(w.ts(), 'canary first', w.state, NOW + 9001)).events[0]).toMatchObject({ due: iso(NOW + 9001) });
  });

  it('cancel and dropClaim release the claim and nothing else; retry clears every mark and the count', () => {
    const w = world();
    w.claimed();
    w.commit(L.cancel(w.ts(), 'excluded label blocked was added', { stoppingAgent: false, removingWorktree: false }, NOW + 1));
    expect(w.ts()).toMatchObject({ status: 'released', cleared: false, last_event: 'cancelled: excluded label blocked was added' });
    expect(appearanceOf(w.ts(), 3).mark).toBe('released');
    w.claimed(NOW + 2);
    w.commit(L.dropClaim(w.ts(), 'operator', 'released by an operator', NOW + 3));
    expect(w.ts()).toMatchObject({ status: 'released', cleared: false });
    w.claimed(NOW + 4);
    w.attempt(cls('no_changes', true));
    w.commit(L.finish(w.state, w.ts(), 1, output(cls('no_changes', true)), config({ agent: { max_attempts: 1 } }), NOW + 10, 0));
    w.commit(L.retry(w.ts(), 'operator', 'retry requested', NOW + 20));
    expect(w.ts()).toMatchObject({ status: 'released', cleared: true, failures: 0 });
    expect(w.ts().attempts.length).toBeGreaterThan(0); // history stays
    expect(appearanceOf(w.ts(), 3).mark).toBe('cleared');
  });

  it('interrupt: a running attempt becomes interrupted (not counted) and the claim resumes at once', () => {
    const w = world();
    w.claimed();
    w.commit(L.start(w.ts(), 'sonnet', '/r', 3, NOW));
    const s = w.commit(L.interrupt(w.ts(), 'daemon gone', NOW + 5000));
    expect(s.events[0]).toMatchObject({ type: 'interrupted', attempt: 1 });
    expect(w.ts()).toMatchObject({ status: 'retry_wait', next_retry_at: iso(NOW + 5000), failures: 0 });
    expect(w.ts().attempts[0]).toMatchObject({ outcome: 'interrupted', counted: false, duration_ms: 5000, ended_at: iso(NOW + 5000) });
  });
});

describe('scope: pause, resume, canary', () => {
  it('resume asks for a canary after a limit, a dead login or the breaker; not after an operator or tracker pause', () => {
    for (const [kind, canary] of [['rate_limit', true], ['auth', true], ['breaker', true], ['operator', false], ['tracker', false]] as const) {
      const w = world();
      w.commit(L.pause({ kind, reason: 'x', until: null, limit_type: null }, NOW));
      w.commit(L.resume(w.state.pause!, 'ok', NOW + 1));
      expect([kind, w.state.pause, w.state.canary]).toEqual([kind, null, canary]);
    }
    const w = world();
    w.state.canary = true;
    w.commit(L.canaryDone('#1', NOW));
    expect(w.state.canary).toBe(false);
  });
});

describe('the fold merges pauses from several daemons the same way in any order', () => {
  it('keeps the pause that lasts longest, and an open-ended one over a timed one', () => {
    const paused = (until: string | null, at = iso(NOW)) => ({ type: 'paused' as const, at, kind: 'rate_limit' as const, until, reason: 'limit', limit_type: 'five_hour' });
    const fold = (evs: ReturnType<typeof paused>[]) => {
      const s = emptyState(NOW);
      for (const e of evs) applyEvent(s, e);
      return s.pause?.until;
    };
    const long = paused(iso(NOW + 9000));
    const short = paused(iso(NOW + 4000), iso(NOW + 10));
    expect(fold([long, short])).toBe(iso(NOW + 9000));
    expect(fold([short, long])).toBe(iso(NOW + 9000));
    expect(fold([paused(null), long])).toBeNull();
    expect(fold([long, paused(null)])).toBeNull();
    // A pause that already ended is replaced by a new one, whatever its length.
    expect(fold([short, paused(iso(NOW + 6000), iso(NOW + 5000))])).toBe(iso(NOW + 6000));
  });
});

describe('appearance: the one status → tracker mapping', () => {
  it('maps every status to one mark, with the sticky and the PR', () => {
    const w = world();
    w.claimed();
    const at = (over: Partial<TicketState>) => appearanceOf({ ...w.ts(), ...over }, 3).mark;
    expect(['claimed', 'running', 'retry_wait', 'review', 'failed', 'released'].map((status) => at({ status } as Partial<TicketState>))).toEqual(['running', 'running', 'running', 'review', 'failed', 'released']);
    expect(at({ status: 'released', cleared: true })).toBe('cleared');
    const app = appearanceOf({ ...w.ts(), status: 'review', pr: { number: 3, url: 'https://x/pull/3' } }, 3);
    expect(app.pr).toMatchObject({ number: 3, url: 'https://x/pull/3', state: 'open', branch: 'swarm/1-t' });
    expect(app.sticky).toContain('<!-- swarm:status -->');
  });
});

describe('rebuild replays the same transitions', () => {
  it('the events a live run logged give back its records', () => {
    const w = world(config({ agent: { max_attempts: 3 } }));
    w.claimed();
    w.attempt(cls('no_changes', true));
    w.attempt(cls('rate_limited', false, { resetAt: NOW + 90_000 }), run(null), NOW + 4000);
    w.commit(L.resume(w.state.pause!, 'ended', NOW + 100_000));
    w.attempt(cls('pr_auto_opened', false), run({ totalCostUsd: 0.2 }), NOW + 110_000, { number: 5, url: 'https://x/pull/5', state: 'open', branch: 'swarm/1-t' });
    const logged = JSON.parse(JSON.stringify(w.log)) as Parameters<typeof rebuildFromEvents>[0];
    const rebuilt = rebuildFromEvents(logged, { now: NOW + 200_000 }).tickets['1']!;
    const live = w.ts();
    const strip = (t: TicketState) => ({ ...t, synced_rev: 0, attempts: t.attempts.map((a) => ({ ...a, pid: null, pid_start: null })) });
    expect(strip(rebuilt)).toEqual(strip(live));
  });
});
