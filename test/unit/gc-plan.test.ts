import { describe, expect, it } from 'vitest';
import { decide, expiredTranscripts, type GcCandidate } from '../../src/workspace/gc-plan.js';

const base: GcCandidate = {
  path: '/r/.swarm/worktrees/swarm-1-x',
  branch: 'swarm/1-x',
  ticket: '1',
  prunable: false,
  unregistered: false,
  exists: true,
  ticketFact: 'open',
  pr: null,
  unpushed: 0,
  dirty: 0,
  busy: null,
};
const c = (patch: Partial<GcCandidate>): GcCandidate => ({ ...base, ...patch });

describe('gc plan', () => {
  it('removes worktree and branch when the PR merged or closed, or the ticket closed', () => {
    expect(decide(c({ pr: { state: 'merged', url: 'u/pull/2' } }), { force: false })).toEqual({ action: 'remove', reason: 'PR merged (u/pull/2)', deleteBranch: true });
    expect(decide(c({ pr: { state: 'closed', url: 'u/pull/2' } }), { force: false })).toMatchObject({ action: 'remove', reason: 'PR closed (u/pull/2)' });
    expect(decide(c({ ticketFact: 'closed' }), { force: false })).toMatchObject({ action: 'remove', reason: 'ticket closed' });
  });

  it('keeps work in progress: open PR, open ticket, unknown facts', () => {
    expect(decide(c({ pr: { state: 'open', url: 'u/pull/2' } }), { force: false })).toEqual({ action: 'keep', reason: 'PR open (u/pull/2)', finished: false });
    expect(decide(c({}), { force: false })).toMatchObject({ action: 'keep', finished: false });
    expect(decide(c({ ticketFact: 'unknown' }), { force: false })).toMatchObject({ action: 'keep', reason: 'could not check the ticket/PR' });
  });

  it('never deletes unpushed commits without force, and says why', () => {
    const d = decide(c({ ticketFact: 'closed', unpushed: 2 }), { force: false });
    expect(d).toMatchObject({ action: 'keep', finished: true });
    expect(d.reason).toMatch(/2 unpushed commit\(s\).*--force/);
    expect(decide(c({ ticketFact: 'closed', unpushed: 2 }), { force: true })).toMatchObject({ action: 'remove', deleteBranch: true });
  });

  it('never deletes uncommitted or untracked files without force, and says why', () => {
    const d = decide(c({ pr: { state: 'merged', url: 'u/pull/2' }, dirty: 3 }), { force: false });
    expect(d).toMatchObject({ action: 'keep', finished: true });
    expect(d.reason).toBe('PR merged (u/pull/2), but its worktree holds 3 uncommitted or untracked file(s); use --force to delete them');
    expect(decide(c({ ticketFact: 'closed', dirty: 1, unpushed: 2 }), { force: true })).toEqual({ action: 'remove', reason: 'ticket closed (--force: 2 unpushed commit(s) and 1 uncommitted file(s) deleted)', deleteBranch: true });
    // A marked folder git does not know that holds files: kept unless forced; an empty one goes.
    expect(decide(c({ unregistered: true, ticket: null, branch: null, ticketFact: 'unknown', dirty: 2 }), { force: false })).toMatchObject({ action: 'keep', reason: expect.stringMatching(/holding 2 file\(s\); use --force/) });
    expect(decide(c({ unregistered: true, ticket: null, branch: null, ticketFact: 'unknown', dirty: 2 }), { force: true })).toMatchObject({ action: 'remove' });
  });

  it('leaves busy tickets alone even when finished; prunes stale entries; removes unknown half-created dirs', () => {
    expect(decide(c({ ticketFact: 'closed', busy: 'daemon works on it' }), { force: true })).toEqual({ action: 'keep', reason: 'daemon works on it', finished: false });
    expect(decide(c({ prunable: true }), { force: false })).toMatchObject({ action: 'remove', deleteBranch: false });
    expect(decide(c({ unregistered: true, ticket: null, branch: null, ticketFact: 'unknown' }), { force: false })).toMatchObject({ action: 'remove' });
    expect(decide(c({ unregistered: true, ticketFact: 'open' }), { force: false })).toMatchObject({ action: 'keep' });
  });

  it('expires transcripts by age, never the ones being written', () => {
    const day = 86_400_000;
    const now = 100 * day;
    const files = [
      { path: '/a/1.jsonl', mtimeMs: now - 15 * day, bytes: 10 },
      { path: '/a/2.jsonl', mtimeMs: now - 13 * day, bytes: 10 },
      { path: '/b/1.jsonl', mtimeMs: now - 30 * day, bytes: 10 },
    ];
    expect(expiredTranscripts(files, now, 14, new Set(['/b/1.jsonl'])).map((f) => f.path)).toEqual(['/a/1.jsonl']);
  });
});
