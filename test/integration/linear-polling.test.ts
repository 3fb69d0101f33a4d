// The Linear adapter's polling against the stateful fake Linear (issue 24): a full sweep, then one small
// page of the issues updated since the previous poll; a change is seen at the next poll, an issue that left
// the candidates leaves the listing, a closed blocker stops blocking; the next sweep comes on schedule. The
// per-endpoint budgets Linear reports are tracked and hold back only their own operation. The fake refuses
// what Linear refuses (an over-large `first`, a filter field of the wrong type).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config, TrackerConfig } from '../../src/config/types.js';
import { createLinearTracker, type LinearTracker } from '../../src/tracker/linear/tracker.js';
import { validateConfig } from '../../src/config/schema.js';
import { CHANGES_FIRST_PAGE, CHANGES_SKEW_MS } from '../../src/tracker/linear/poll.js';
import { TrackerError } from '../../src/errors.js';
import { startFakeLinear, type FakeLinear } from '../helpers/fake-linear.js';

const KEY = 'lin_api_TESTKEY_0123456789abcdef';
let fake: FakeLinear;
let clock = Date.now();
const HOUR_AGO = () => new Date(Date.now() - 3_600_000).toISOString();

function makeConfig(apiUrl: string, tracker: Partial<TrackerConfig> = {}): Config {
  const base = validateConfig({ tracker: { kind: 'linear', team: 'ENG', api_url: apiUrl } }, { file: 'WORKFLOW.md', env: {} }).config;
  return { ...base, tracker: { ...base.tracker, ...tracker } as TrackerConfig };
}
const tracker = (t: Partial<TrackerConfig> = {}): LinearTracker => createLinearTracker({ config: makeConfig(fake.url, t), apiKey: KEY, now: () => clock });
const ops = (from: number) => fake.requests.slice(from).map((r) => /(?:query|mutation)\s+(\w+)/.exec(r.query)?.[1]);
const keys = async (t: LinearTracker) => (await t.candidates()).tickets.map((x) => x.key).sort();

beforeEach(async () => {
  fake = await startFakeLinear({ apiKey: KEY, endpointLimits: { commentCreate: { name: 'commentCreate', limit: 40 } } });
  clock = Date.now();
});
afterEach(async () => {
  await fake.close();
});

describe('incremental polling', () => {
  it('sweeps, then asks only for what changed: an idle poll is one page of 5 (~370 points); changes in, leavers out; the next sweep on schedule', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => fake.addIssue({ title: `Issue ${i}`, updatedAt: HOUR_AGO() }));
    fake.addIssue({ title: 'Not labelled', labels: ['bug'], updatedAt: HOUR_AGO() });
    const t = tracker({ full_sweep: 600_000 });
    await t.resolve();
    let from = fake.requests.length;
    expect(await keys(t)).toEqual([...ids].sort());
    expect(ops(from)).toEqual(['SwarmCandidates', 'SwarmCandidates']); // 60 issues: two pages of 50

    // Idle: one request, the small first page, nothing listed, the same 60 candidates.
    for (let i = 0; i < 3; i++) {
      from = fake.requests.length;
      clock += 30_000;
      expect(await keys(t)).toEqual([...ids].sort());
      expect(ops(from)).toEqual(['SwarmChanges']);
      const r = fake.requests.at(-1)!;
      expect(r.variables).toMatchObject({ first: CHANGES_FIRST_PAGE, filter: { team: { key: { eq: 'ENG' } }, updatedAt: { gt: expect.any(String) } } });
      expect(r.complexity).toBeLessThanOrEqual(500);
      // It looks back from Linear's own clock (its Date header) less the skew.
      expect(Date.parse((r.variables.filter as any).updatedAt.gt)).toBeGreaterThan(Date.now() - CHANGES_SKEW_MS - 60_000);
    }

    // Changes: a label removed (leaves), an issue moved to Done (leaves), a new one (comes), an untagged one tagged (comes).
    fake.setLabels(ids[0]!, ['bug']);
    fake.setState(ids[1]!, 'Done');
    const fresh = fake.addIssue({ title: 'Fresh' });
    fake.setLabels('ENG-61', ['agent']);
    from = fake.requests.length;
    clock += 30_000;
    const after = await keys(t);
    expect(after).toEqual([...ids.slice(2), fresh, 'ENG-61'].sort());
    expect(ops(from)).toEqual(['SwarmChanges']); // four changes fit the first page
    const listed = (await t.candidates()).tickets.find((x) => x.key === 'ENG-61')!;
    expect(listed.labels).toEqual(['agent']);

    // More changes than the first page holds: the next pages at page_size.
    for (const id of ids.slice(10, 22)) fake.setState(id, 'In Progress');
    from = fake.requests.length;
    clock += 30_000;
    const moved = (await t.candidates()).tickets.filter((x) => x.state === 'In Progress').map((x) => x.key);
    expect(moved.sort()).toEqual(ids.slice(10, 22).sort());
    expect(ops(from)).toEqual(['SwarmChanges', 'SwarmChanges']);
    expect(fake.requests.slice(from).map((r) => r.variables.first)).toEqual([CHANGES_FIRST_PAGE, 50]);

    // full_sweep later: the listing is rebuilt from a full sweep.
    clock += 600_000;
    from = fake.requests.length;
    expect((await t.candidates()).tickets.length).toBe(60 - 2 + 2);
    expect(ops(from)).toEqual(['SwarmCandidates', 'SwarmCandidates']);
  });

  it('a blocker closed in the team unblocks at the next poll', async () => {
    const blocker = fake.addIssue({ title: 'Blocker', labels: ['bug'], updatedAt: HOUR_AGO() });
    const blocked = fake.addIssue({ title: 'Blocked', updatedAt: HOUR_AGO() });
    fake.addRelation(blocker, blocked);
    const t = tracker();
    await t.resolve();
    expect((await t.candidates()).tickets.find((x) => x.key === blocked)!.blockers).toEqual([blocker]);
    fake.setState(blocker, 'Done');
    clock += 30_000;
    const from = fake.requests.length;
    const list = (await t.candidates()).tickets;
    expect(ops(from)).toEqual(['SwarmChanges']);
    expect(list.find((x) => x.key === blocked)!.blockers).toEqual([]);
    expect(list.map((x) => x.key)).toEqual([blocked]);
  });

  it('a new tracker (a restart, a new configuration) starts with a full sweep', async () => {
    fake.addIssue({ title: 'One' });
    await tracker().candidates();
    const from = fake.requests.length;
    await tracker().candidates();
    expect(ops(from)).toEqual(['SwarmResolve', 'SwarmLabels', 'SwarmCandidates']);
  });

  it('measurePolling reports a full sweep and an idle poll as Linear charged them, with the budgets it reported', async () => {
    for (let i = 0; i < 120; i++) fake.addIssue({ title: `Issue ${i}`, updatedAt: HOUR_AGO() });
    const m = await tracker().measurePolling();
    expect(m.sweep).toMatchObject({ kind: 'sweep', requests: 3, listed: 120 });
    expect(m.sweep.complexity).toBeGreaterThan(3 * 3_600);
    expect(m.changes).toMatchObject({ kind: 'changes', requests: 1, listed: 120 });
    expect(m.changes.complexity).toBeLessThanOrEqual(500);
    expect(m.budgets.complexity.limit).toBe(3_000_000);
    expect(m.budgets.requests.limit).toBe(1500);
  });
});

