// The fence's parts that need no database: the write boundary (which tracker and code-host calls are
// writes, for which ticket; the embedded mode's no-op fence), waiting for the database before a
// publication, the identity rules (a pid means something only in the same machine, boot and PID
// namespace), and the lease book's clocks (monotonic deadlines, takeovers only after a ttl of contact).
import { describe, expect, it } from 'vitest';
import { FenceError, NO_FENCE, confirmFence, fenceServices, fenceWrites, type Fence, type FenceVerdict } from '../../src/fleet/fence.js';
import { daemonId, newInstanceId, placeOfThisProcess, samePidSpace, type Place } from '../../src/fleet/identity.js';
import { LeaseBook } from '../../src/fleet/lease-book.js';

function host() {
  const calls: string[] = [];
  const obj = {
    kind: 'github' as const,
    repoName: 'acme/widgets',
    fetch: async (key: string) => (calls.push(`fetch ${key}`), null),
    findPullRequest: async (branch: string) => (calls.push(`find ${branch}`), null),
    show: async (t: { key: string }, _a: unknown) => void calls.push(`show ${t.key}`),
    openPullRequest: async (r: { branch: string }) => (calls.push(`open ${r.branch}`), { number: 1, url: 'u', state: 'open' as const, branch: r.branch }),
    newWriteMethod: async () => calls.push('unfenced!'),
    notes: () => (calls.push('notes'), ['a permission the token lacks']),
    changedBy: async (t: { key: string }) => (calls.push(`changedBy ${t.key}`), null),
  };
  return { obj, calls };
}

function scripted(verdicts: FenceVerdict[], branches: Record<string, string> = {}): Fence & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    check: async (key, what) => (asked.push(`${key}: ${what}`), verdicts.shift() ?? 'held'),
    keyOfBranch: (b) => branches[b] ?? null,
  };
}

describe('the fence at the write boundary', () => {
  it('embedded mode: every write goes through, untouched, after a fence that always says held', async () => {
    const { obj, calls } = host();
    const t = fenceWrites(obj, NO_FENCE);
    await t.show({ key: '7' }, {});
    await t.openPullRequest({ branch: 'swarm/7-x' });
    await t.fetch('7');
    expect(calls).toEqual(['show 7', 'open swarm/7-x', 'fetch 7']);
    expect(t.repoName).toBe('acme/widgets');
    expect(t.kind).toBe('github');
  });

  it('fleet mode: a write for a ticket whose lease is gone sends nothing; reads never ask; a PR is keyed by its branch; an unknown method is refused', async () => {
    const { obj, calls } = host();
    const fence = scripted(['held', 'lost', 'lost'], { 'swarm/7-x': '7' });
    const t = fenceWrites(obj, fence);
    await t.findPullRequest('swarm/7-x');
    await t.show({ key: '7' }, {});
    await expect(t.show({ key: '7' }, {})).rejects.toThrow(/tracker update for 7 not sent: this daemon no longer holds/);
    await expect(t.openPullRequest({ branch: 'swarm/7-x' })).rejects.toBeInstanceOf(FenceError);
    await expect(t.openPullRequest({ branch: 'nobody-s-branch' })).rejects.toThrow(/pull request for nobody-s-branch not sent/);
    expect(() => t.newWriteMethod()).toThrow(/does not know newWriteMethod\(\)/);
    expect(calls).toEqual(['find swarm/7-x', 'show 7']);
    expect(fence.asked).toEqual(['7: tracker update', '7: tracker update', '7: pull request']);
  });

  it('verification after merge: a revert PR is keyed by its ticket, auto-merge on the code host\'s merges is a write for its ticket, the base branch\'s reads pass', async () => {
    const calls: string[] = [];
    const merges = {
      branch: async (b: string) => (calls.push(`branch ${b}`), { sha: null, protected: null }),
      commitChecks: async (sha: string) => (calls.push(`checks ${sha}`), { sha, checks: [], required: null, requiredUnknown: null }),
      logExcerpt: async () => '',
      notes: () => [],
      setAutoMerge: async (r: { key: string; nodeId: string }) => (calls.push(`auto-merge ${r.nodeId}`), { ok: true as const }),
      newMergeWrite: async () => calls.push('unfenced!'),
    };
    const { obj } = host();
    const fence = scripted(['held', 'lost', 'held'], {});
    const t = fenceWrites({ ...obj, merges }, fence);
    await t.merges.branch('main');
    await t.merges.commitChecks('abc');
    await t.merges.setAutoMerge({ key: '7', nodeId: 'PR_1' });
    await expect(t.merges.setAutoMerge({ key: '8', nodeId: 'PR_2' })).rejects.toThrow(/auto-merge change for 8 not sent/);
    expect(() => t.merges.newMergeWrite()).toThrow(/does not know newMergeWrite\(\)/);
    // A revert PR's branch is no ticket's own: the request names the ticket.
    await t.openPullRequest({ branch: 'swarm/revert-7-x', key: '7' } as never);
    expect(calls).toEqual(['branch main', 'checks abc', 'auto-merge PR_1']);
    expect(fence.asked).toEqual(['7: auto-merge change', '8: auto-merge change', '7: pull request']);
  });

  it("the interfaces' read-only methods (a code host's standing notes, who changed a mark) pass without asking", async () => {
    const { obj, calls } = host();
    const fence = scripted(['lost']);
    const t = fenceWrites(obj, fence);
    expect(t.notes()).toEqual(['a permission the token lacks']);
    expect(await t.changedBy({ key: '7' })).toBeNull();
    expect(calls).toEqual(['notes', 'changedBy 7']);
    expect(fence.asked).toEqual([]);
  });

  it('fenceServices wraps tracker and code host and hands the fence to the explicit pushes', async () => {
    const { obj, calls } = host();
    const fence = scripted(['lost']);
    const svc = fenceServices({ tracker: obj, codeHost: obj, worktrees: {}, repoSlug: 'a/b', baseBranch: 'main', secrets: [], fence: NO_FENCE } as never, fence);
    expect(svc.fence).toBe(fence);
    await expect(svc.tracker.show({ key: '1' } as never, {} as never)).rejects.toBeInstanceOf(FenceError);
    expect(calls).toEqual([]);
  });

  it('a publication waits while the database does not answer, and goes out once it confirms; a lost lease or a stop ends the wait', async () => {
    const fence = scripted(['unreachable', 'unreachable', 'held']);
    let told = 0;
    const ac = new AbortController();
    await confirmFence(fence, '7', 'git push', { wait: { signal: ac.signal, everyMs: 5, onWait: () => told++ } });
    expect(fence.asked).toHaveLength(3);
    expect(told).toBe(1);
    await expect(confirmFence(scripted(['unreachable', 'lost']), '7', 'git push', { wait: { signal: ac.signal, everyMs: 5 } })).rejects.toMatchObject({ verdict: 'lost' });
    await expect(confirmFence(scripted(['unreachable']), '7', 'git push')).rejects.toMatchObject({ verdict: 'unreachable' });
    ac.abort();
    await expect(confirmFence(scripted(['unreachable', 'unreachable']), '7', 'git push', { wait: { signal: ac.signal } })).rejects.toMatchObject({ verdict: 'unreachable' });
  });
});

