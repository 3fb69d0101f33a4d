// Lanes (pure): the lane of a ticket, the queue order, the background hours on fixed dates in fixed zones
// (across midnight and both DST changes), and every rule of laneGate with the sentence explain shows.
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.js';
import { validateConfig } from '../../src/config/schema.js';
import { parseHours } from '../../src/config/hours.js';
import type { Ticket } from '../../src/tracker/types.js';
import type { WindowFigures } from '../../src/core/account-record.js';
import { backgroundWindow, byLane, laneComparator, laneCounts, laneGate, laneOf, type Lane, type LaneGateInput } from '../../src/core/lanes.js';
import { instantOf } from '../../src/util/wall-clock.js';

const config = (raw: Record<string, unknown> = {}): Config => validateConfig(raw, { file: 'WORKFLOW.md', env: {} }).config;
const hours = (text: string) => parseHours(text, 'agent.lanes.background.hours', 'WORKFLOW.md');
const at = (s: string) => Date.parse(s);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function ticket(key: string, over: Partial<Ticket> = {}): Ticket {
  return {
    key, id: key, identifier: `#${key}`, number: Number(key) || 0, title: `T${key}`, body: '', url: '', labels: ['agent'], priority: 4,
    state: 'open', open: true, phase: 'todo', created_at: '2025-03-01T00:00:00Z', updated_at: '2025-03-01T00:00:00Z', blockers: [], branch_hint: null, ...over,
  };
}

describe('laneOf', () => {
  const cfg = config({ agent: { lanes: { urgent: { labels: ['Incident'] }, background: { labels: ['agent:overnight'] } } } });

  it('priority 0 (P0, priority:critical, Linear Urgent) is urgent; 3 (low) is background; the rest normal', () => {
    expect(laneOf(ticket('1', { priority: 0 }), cfg)).toBe('urgent');
    expect(laneOf(ticket('1', { priority: 1 }), cfg)).toBe('normal');
    expect(laneOf(ticket('1', { priority: 2 }), cfg)).toBe('normal');
    expect(laneOf(ticket('1', { priority: 3 }), cfg)).toBe('background');
    expect(laneOf(ticket('1', { priority: 4 }), cfg)).toBe('normal');
  });

  it('labels win over priority, case-insensitively; an urgent label wins over a background one', () => {
    expect(laneOf(ticket('1', { priority: 3, labels: ['agent', 'INCIDENT'] }), cfg)).toBe('urgent');
    expect(laneOf(ticket('1', { priority: 0, labels: ['Agent:Overnight'] }), cfg)).toBe('background');
    expect(laneOf(ticket('1', { priority: 4, labels: ['agent:overnight', 'incident'] }), cfg)).toBe('urgent');
    expect(laneOf(ticket('1', { priority: 2, labels: ['overnight'] }), cfg)).toBe('normal');
  });

  it('counts tickets per lane', () => {
    const ts = [ticket('1', { priority: 0 }), ticket('2'), ticket('3', { priority: 3 }), ticket('4', { labels: ['incident'] })];
    expect(laneCounts(ts, cfg)).toEqual({ urgent: 2, normal: 1, background: 1 });
  });
});

describe('queue order', () => {
  it('byLane: lane, then priority, then oldest first, then key (numeric)', () => {
    const l = (key: string, lane: Lane, priority: number, created_at = '2025-03-01T00:00:00Z') => ({ key, lane, priority, created_at });
    const sorted = [
      l('9', 'background', 0),
      l('10', 'normal', 2),
      l('2', 'normal', 2),
      l('3', 'normal', 1, '2025-03-02T00:00:00Z'),
      l('4', 'normal', 1, '2025-02-01T00:00:00Z'),
      l('5', 'urgent', 4),
    ].sort(byLane).map((x) => x.key);
    expect(sorted).toEqual(['5', '4', '3', '2', '10', '9']);
  });

  it('laneComparator sorts plain tickets by their lanes from the config (low priority after no priority)', () => {
    const cfg = config({ agent: { lanes: { urgent: { labels: ['hotfix'] }, background: { labels: ['agent:overnight'] } } } });
    const ts = [
      ticket('1', { priority: 3 }),
      ticket('2', { priority: 4 }),
      ticket('3', { priority: 1, labels: ['agent:overnight'] }),
      ticket('4', { priority: 2, labels: ['hotfix'] }),
      ticket('5', { priority: 0 }),
      ticket('6', { priority: 1 }),
    ];
    expect([...ts].sort(laneComparator(cfg)).map((t) => t.key)).toEqual(['5', '4', '6', '2', '3', '1']);
  });
});

