// `swarm status` for a tracker that refuses the poll itself (Linear: "too complex"): one entry with the whole
// message (it carries the fix), shown while the daemon's polls keep meeting it, gone once they stop.
import { describe, expect, it } from 'vitest';
import { emptyState } from '../../src/state/empty-state.js';
import type { LockInfo } from '../../src/state/lock.js';
import { buildSnapshot, renderStatus } from '../../src/report/status.js';

const NOW = Date.parse('2025-03-01T12:00:00.000Z');
const iso = (offsetS: number) => new Date(NOW + offsetS * 1000).toISOString();
const lock: LockInfo = { pid: 4242, pid_start: null, started_at: iso(-600), heartbeat_at: iso(-2), workflow: '/repo/WORKFLOW.md' };
const MESSAGE = 'Linear refuses SwarmCandidates as too complex (18,425 points, at most 10,000 allowed): lower tracker.page_size (now 250; the default 50 costs about 3,700 points)';

function state(untilS: number) {
  const s: import('../../src/core/types.js').ViewedState = emptyState(NOW);
  s.daemon = {
    pid: 4242, started_at: iso(-600), heartbeat_at: iso(-2), draining: false, config_error: null, workflow: '/repo/WORKFLOW.md',
    max_attempts: 3, max_concurrent: 1, tracker_error: { message: MESSAGE, since: iso(-300), until: iso(untilS) },
  };
  return s;
}

describe('status with a tracker refusal', () => {
  it('shows the refusal and its whole message within the width, and in --json', () => {
    const snap = buildSnapshot(state(60), { info: lock, alive: true }, NOW);
    expect(snap.daemon.tracker_error).toEqual({ message: MESSAGE, since: iso(-300) });
    const lines = renderStatus(snap).split('\n');
    const at = lines.findIndex((l) => l.startsWith('TRACKER REFUSES THE POLL since 2025-03-01 11:55 UTC'));
    expect(at).toBe(1);
    const body = [];
    for (let i = at + 1; lines[i]!.startsWith('  '); i++) body.push(lines[i]!.trim());
    expect(body.join(' ')).toBe(MESSAGE);
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(80);
  });

  it('hides it once no poll has met it for a while, or when the daemon is not running', () => {
    expect(buildSnapshot(state(-1), { info: lock, alive: true }, NOW).daemon.tracker_error).toBeNull();
    expect(buildSnapshot(state(60), { info: lock, alive: false }, NOW).daemon.tracker_error).toBeNull();
    expect(renderStatus(buildSnapshot(state(-1), { info: lock, alive: true }, NOW))).not.toContain('REFUSES');
  });
});
