// The pure parts of "trust the text": how evidence is weighed (text-trust.ts), the bounded memory permissions
// live in (ttl-cache.ts), the body-edit reader's independence from GitHub's undocumented list order, the
// re-claim cooldown's fold and rule, and a body scan that cannot be made quadratic.
import { describe, expect, it } from 'vitest';
import { judgeText, type Actor, type Judgement, type TextEvidence } from '../../src/tracker/text-trust.js';
import { TtlCache } from '../../src/tracker/ttl-cache.js';
import { readBodyEdits, MAX_EDIT_PAGES } from '../../src/tracker/github/history.js';
import { blockerNumbersFromBody } from '../../src/tracker/github/map.js';
import { lastPageOf } from '../../src/tracker/github/tail-pages.js';
import { reclaimWaitMs } from '../../src/core/policy.js';
import { applyTicket } from '../../src/core/fold.js';
import type { TicketEvent } from '../../src/core/events.js';
import type { TicketState } from '../../src/core/types.js';
import type { GitHubClient } from '../../src/tracker/github/client.js';

const who = (login: string): Actor => ({ key: login, name: `@${login}` });
const writers = new Set(['octocat', 'maint']);
const judge = async (a: Actor): Promise<Judgement> => (writers.has(a.key) ? { trusted: true, as: 'write' } : { trusted: false, as: 'read permission' });
const rules = { labels: ['agent'], labelers: true, since: '2024-01-01T00:00:00Z', judge, fixer: 'a writer' };
const at = (s: number) => new Date(Date.parse('2024-01-01T00:00:00Z') + s * 1000).toISOString();

describe('judgeText', () => {
  it('trusts the text a writer labelled, as long as nobody untrusted changed it since', async () => {
    const ev: TextEvidence = { applied: [{ label: 'agent', at: at(10), actor: who('octocat') }], edits: [{ field: 'body', at: at(5), actor: who('mallory') }] };
    expect(await judgeText(ev, rules)).toEqual({ trusted: true, reason: 'label `agent` was applied by @octocat (write)' });
    const later = { ...ev, edits: [...ev.edits, { field: 'title' as const, at: at(11), actor: who('mallory') }] };
    expect((await judgeText(later, rules)).reason).toBe(`@mallory, who has read permission, renamed the ticket after label \`agent\` was applied (${at(11)}): held until a writer re-applies \`agent\` to accept the text as it is now`);
  });

  it('counts an edit in the same second as the label as after it (the order within a second is unknowable)', async () => {
    const ev: TextEvidence = { applied: [{ label: 'agent', at: at(10), actor: who('octocat') }], edits: [{ field: 'body', at: at(10), actor: who('mallory') }] };
    expect((await judgeText(ev, rules)).trusted).toBe(false);
  });

  it('the newest application decides, and with several trigger labels the newest trusted application is when the text was endorsed', async () => {
    const applied = [
      { label: 'agent', at: at(1), actor: who('octocat') }, { label: 'agent', at: at(20), actor: who('mallory') },
    ];
    expect((await judgeText({ applied, edits: [] }, rules)).reason).toBe('label `agent` was applied by @mallory, who has read permission (trusted_labelers_only)');
    const two = { ...rules, labels: ['agent', 'backend'] };
    const ev: TextEvidence = {
      applied: [{ label: 'agent', at: at(1), actor: who('octocat') }, { label: 'backend', at: at(30), actor: who('maint') }],
      edits: [{ field: 'body', at: at(20), actor: who('mallory') }],
    };
    expect((await judgeText(ev, two)).trusted).toBe(true); // maint labelled after the edit: they saw it
    expect((await judgeText({ applied: ev.applied.slice(0, 1), edits: [] }, two)).reason).toBe('no record of who applied label `backend` (trusted_labelers_only)');
  });

  it('an unknown actor is never trusted, and an incomplete record is trusted only if nothing is missing', async () => {
    const base = { applied: [{ label: 'agent', at: at(1), actor: who('octocat') }] };
    expect((await judgeText({ applied: [{ label: 'agent', at: at(1), actor: null }], edits: [] }, rules)).reason).toBe('label `agent` was applied by an unknown account (trusted_labelers_only)');
    expect((await judgeText({ ...base, edits: [{ field: 'body', at: at(2), actor: null }] }, rules)).reason).toMatch(/^an unknown account edited the description/);
    expect((await judgeText({ ...base, edits: [], incomplete: 'too many events' }, rules)).reason).toBe('too many events: held until a writer re-applies `agent` to accept the text as it is now');
  });

  it('without the labeller rule every change since creation counts', async () => {
    const r = { ...rules, labelers: false, since: at(0) };
    expect(await judgeText({ applied: [], edits: [] }, r)).toEqual({ trusted: true, reason: 'no untrusted edits' });
    expect((await judgeText({ applied: [], edits: [{ field: 'body', at: at(1), actor: who('mallory') }] }, r)).trusted).toBe(false);
  });
});

describe('TtlCache', () => {
  it('forgets the least recently used first and never returns an expired entry', () => {
    let now = 0;
    const c = new TtlCache<string, number>(2, 100, () => now);
    c.set('a', 1);
    c.set('b', 2);
    expect(c.get('a')).toBe(1); // a is now the most recently used
    c.set('c', 3);
    expect([c.get('a'), c.get('b'), c.get('c')]).toEqual([1, undefined, 3]);
    now = 150;
    expect(c.get('a')).toBeUndefined();
    expect(c.size).toBe(1);
  });
});