describe('backgroundWindow', () => {
  it('same-day hours in UTC: closed before, open inside, closed after (next opening tomorrow)', () => {
    const h = hours('01:00-06:00 UTC');
    const before = backgroundWindow(h, at('2025-03-01T21:48:00Z'));
    expect({ ...before, opensAt: iso(before.opensAt), closesAt: iso(before.closesAt) }).toEqual({ open: false, opensAt: '2025-03-02T01:00:00.000Z', closesAt: '2025-03-02T06:00:00.000Z' });
    const inside = backgroundWindow(h, at('2025-03-02T01:00:00Z'));
    expect({ ...inside, closesAt: iso(inside.closesAt) }).toEqual({ open: true, opensAt: null, closesAt: '2025-03-02T06:00:00.000Z' });
    const early = backgroundWindow(h, at('2025-03-02T00:59:59Z'));
    expect([early.open, iso(early.opensAt)]).toEqual([false, '2025-03-02T01:00:00.000Z']);
    const closed = backgroundWindow(h, at('2025-03-02T06:00:00Z'));
    expect([closed.open, iso(closed.opensAt), iso(closed.closesAt)]).toEqual([false, '2025-03-03T01:00:00.000Z', '2025-03-03T06:00:00.000Z']);
  });

  it('hours across midnight in a zone (Europe/Berlin, winter: UTC+1)', () => {
    const h = hours('22:00-06:00 Europe/Berlin');
    const late = backgroundWindow(h, at('2025-01-15T22:30:00Z')); // 23:30 in Berlin
    expect([late.open, iso(late.closesAt)]).toEqual([true, '2025-01-16T05:00:00.000Z']);
    const dawn = backgroundWindow(h, at('2025-01-16T04:59:00Z')); // 05:59
    expect([dawn.open, iso(dawn.closesAt)]).toEqual([true, '2025-01-16T05:00:00.000Z']);
    const day = backgroundWindow(h, at('2025-01-16T05:00:00Z')); // 06:00
    expect([day.open, iso(day.opensAt), iso(day.closesAt)]).toEqual([false, '2025-01-16T21:00:00.000Z', '2025-01-17T05:00:00.000Z']);
  });

  it('hours without a zone use the local zone passed in', () => {
    const h = hours('01:00-06:00');
    const w = backgroundWindow(h, at('2025-03-01T12:00:00Z'), 'Asia/Tokyo'); // 21:00 in Tokyo (UTC+9)
    expect([w.open, iso(w.opensAt)]).toEqual([false, '2025-03-01T16:00:00.000Z']);
    const k = backgroundWindow(h, at('2025-03-01T12:00:00Z'), 'Asia/Kathmandu'); // UTC+5:45 → 17:45
    expect(iso(k.opensAt)).toBe('2025-03-01T19:15:00.000Z');
  });

  it('spring forward: a window over the change is an hour shorter; an opening the clocks skip happens at the jump', () => {
    // Europe/Berlin, 2025-03-30: 02:00 CET becomes 03:00 CEST (01:00 UTC).
    const night = backgroundWindow(hours('01:00-06:00 Europe/Berlin'), at('2025-03-29T22:00:00Z'));
    expect([iso(night.opensAt), iso(night.closesAt)]).toEqual(['2025-03-30T00:00:00.000Z', '2025-03-30T04:00:00.000Z']);
    const skipped = backgroundWindow(hours('02:30-06:00 Europe/Berlin'), at('2025-03-29T23:00:00Z'));
    expect([iso(skipped.opensAt), iso(skipped.closesAt)]).toEqual(['2025-03-30T01:00:00.000Z', '2025-03-30T04:00:00.000Z']);
    expect(backgroundWindow(hours('02:30-06:00 Europe/Berlin'), at('2025-03-30T01:00:00Z')).open).toBe(true); // 03:00 CEST
    expect(backgroundWindow(hours('02:30-06:00 Europe/Berlin'), at('2025-03-30T00:59:00Z')).open).toBe(false); // 01:59 CET
  });

  it('fall back: a window over the change is an hour longer; a repeated time opens at its first occurrence', () => {
    // Europe/Berlin, 2025-10-26: 03:00 CEST becomes 02:00 CET (01:00 UTC).
    const night = backgroundWindow(hours('01:00-06:00 Europe/Berlin'), at('2025-10-25T20:00:00Z'));
    expect([iso(night.opensAt), iso(night.closesAt)]).toEqual(['2025-10-25T23:00:00.000Z', '2025-10-26T05:00:00.000Z']);
    const repeated = backgroundWindow(hours('02:30-06:00 Europe/Berlin'), at('2025-10-25T22:00:00Z'));
    expect(iso(repeated.opensAt)).toBe('2025-10-26T00:30:00.000Z'); // 02:30 CEST, the first of two
    // America/New_York, 2025-11-02: 02:00 EDT becomes 01:00 EST (06:00 UTC). A window ending at 01:59 closes at
    // 01:59 EDT and opens again when the clocks go back to 01:00, until 01:59 EST.
    const h = hours('00:30-01:59 America/New_York');
    const ny = backgroundWindow(h, at('2025-11-02T05:30:00Z')); // 01:30 EDT
    expect([ny.open, iso(ny.closesAt)]).toEqual([true, '2025-11-02T05:59:00.000Z']);
    const gap = backgroundWindow(h, at('2025-11-02T05:59:00Z'));
    expect([gap.open, iso(gap.opensAt), iso(gap.closesAt)]).toEqual([false, '2025-11-02T06:00:00.000Z', '2025-11-02T06:59:00.000Z']);
    // Europe/Berlin: a window opening at 02:30 is left when the clocks go back from 02:59 CEST to 02:00 CET.
    const b = backgroundWindow(hours('02:30-06:00 Europe/Berlin'), at('2025-10-26T00:45:00Z')); // 02:45 CEST
    expect([b.open, iso(b.closesAt)]).toEqual([true, '2025-10-26T01:00:00.000Z']);
    const back = backgroundWindow(hours('02:30-06:00 Europe/Berlin'), at('2025-10-26T01:00:00Z')); // 02:00 CET
    expect([back.open, iso(back.opensAt), iso(back.closesAt)]).toEqual([false, '2025-10-26T01:30:00.000Z', '2025-10-26T05:00:00.000Z']);
  });

  it('instantOf returns null for a time that only happened before `after`', () => {
    expect(instantOf({ y: 2025, mo: 3, d: 1 }, 60, 'UTC', at('2025-03-01T02:00:00Z'))).toBeNull();
    expect(instantOf({ y: 2025, mo: 3, d: 1 }, 60, 'UTC', at('2025-03-01T01:00:00Z'))).toBe(at('2025-03-01T01:00:00Z'));
  });
});

