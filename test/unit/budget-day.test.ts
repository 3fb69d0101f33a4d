// Budget days (today's totals, budget.daily_usd): the machine's local day for a single daemon, UTC for a
// fleet unless budget.timezone names a zone — so daemons in Tokyo and New York start a new day together.
import { afterEach, describe, expect, it } from 'vitest';
import { budgetDate, budgetZoneFor, setBudgetZone } from '../../src/core/budget-day.js';
import { applyScope } from '../../src/core/fold.js';
import { emptyState } from '../../src/state/empty-state.js';
import { localDate } from '../../src/core/records.js';

afterEach(() => setBudgetZone(null));

describe('budget days', () => {
  it('fleet mode counts days in UTC unless budget.timezone says otherwise; one daemon keeps its local day', () => {
    const cfg = (url: string | null, timezone: string | null) => ({ budget: { timezone }, state: { url } });
    expect(budgetZoneFor(cfg('postgres://db/swarm', null))).toBe('UTC');
    expect(budgetZoneFor(cfg('postgres://db/swarm', 'Asia/Tokyo'))).toBe('Asia/Tokyo');
    expect(budgetZoneFor(cfg(null, null))).toBeNull();
    expect(budgetZoneFor(cfg(null, 'Europe/Berlin'))).toBe('Europe/Berlin');
  });

  it('one instant is one budget day in the zone in force, whatever the machine', () => {
    const t = Date.parse('2026-03-01T23:30:00Z');
    setBudgetZone('UTC');
    expect(budgetDate(t)).toBe('2026-03-01');
    expect(localDate(t)).toBe('2026-03-01');
    setBudgetZone('Asia/Tokyo');
    expect(budgetDate(t)).toBe('2026-03-02');
    setBudgetZone('America/New_York');
    expect(budgetDate(t)).toBe('2026-03-01');
  });

  it("today's totals start afresh at the zone's midnight", () => {
    setBudgetZone('UTC');
    const s = emptyState(Date.parse('2026-03-01T12:00:00Z'));
    const finished = (at: string) => ({ type: 'finished', at, ticket: '#1', key: '1', attempt: 1, model: 'm', outcome: 'no_changes', counted: true, reason: '', summary: '', cost_usd: 2, tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 }, session_id: null, duration_ms: 1 }) as const;
    let scope = applyScope(s, finished('2026-03-01T23:59:00Z'));
    scope = applyScope(scope, finished('2026-03-01T23:59:30Z'));
    expect(scope.daily).toMatchObject({ date: '2026-03-01', cost_usd: 4 });
    scope = applyScope(scope, finished('2026-03-02T00:00:10Z'));
    expect(scope.daily).toMatchObject({ date: '2026-03-02', cost_usd: 2 });
  });
});