/** A GitHub that answers the edits document with these pages (newest-first or oldest-first, as given). */
function pagesOf(all: { at: string; login: string }[], opts: { created: string; pageSize?: number }): { gh: GitHubClient; calls: () => number } {
  let calls = 0;
  const size = opts.pageSize ?? 50;
  const graphql = async (_q: string, v: { after: string | null }) => {
    calls++;
    const from = v.after === null ? 0 : Number(v.after);
    const nodes = all.slice(from, from + size).map((e) => ({ editedAt: e.at, editor: { login: e.login } }));
    const newest = [...all].sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0];
    return {
      repository: { issue: {
        createdAt: opts.created, lastEditedAt: newest?.at ?? null, editor: newest ? { login: newest.login } : null, includesCreatedEdit: all.length > 0,
        userContentEdits: { totalCount: all.length, nodes, pageInfo: { hasNextPage: from + size < all.length, endCursor: String(from + size) } },
      } },
    };
  };
  return { gh: { graphql } as unknown as GitHubClient, calls: () => calls };
}

describe('readBodyEdits does not depend on the list order', () => {
  const repo = { owner: 'acme', repo: 'widgets' };
  const created = at(0);
  const edits = [{ at: created, login: 'author' }, ...Array.from({ length: 120 }, (_, i) => ({ at: at(i + 1), login: i === 3 ? 'mallory' : 'octocat' }))];

  it('newest first: stops once past `since`', async () => {
    const g = pagesOf([...edits].reverse(), { created });
    const out = await readBodyEdits(g.gh, repo, 1, Date.parse(at(100)));
    expect(out.incomplete).toBeNull();
    expect(g.calls()).toBe(1);
    // Every edit from `since` on is in hand (mallory's, long before it, was never needed).
    const needed = edits.filter((e) => Date.parse(e.at) >= Date.parse(at(100))).map((e) => e.at);
    expect(needed.every((t) => out.edits.some((e) => e.at === t))).toBe(true);
    expect(out.edits.some((e) => e.actor?.key === 'mallory')).toBe(false);
  });

  it('oldest first: reads every page (here 3), and drops the creation entry', async () => {
    const g = pagesOf(edits, { created });
    const out = await readBodyEdits(g.gh, repo, 1, Date.parse(at(2)));
    expect(g.calls()).toBe(3);
    expect(out.incomplete).toBeNull();
    expect(out.edits).toHaveLength(120);
    expect(out.edits.some((e) => e.actor?.key === 'author')).toBe(false);
  });

  it(`more than ${MAX_EDIT_PAGES} pages in an unhelpful order: incomplete, never trusted`, async () => {
    const many = [{ at: created, login: 'author' }, ...Array.from({ length: 260 }, (_, i) => ({ at: at(i + 1), login: 'octocat' }))];
    const out = await readBodyEdits(pagesOf(many, { created }).gh, repo, 7, Date.parse(at(1)));
    expect(out.incomplete).toBe('the body of #7 was edited more than 200 times; swarm cannot tell who wrote all of it');
  });
});

describe('the re-claim cooldown', () => {
  const ev = (type: string, seconds: number, extra: Record<string, unknown> = {}) => ({ type, ticket: '#1', key: '1', at: at(seconds), ...extra }) as unknown as TicketEvent;
  const claimed = (s: number) => ev('claimed', s, { branch: 'b', worktree: 'w', title: 't', url: 'u' });
  const cancelled = (s: number) => ev('cancelled', s, { reason: 'the ticket was closed', stopping_agent: true, removing_worktree: false });
  const fold = (events: TicketEvent[]) => events.reduce<TicketState | undefined>((t, e) => applyTicket(t, e), undefined)!;
  const HOUR = 3_600_000;

  it('lets a ticket given back after a cancellation be claimed once, then waits agent.reclaim_cooldown from that claim', () => {
    const once = fold([claimed(0), cancelled(10)]);
    expect(reclaimWaitMs(once, HOUR, Date.parse(at(20)))).toBe(0);
    const twice = fold([claimed(0), cancelled(10), claimed(20), cancelled(30)]);
    expect(twice.reclaimed_at).toBe(at(20));
    expect(reclaimWaitMs(twice, HOUR, Date.parse(at(40)))).toBe(HOUR - 20_000);
    expect(reclaimWaitMs(twice, HOUR, Date.parse(at(20)) + HOUR)).toBe(0);
    // An operator's retry lifts it; a release by the operator is no cancellation.
    expect(reclaimWaitMs(fold([claimed(0), cancelled(10), claimed(20), cancelled(30), ev('retry_requested', 40, { by: 'operator', reason: 'r' })]), HOUR, Date.parse(at(50)))).toBe(0);
    expect(reclaimWaitMs(fold([claimed(0), cancelled(10), claimed(20), ev('released', 30, { by: 'operator', reason: 'r' })]), HOUR, Date.parse(at(40)))).toBe(0);
  });
});

describe('reading references and pages', () => {
  it('scans a body of a million blank lines at once (the line prefix cannot run across lines)', () => {
    expect(blockerNumbersFromBody(`${'\n'.repeat(1_000_000)}blocked by #3, #4\n  * depends on #5`)).toEqual([3, 4, 5]);
    expect(blockerNumbersFromBody('blocked\nby #3')).toEqual([]);
  });

  it('finds the last page in a Link header', () => {
    expect(lastPageOf('<https://api.github.com/repos/a/b/issues/1/comments?per_page=100&page=2>; rel="next", <https://api.github.com/repos/a/b/issues/1/comments?per_page=100&page=7>; rel="last"')).toBe(7);
    expect(lastPageOf(undefined)).toBeNull();
  });
});