describe('laneGate', () => {
  const NOW = at('2025-03-01T21:48:00Z');
  const win = (over: Partial<WindowFigures> = {}): WindowFigures => ({ status: 'allowed', utilization: 0.5, type: 'five_hour', resetsAt: NOW + (2 * 60 + 5) * 60_000, ...over });
  const input = (cfg: Config, over: Partial<LaneGateInput> = {}): LaneGateInput => ({ window: null, config: cfg, now: NOW, backgroundRunning: 0, spentUsd: 0, zone: 'UTC', ...over });
  const all = (i: LaneGateInput) => (['urgent', 'normal', 'background'] as const).map((l) => laneGate(l, i));

  it('lets every lane start when nothing is configured or reported', () => {
    expect(all(input(config()))).toEqual([null, null, null]);
    expect(all(input(config(), { window: win({ utilization: 0.99 }) }))).toEqual([null, null, null]);
  });

  it('a rejected window stops every lane, urgent too, until its reset', () => {
    const i = input(config(), { window: win({ status: 'rejected', utilization: 1 }) });
    const why = 'waits for the usage window to reset at 23:53 (in 2h 5m): the account\'s five_hour limit is reached';
    expect(all(i)).toEqual([why, why, why]);
    const weekly = laneGate('urgent', input(config(), { window: win({ status: 'rejected', type: 'seven_day', resetsAt: at('2025-03-04T05:46:00Z') }) }));
    expect(weekly).toBe("waits for the usage window to reset at Mar 4 05:46 (in 55h 58m): the account's seven_day limit is reached");
  });

  it('a window served from paid extra usage stops nobody, unless agent.use_extra_usage is false; a model-family limit stops no lane', () => {
    const over = win({ status: 'rejected', utilization: null, overage: true });
    expect(all(input(config(), { window: over }))).toEqual([null, null, null]);
    const why = "waits for the usage window to reset at 23:53 (in 2h 5m): the account's five_hour limit is reached (extra usage is on, but agent.use_extra_usage is false)";
    expect(all(input(config({ agent: { use_extra_usage: false } }), { window: over }))).toEqual([why, why, why]);
    // seven_day_opus holds only Opus attempts (the spawn gate and eligibility check the attempt's model).
    expect(all(input(config(), { window: win({ status: 'rejected', type: 'seven_day_opus' }) }))).toEqual([null, null, null]);
  });

  it('ignores figures whose reset has passed or that carry no reset time', () => {
    expect(all(input(config(), { window: win({ status: 'rejected', resetsAt: NOW }) }))).toEqual([null, null, null]);
    const cfg = config({ agent: { pacing: { reserve: 0.8 } } });
    expect(all(input(cfg, { window: win({ status: 'rejected', utilization: 1, resetsAt: null }) }))).toEqual([null, null, null]);
  });

  it('at or above agent.pacing.reserve only urgent tickets start', () => {
    const cfg = config({ agent: { pacing: { reserve: 0.8 } } });
    const why = 'only urgent tickets start: the usage window is 80% used (agent.pacing.reserve 80%) until it resets at 23:53 (in 2h 5m)';
    expect(all(input(cfg, { window: win({ status: 'allowed_warning', utilization: 0.8 }) }))).toEqual([null, why, why]);
    expect(all(input(cfg, { window: win({ utilization: 0.79 }) }))).toEqual([null, null, null]);
    expect(all(input(cfg, { window: win({ utilization: null }) }))).toEqual([null, null, null]);
  });

  it('background tickets start only inside their hours, said with the opening time and how long until', () => {
    const cfg = config({ agent: { lanes: { background: { hours: '01:00-06:00' } } } });
    expect(all(input(cfg))).toEqual([null, null, 'background lane opens at 01:00 (in 3h 12m)']);
    expect(laneGate('background', input(cfg, { now: at('2025-03-02T01:30:00Z') }))).toBeNull();
    const berlin = config({ agent: { lanes: { background: { hours: '22:00-06:00 Europe/Berlin' } } } });
    expect(laneGate('background', input(berlin, { now: at('2025-03-01T12:00:00Z') }))).toBe('background lane opens at 22:00 Europe/Berlin (in 9h)');
    expect(laneGate('background', input(berlin, { now: at('2025-03-01T21:30:00Z') }))).toBeNull();
  });

  it('background tickets wait while the lane runs its max_concurrent', () => {
    const cfg = config({ agent: { lanes: { background: { max_concurrent: 2 } } } });
    expect(all(input(cfg, { backgroundRunning: 2 }))).toEqual([null, null, 'background lane is full: 2 background agent(s) running (agent.lanes.background.max_concurrent 2)']);
    expect(laneGate('background', input(cfg, { backgroundRunning: 1 }))).toBeNull();
  });

  it('the last budget.urgent_reserve_usd of budget.daily_usd is for urgent tickets only', () => {
    const cfg = config({ budget: { daily_usd: 50, urgent_reserve_usd: 10 } });
    const why = "only urgent tickets start: today's spend $40.00 reached $40.00 (budget.daily_usd $50.00 less budget.urgent_reserve_usd $10.00 kept for urgent work)";
    expect(all(input(cfg, { spentUsd: 40 }))).toEqual([null, why, why]);
    expect(all(input(cfg, { spentUsd: 39.99 }))).toEqual([null, null, null]);
    expect(all(input(config({ budget: { daily_usd: 50 } }), { spentUsd: 49 }))).toEqual([null, null, null]);
  });

  it('applies the rules in order: rejected, pacing, hours, max_concurrent, budget', () => {
    const cfg = config({ agent: { pacing: { reserve: 0.5 }, lanes: { background: { hours: '01:00-06:00', max_concurrent: 1 } } }, budget: { daily_usd: 10, urgent_reserve_usd: 5 } });
    const i = (over: Partial<LaneGateInput>) => laneGate('background', input(cfg, { backgroundRunning: 1, spentUsd: 9, ...over }));
    expect(i({ window: win({ status: 'rejected' }) })).toMatch(/^waits for the usage window to reset/);
    expect(i({ window: win({ utilization: 0.6 }) })).toMatch(/^only urgent tickets start: the usage window/);
    expect(i({})).toMatch(/^background lane opens at 01:00/);
    expect(i({ now: at('2025-03-02T02:00:00Z') })).toMatch(/^background lane is full/);
    expect(i({ now: at('2025-03-02T02:00:00Z'), backgroundRunning: 0 })).toMatch(/^only urgent tickets start: today's spend/);
  });
});
