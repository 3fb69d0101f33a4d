// Operator controls as lifecycle steps (the same functions serve the control channel and a stopped daemon).
import { describe, expect, it } from 'vitest';
import type { Ticket } from '../../src/tracker/types.js';
import type { TicketState } from '../../src/core/types.js';
import { emptyState } from '../../src/state/empty-state.js';
import { applyEvent } from '../../src/core/fold.js';
import { claim, pause } from '../../src/core/lifecycle.js';
import { cancelControl, pauseControl, releaseControl, resumeControl, retryControl, type Control } from '../../src/core/controls.js';
import { eligibility } from '../../src/core/policy.js';
import { checkHolds } from '../../src/orchestrator/holds.js';
import { Ledger } from '../../src/state/ledger.js';
import { Logger } from '../../src/log/logger.js';
import { validateConfig } from '../../src/config/schema.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const ticket: Ticket = { key: '7', id: '7', identifier: '#7', number: 7, title: 'T', body: '', url: 'u', labels: ['agent'], priority: 4, state: 'open', open: true, phase: 'todo', created_at: '2026-01-01T00:00:00Z', updated_at: '', blockers: [], branch_hint: null };

function stateWith(status: TicketState['status'], failures = 0) {
  const state = emptyState(NOW);
  const ts = claim(undefined, ticket, 'swarm/7-t', '/wt/swarm-7-t', NOW).ticket!;
  state.tickets['7'] = { ...ts, status, failures, synced_rev: ts.rev };
  return state;
}
const commit = (state: ReturnType<typeof emptyState>, c: Control) => {
  for (const ev of c.step?.events ?? []) applyEvent(state, ev);
  return c;
};

describe('operator controls', () => {
  it('release drops a live claim: a step the tracker has not confirmed yet', () => {
    for (const status of ['claimed', 'running', 'retry_wait'] as const) {
      const state = stateWith(status, 1);
      const c = commit(state, releaseControl(state, '7', NOW));
      expect(c.result.ok).toBe(true);
      expect(c.step!.events.map((e) => e.type)).toEqual(['released']);
      const ts = state.tickets['7']!;
      expect(ts).toMatchObject({ status: 'released', failures: 1, next_retry_at: null, cleared: false });
      expect(ts.synced_rev).toBeLessThan(ts.rev);
    }
  });

  it('release of a failed or handed-off ticket changes nothing and points at retry', () => {
    for (const status of ['failed', 'review'] as const) {
      const state = stateWith(status, 3);
      const c = releaseControl(state, '7', NOW);
      expect(c.step).toBeNull();
      expect(c.result).toMatchObject({ ok: true });
      expect(c.result.message).toMatch(/swarm retry 7/);
    }
  });

  it('retry restarts the count of a failed ticket, keeps its history, clears its marks; refuses a running one', () => {
    const state = stateWith('failed', 3);
    state.tickets['7']!.attempts.push({ number: 1 } as never);
    const c = commit(state, retryControl(state, '7', NOW));
    expect(c.result.ok).toBe(true);
    expect(state.tickets['7']).toMatchObject({ status: 'released', failures: 0, cleared: true });
    expect(state.tickets['7']!.attempts).toHaveLength(1);
    const running = stateWith('running');
    expect(retryControl(running, '7', NOW)).toMatchObject({ step: null, result: { ok: false } });
    expect(retryControl(running, '8', NOW)).toMatchObject({ step: null, result: { ok: false } });
  });

  it('pause and resume: the canary rule is the loop\'s own (policy.needsCanary)', () => {
    const state = emptyState(NOW);
    commit(state, pauseControl(state, NOW + 60_000, NOW));
    expect(state.pause).toMatchObject({ kind: 'operator', until: new Date(NOW + 60_000).toISOString() });
    expect(commit(state, resumeControl(state, NOW)).result.message).toBe('resumed (was paused: operator)');
    expect(state).toMatchObject({ pause: null, canary: false });
    expect(resumeControl(state, NOW)).toMatchObject({ step: null, result: { message: 'dispatch was not paused' } });
    for (const ev of pause({ kind: 'tracker', reason: 'rate limited', until: null, limit_type: null }, NOW).events) applyEvent(state, ev);
    const c = commit(state, resumeControl(state, NOW));
    expect(c.result.message).toBe('resumed (was paused: tracker)');
    expect(state.canary).toBe(false); // the two copies once disagreed here
    for (const ev of pause({ kind: 'breaker', reason: 'b', until: null, limit_type: null }, NOW).events) applyEvent(state, ev);
    expect(commit(state, resumeControl(state, NOW)).result.message).toMatch(/one canary run goes first/);
    expect(state.canary).toBe(true);
  });

  it('retry refuses a handed-off, finished, closed or merely waiting ticket with the reason, unless --force', () => {
    for (const [status, open, why] of [
      ['review', true, /ticket #7 is handed off \(branch swarm\/7-t\): a retry would run another agent beside its pull request; `swarm retry 7 --force`/],
      ['done', true, /handed off \(branch swarm\/7-t, finished\)/],
      ['failed', false, /ticket #7 is closed on the tracker: there is nothing to run/],
      ['retry_wait', true, /ticket #7 has not failed: it already waits for its next attempt/],
    ] as const) {
      const state = stateWith(status, 2);
      const refused = retryControl(state, '7', NOW, { open });
      expect(refused.step).toBeNull();
      expect(refused.result).toMatchObject({ ok: false });
      expect(refused.result.message).toMatch(why);
      expect(retryControl(state, '7', NOW, { open, force: true }).result.ok).toBe(true);
    }
    expect(retryControl(stateWith('failed', 3), '7', NOW, { open: true }).result.ok).toBe(true);
    expect(retryControl(stateWith('failed', 3), '7', NOW, { open: null }).result.ok).toBe(true); // tracker unknown: the record decides
  });

  it('release holds a still-labelled ticket until its label is applied afresh (or a retry); cancel needs a running attempt', async () => {
    const config = validateConfig({}, { file: 'WORKFLOW.md', env: {} }).config;
    const state = stateWith('running', 1);
    expect(cancelControl(state, '7', NOW, false).result).toMatchObject({ ok: false });
    const c = commit(state, cancelControl(state, '7', NOW, true));
    expect(c.result.message).toMatch(/cancelling the attempt being prepared of #7: its process group is stopped; not counted/);
    const ts = state.tickets['7']!;
    expect(ts).toMatchObject({ status: 'released', failures: 1, hold: { unlisted: false } });
    const held = () => eligibility(ticket, { config, state, now: NOW, running: new Set() }).find((r) => r.rule === 'hold')!;
    expect(held()).toMatchObject({ pass: false });
    expect(held().detail).toMatch(/cancelled by an operator .* picked up again once its label is applied afresh, or `swarm retry 7`/);
    const ledger = new Ledger(state, { save: () => undefined }, new Logger({ eventsFile: null, out: null }));
    await checkHolds(ledger, [ticket], NOW); // still listed: still held
    expect(held().pass).toBe(false);
    await checkHolds(ledger, [], NOW); // the label is gone…
    expect(state.tickets['7']!.hold).toMatchObject({ unlisted: true });
    await checkHolds(ledger, [ticket], NOW); // …and back
    expect(state.tickets['7']!.hold).toBeNull();
    expect(held().pass).toBe(true);
    // A retry lifts a hold too.
    const again = stateWith('running');
    commit(again, releaseControl(again, '7', NOW));
    expect(again.tickets['7']!.hold).not.toBeNull();
    commit(again, retryControl(again, '7', NOW));
    expect(again.tickets['7']!.hold).toBeNull();
  });
});