describe('daemon identity', () => {
  const here: Place = { machine_id: 'm1', boot_id: 'b1', pid_ns: '4026531836' };
  it('a pid is checked locally only in the same machine, boot and PID namespace, every one known', () => {
    expect(samePidSpace(here, { ...here })).toBe(true);
    expect(samePidSpace(here, { ...here, pid_ns: '4026532177' })).toBe(false); // another container on this kernel
    expect(samePidSpace(here, { ...here, boot_id: 'b2' })).toBe(false); // a cloned VM: same machine id, own boot
    expect(samePidSpace(here, { ...here, machine_id: 'm2' })).toBe(false);
    expect(samePidSpace(here, { machine_id: null, boot_id: null, pid_ns: null })).toBe(false); // an older swarm's row
    expect(samePidSpace({ ...here, boot_id: null }, { ...here, boot_id: null })).toBe(false);
    expect(samePidSpace(here, null)).toBe(false);
  });

  it('ids never collide, whatever the host name and pid; this process knows where it runs', () => {
    const ids = new Set(Array.from({ length: 200 }, () => daemonId('ci-runner', 7, newInstanceId())));
    expect(ids.size).toBe(200);
    const p = placeOfThisProcess();
    expect(p.boot_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(p.pid_ns).toMatch(/^\d+$/);
  });
});

describe('the lease book', () => {
  it('deadlines run on the monotonic clock: a wall-clock jump changes nothing', () => {
    let mono = 1_000;
    let wall = Date.parse('2026-01-01T00:00:00Z');
    const book = new LeaseBook(10_000, () => mono, () => wall);
    book.confirmed('7', mono);
    wall += 3_600_000; // NTP steps the clock an hour
    expect(book.holds('7')).toBe(true);
    mono += 10_000 - book.marginMs - 1;
    expect(book.holds('7')).toBe(true);
    mono += 2;
    expect(book.holds('7')).toBe(false);
    expect(book.owns('7')).toBe(true); // not confirmed lately, but nobody said it is gone
    expect(book.unconfirmed()).toEqual(['7']);
  });

  it('a renewal that did not keep a lease loses it, unless the lease was got after the renewal went out', () => {
    let mono = 0;
    const book = new LeaseBook(10_000, () => mono);
    book.confirmed('old', 0);
    mono = 100;
    const sent = mono;
    mono = 150;
    book.confirmed('new', 120); // acquired while the renewal was in flight
    mono = 200;
    expect(book.renewed(new Set(), sent)).toEqual(['old']);
  });

  it('expired leases may be taken only after a whole ttl of unbroken contact', () => {
    let mono = 0;
    const book = new LeaseBook(5_000, () => mono);
    expect(book.mayTakeExpired()).toBe(false);
    mono = 5_000;
    book.answered();
    expect(book.mayTakeExpired()).toBe(true);
    book.failed();
    mono = 6_000;
    book.answered();
    expect(book.mayTakeExpired()).toBe(false);
    mono = 11_000;
    expect(book.mayTakeExpired()).toBe(true);
  });

  it("keeps the database's clock, ignoring round-trip noise", () => {
    let wall = 1_000_000;
    const book = new LeaseBook(5_000, () => 0, () => wall);
    book.clock(new Date(wall + 30_000).toISOString(), wall, 10);
    expect(book.dbNow()).toBe(wall + 29_995);
    book.clock(new Date(wall + 30_100).toISOString(), wall, 10);
    expect(book.dbNow()).toBe(wall + 29_995);
    wall += 5;
    expect(book.dbNow()).toBe(wall + 29_995);
  });
});