describe('per-endpoint budgets (X-RateLimit-Endpoint-*)', () => {
  it('are read from the answers that carry them and hold back only their own operation when nearly spent', async () => {
    fake.addIssue({ title: 'One' });
    const t = tracker();
    const [ticket] = (await t.candidates()).tickets;
    await t.show(ticket!, { mark: 'running', sticky: '<!-- swarm:status -->\nclaimed', pr: null });
    expect(t.rateLimit().remaining).not.toBeNull();
    fake.setEndpointBudget('commentCreate', { remaining: 1 });
    // Another ticket's first sticky comment: commentCreate answers with 0 of 40 left.
    const two = fake.addIssue({ title: 'Two' });
    const second = (await t.fetch(two))!;
    await t.show(second, { mark: 'running', sticky: '<!-- swarm:status -->\nclaimed', pr: null });
    const three = (await t.fetch(fake.addIssue({ title: 'Three' })))!;
    const sent = fake.requests.length;
    const err = await t.show(three, { mark: 'running', sticky: '<!-- swarm:status -->\nclaimed', pr: null }).then(() => null, (e: unknown) => e as TrackerError);
    expect(err).toMatchObject({ kind: 'rate_limited' });
    expect(err!.message).toMatch(/endpoint commentCreate requests budget nearly spent \(0 of 40 left\)/);
    expect(ops(sent).filter((o) => o === 'SwarmCommentCreate')).toEqual([]);
    // Everything else goes on: the poll, the state move.
    clock += 30_000;
    await expect(t.candidates()).resolves.toMatchObject({ unchanged: false });
  });
});

describe('the fake refuses what Linear refuses', () => {
  it('`first` above 250 (n8n-io/n8n#9273) and a date comparator given something other than a date-time', async () => {
    const post = (query: string, variables: Record<string, unknown>) =>
      fetch(fake.url, { method: 'POST', headers: { authorization: KEY, 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) }).then(async (r) => ({ status: r.status, body: await r.json() as any }));
    const big = await post('query Q($n: Int!) { issues(first: $n) { nodes { id } } }', { n: 251 });
    expect(big.body.data?.issues ?? null).toBeNull();
    expect(big.body.errors[0].message).toMatch(/first.*250/);
    expect((await post('query Q($n: Int!) { issues(first: $n) { nodes { id } } }', { n: 250 })).status).toBe(200);
    const bad = await post('query Q($f: IssueFilter!) { issues(filter: $f, first: 5) { nodes { id } } }', { f: { updatedAt: { gt: 42 } } });
    expect(bad.body.errors[0].message).toMatch(/DateTimeOrDuration cannot represent value: 42/);
  });
});
