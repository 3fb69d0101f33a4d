// Operator controls on the state (the same functions serve the control channel and a stopped daemon).
import { describe, expect, it } from 'vitest';
import type { Ticket } from '../../src/tracker/types.js';
import type { TicketState } from '../../src/state/types.js';
import { emptyState } from '../../src/state/file-store.js';
import { newTicketState } from '../../src/orchestrator/transitions.js';
import { applyRelease, applyRetry } from '../../src/orchestrator/controls.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const ticket: Ticket = { key: '7', id: '7', identifier: '#7', number: 7, title: 'T', body: '', url: 'u', labels: ['agent'], priority: 4, state: 'open', open: true, created_at: '2026-01-01T00:00:00Z', updated_at: '', blockers: [], branch_hint: null };

function stateWith(status: TicketState['status'], failures = 0) {
  const state = emptyState(NOW);
  const ts = newTicketState(ticket, 'swarm/7-t', '/wt/swarm-7-t', NOW);
  Object.assign(ts, { status, failures, tracker_synced: true });
  state.tickets['7'] = ts;
  return { state, ts };
}

describe('operator controls', () => {
  it('release drops a live claim and leaves the tracker to the next poll', () => {
    for (const status of ['claimed', 'running', 'retry_wait'] as const) {
      const { state, ts } = stateWith(status, 1);
      expect(applyRelease(state, '7').ok).toBe(true);
      expect(ts).toMatchObject({ status: 'released', failures: 1, tracker_synced: false, next_retry_at: null });
    }
  });

  it('release of a failed or handed-off ticket changes nothing and points at retry', () => {
    for (const status of ['failed', 'review'] as const) {
      const { state, ts } = stateWith(status, 3);
      const res = applyRelease(state, '7');
      expect(res).toMatchObject({ ok: true });
      expect(res.message).toMatch(/swarm retry 7/);
      expect(ts).toMatchObject({ status, failures: 3, tracker_synced: true });
    }
  });

  it('retry restarts the count of a failed ticket, keeps its history, and marks the tracker for repair', () => {
    const { state, ts } = stateWith('failed', 3);
    ts.attempts.push({ number: 1 } as any);
    expect(applyRetry(state, '7').ok).toBe(true);
    expect(ts).toMatchObject({ status: 'released', failures: 0, tracker_synced: false });
    expect(ts.attempts).toHaveLength(1);
    const running = stateWith('running');
    expect(applyRetry(running.state, '7')).toMatchObject({ ok: false });
    expect(applyRetry(running.state, '8')).toMatchObject({ ok: false });
  });
});
