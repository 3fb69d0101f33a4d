// The poll's schedule and bookkeeping (src/tracker/linear/poll.ts) with a scripted transport, and the
// hourly cost doctor warns about (src/tracker/linear/cost.ts). The real transport against the fake Linear
// is test/integration/linear-polling.test.ts.
import { describe, expect, it } from 'vitest';
import { LinearPoller, CHANGES_SKEW_MS, type PollCost } from '../../src/tracker/linear/poll.js';
import { pollingCostPerHour } from '../../src/tracker/linear/cost.js';
import type { Ticket } from '../../src/tracker/types.js';

const T0 = Date.parse('2026-12-06T12:00:00Z');
const ticket = (key: string, over: Partial<Ticket> = {}): Ticket => ({
  key, id: key, identifier: key, number: 1, title: key, body: '', url: '', labels: ['agent'], priority: 4, state: 'Todo', open: true, phase: 'todo',
  created_at: '', updated_at: '', blockers: [], branch_hint: null, ...over,
});
const page = (nodes: Ticket[], more = false) => ({ issues: { nodes, pageInfo: { hasNextPage: more, endCursor: more ? 'c' : null } } });

function poller(answers: (() => unknown)[], clock: { now: number }) {
  const sent: { query: string; vars: any }[] = [];
  const p = new LinearPoller({
    api: {
      async requestMeta<T>(query: string, vars?: object) {
        sent.push({ query, vars });
        const next = answers.shift();
        if (!next) throw new Error('no answer scripted');
        return { data: next() as T, serverTime: clock.now - 2000, complexity: 100 };
      },
    },
    remember: async (raw) => raw as Ticket,
    candidatesFilter: () => ({ team: { key: { eq: 'ENG' } } }),
    scopeFilter: () => ({ team: { key: { eq: 'ENG' } } }),
    isCandidate: (t) => t.state === 'Todo' && t.labels.includes('agent'),
    pageSize: () => 50,
    fullSweepMs: () => 600_000,
    now: () => clock.now,
    onCandidatesError: (err) => { throw err; },
  });
  return { p, sent };
}

describe('LinearPoller', () => {
  it('looks back from Linear\'s clock less the skew, and only moves on once a whole poll arrived', async () => {
    const clock = { now: T0 };
    const boom = () => { throw new Error('Linear API unreachable'); };
    const { p, sent } = poller([() => page([ticket('A')]), () => page([ticket('B')], true), boom, () => page([ticket('B')], true), () => page([]), () => page([])], clock);
    await p.poll();
    const since = (i: number) => Date.parse(sent[i]!.vars.filter.updatedAt.gt);
    clock.now += 30_000;
    await expect(p.poll()).rejects.toThrow('unreachable'); // the second page failed
    expect(since(1)).toBe(T0 - 2000 - CHANGES_SKEW_MS);
    clock.now += 30_000;
    expect((await p.poll()).map((t) => t.key).sort()).toEqual(['A', 'B']);
    expect(since(3)).toBe(since(1)); // as far back as the failed poll
    clock.now += 30_000;
    await p.poll();
    expect(since(5)).toBe(T0 + 60_000 - 2000 - CHANGES_SKEW_MS);
    expect(p.lastCost()).toEqual({ kind: 'changes', requests: 1, complexity: 100, listed: 2 });
  });

  it('sweeps again when the candidates filter changes or full_sweep has passed', async () => {
    const clock = { now: T0 };
    const { p, sent } = poller([() => page([ticket('A')]), () => page([]), () => page([ticket('A')])], clock);
    await p.poll();
    clock.now += 599_999;
    await p.poll();
    clock.now += 1;
    await p.poll();
    expect(sent.map((s) => /query (\w+)/.exec(s.query)![1])).toEqual(['SwarmCandidates', 'SwarmChanges', 'SwarmCandidates']);
  });
});

describe('pollingCostPerHour', () => {
  const sweep: PollCost = { kind: 'sweep', requests: 8, complexity: 8 * 3_685, listed: 400 };
  const idle: PollCost = { kind: 'changes', requests: 1, complexity: 369, listed: 400 };
  const budgets = { requests: { limit: 5_000, remaining: 5_000, resetAt: null }, complexity: { limit: 3_000_000, remaining: 3_000_000, resetAt: null }, endpoints: {} };

  it('400 candidates at the defaults (30 s, full sweep every 10 m): about 221,000 points an hour, well under half', () => {
    const e = pollingCostPerHour(30_000, 600_000, sweep, idle, budgets);
    expect(e).toMatchObject({ polls: 120, sweeps: 6 });
    expect(Math.round(e.points)).toBe(6 * 8 * 3_685 + 114 * 369);
    expect(e.requests).toBe(6 * 8 + 114);
    expect(e.overHalf).toBe(false);
    expect(e.detail).toMatch(/^polling costs about 218,946 complexity points and 162 requests an hour \(6 full sweep\(s\) of 8 page\(s\) at ~29,480 points, 114 incremental poll\(s\) at ~369 points\); the key's hourly budget is 3,000,000 points and 5,000 requests$/);
  });

  it('warns above half of either budget: a sweep at every poll (full_sweep ≤ interval), or an OAuth app\'s smaller budget', () => {
    expect(pollingCostPerHour(5_000, 5_000, sweep, idle, budgets).overHalf).toBe(true); // 720 sweeps × 29,480
    expect(pollingCostPerHour(30_000, 60_000, sweep, idle, { ...budgets, complexity: { ...budgets.complexity, limit: 2_000_000 } }).overHalf).toBe(true);
    expect(pollingCostPerHour(1_000, 600_000, sweep, idle, budgets).overHalf).toBe(true); // 3,600 requests an hour
    expect(pollingCostPerHour(30_000, 600_000, sweep, idle, { requests: { limit: null, remaining: null, resetAt: null }, complexity: { limit: null, remaining: null, resetAt: null }, endpoints: {} }))
      .toMatchObject({ overHalf: false, detail: expect.stringMatching(/Linear reported no hourly budget$/) });
  });
});
