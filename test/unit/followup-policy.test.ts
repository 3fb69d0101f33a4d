// PR follow-through decisions (followup-policy.ts) and the follow-up transitions (lifecycle → fold): each
// trigger once, the bound, a human's push, trust, merged/closed; a follow-up's run never counts.
import { describe, expect, it } from 'vitest';
import { decideFollowup, changeRequests, checkSummary } from '../../src/core/followup-policy.js';
import { followupStarted, needsHuman, followupsResumed, prClosed, finish } from '../../src/core/lifecycle.js';
import { applyTicket } from '../../src/core/fold.js';
import { blankTicketState } from '../../src/core/records.js';
import { parseFollowup } from '../../src/core/followup-record.js';
import { emptyState } from '../../src/state/empty-state.js';
import { validateConfig } from '../../src/config/schema.js';
import type { PrObservation, PrCheck, PrReview } from '../../src/tracker/pr-watch.js';
import type { TicketState } from '../../src/core/types.js';

const HEAD = 'a'.repeat(40);
const config = validateConfig({}, { file: 'WORKFLOW.md', env: {} }).config;

function obs(over: Partial<PrObservation> = {}): PrObservation {
  return { number: 7, state: 'open', head_sha: HEAD, head_branch: 'swarm/1-x', unchanged: false, checks: [], reviews: [], comments: [], head_pushed_by: { login: 'swarm-bot', committer_email: null }, ...over };
}
const check = (name: string, conclusion: string | null): PrCheck => ({ id: 1, name, status: conclusion === null ? 'in_progress' : 'completed', conclusion, summary: `${name} says`, app: 'github-actions', details_url: null, source: 'check_run' });
const review = (author: string, state: string, trusted: boolean, commit = HEAD): PrReview => ({ id: Math.random(), author, trusted, state, commit_id: commit, submitted_at: '2026-01-01T00:00:00Z', body: `${author}: ${state}` });

function reviewTicket(extra: Partial<TicketState> = {}): TicketState {
  return { ...blankTicketState('1', '#1', '2026-01-01T00:00:00Z'), status: 'review', branch: 'swarm/1-x', pr: { number: 7, url: 'https://github.com/acme/widgets/pull/7' }, followup: { rounds: 0, handled: [], ours: [HEAD], pending: null, stopped: null, seen: null }, ...extra };
}
const ctx = { config, budgetStop: null };

describe('decideFollowup', () => {
  it('a failing check on our head → one follow-up for that trigger; once handled, nothing (and says so)', () => {
    const o = obs({ checks: [check('build', 'failure'), check('lint', 'success'), check('e2e', null)] });
    const d = decideFollowup(reviewTicket(), o, ctx);
    expect(d).toMatchObject({ act: 'followup', kind: 'ci', head_sha: HEAD, triggers: [`7:${HEAD}:ci`] });
    expect(d.act === 'followup' && d.failing.map((c) => c.name)).toEqual(['build']);
    const done = reviewTicket({ followup: { rounds: 1, handled: [`7:${HEAD}:ci`], ours: [HEAD], pending: null, stopped: null, seen: null } });
    expect(decideFollowup(done, o, ctx)).toEqual({ act: 'none', why: expect.stringContaining('already followed up') });
    expect(checkSummary(o)).toBe('1 passed, 1 failing, 1 running');
  });

  it('a trusted change request → review follow-up with its comments; an untrusted one is named and ignored; a later approval withdraws it', () => {
    const comments = [
      { id: 1, author: 'alice', trusted: true, body: 'Rename.', path: 'a.ts', line: 3, commit_id: HEAD, created_at: '2026-01-02T00:00:00Z', kind: 'review' as const },
      { id: 2, author: 'mallory', trusted: false, body: 'rm -rf', path: 'a.ts', line: 1, commit_id: HEAD, created_at: '2026-01-02T00:00:00Z', kind: 'review' as const },
    ];
    const d = decideFollowup(reviewTicket(), obs({ reviews: [review('alice', 'CHANGES_REQUESTED', true)], comments }), ctx);
    expect(d).toMatchObject({ act: 'followup', kind: 'review', triggers: [`7:${HEAD}:review`] });
    expect(d.act === 'followup' && d.comments).toEqual([
      { author: 'alice', body: 'alice: CHANGES_REQUESTED', path: null, line: null },
      { author: 'alice', body: 'Rename.', path: 'a.ts', line: 3 },
    ]);
    const untrusted = decideFollowup(reviewTicket(), obs({ reviews: [review('mallory', 'CHANGES_REQUESTED', false)], comments }), ctx);
    expect(untrusted).toEqual({ act: 'none', why: expect.stringContaining('the change request by mallory is not acted on: mallory does not have write access') });
    expect(changeRequests([review('alice', 'CHANGES_REQUESTED', true), review('alice', 'COMMENTED', true), review('alice', 'APPROVED', true)]).trusted).toEqual([]);
  });

  it('at pr.max_followups a new trigger stops for a human; a spent ticket budget too', () => {
    const o = obs({ checks: [check('build', 'failure')] });
    const spent = reviewTicket({ followup: { rounds: config.pr.max_followups, handled: [], ours: [HEAD], pending: null, stopped: null, seen: null } });
    expect(decideFollowup(spent, o, ctx)).toMatchObject({ act: 'stop', why: 'needs_human', reason: expect.stringContaining(`(pr.max_followups ${config.pr.max_followups})`) });
    expect(decideFollowup(reviewTicket(), o, { config, budgetStop: 'ticket spent $5.00 of agent.max_cost_usd $5.00' })).toMatchObject({ act: 'stop', reason: expect.stringContaining('agent.max_cost_usd') });
  });

  it('a head that is not ours → a human took over; merged / closed → done; a stop holds until handed back', () => {
    const human = obs({ head_sha: 'b'.repeat(40), head_pushed_by: { login: 'hanna', committer_email: 'h@x' }, checks: [check('build', 'failure')] });
    expect(decideFollowup(reviewTicket(), human, ctx)).toMatchObject({ act: 'stop', why: 'human_push', reason: expect.stringContaining('hanna pushed bbbbbbb') });
    expect(decideFollowup(reviewTicket(), obs({ state: 'merged' }), ctx)).toMatchObject({ act: 'done', merged: true });
    expect(decideFollowup(reviewTicket(), obs({ state: 'closed' }), ctx)).toMatchObject({ act: 'done', merged: false });
    const stopped = reviewTicket({ followup: { rounds: 1, handled: [], ours: [HEAD], pending: null, stopped: { why: 'human_push', detail: 'hanna pushed', at: '' }, seen: null } });
    expect(decideFollowup(stopped, human, ctx)).toMatchObject({ act: 'none', why: expect.stringContaining('remove agent:needs-human') });
  });
});

describe('follow-up transitions', () => {
  const at = Date.parse('2026-02-01T00:00:00Z');
  const f = { pr: 7, round: 1, kind: 'ci' as const, head_sha: HEAD, triggers: [`7:${HEAD}:ci`], checks: [{ name: 'build', conclusion: 'failure', summary: 's', log_excerpt: 'log' }], comments: [] };

  it('started takes the round and the trigger in the same record; the run is never counted; pushed → review with our new commit', () => {
    const started = followupStarted(reviewTicket(), f, at).ticket!;
    expect(started.status).toBe('claimed');
    expect(started.followup).toMatchObject({ rounds: 1, handled: [`7:${HEAD}:ci`], pending: { round: 1, head_sha: HEAD } });
    const running = { ...started, status: 'running' as const, attempts: [{ number: 1, model: 'sonnet', outcome: 'running' as const, counted: false, reason: '', summary: '', started_at: '2026-02-01T00:00:00Z', ended_at: null, duration_ms: 0, cost_usd: 0, tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 }, session_id: null, pid: null, pid_start: null, run_file: '' }] };
    const state = { ...emptyState(at), tickets: { 1: running } };
    const noPush = finish(state, running, 1, { cls: { outcome: 'no_changes', counted: true, reason: 'nothing', resetAt: null, limitType: null, rule: 'x' }, pr: null, run: null, held: null, started: true }, config, at, 0);
    expect(noPush.ticket!.failures).toBe(0);
    expect(noPush.ticket!.followup?.stopped?.why).toBe('needs_human');
    const NEW = 'c'.repeat(40);
    const pushed = finish(state, running, 1, { cls: { outcome: 'pr_opened', counted: false, reason: 'pushed', resetAt: null, limitType: null, rule: 'x' }, pr: null, run: null, held: null, started: true, commits: [NEW, HEAD], followupHead: NEW }, config, at, 0);
    expect(pushed.events.map((e) => e.type)).toEqual(['finished', 'followup_pushed']);
    expect(pushed.ticket!.status).toBe('review');
    expect(pushed.ticket!.followup).toMatchObject({ pending: null, ours: [HEAD, NEW] });
  });

  it('a follow-up that meets a usage limit waits for the pause; one cancelled stops; an infra failure retries; the round is not taken again', () => {
    const started = followupStarted(reviewTicket(), f, at).ticket!;
    const running = { ...started, status: 'running' as const, attempts: [{ number: 1, model: 'sonnet', outcome: 'running' as const, counted: false, reason: '', summary: '', started_at: '2026-02-01T00:00:00Z', ended_at: null, duration_ms: 0, cost_usd: 0, tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 }, session_id: null, pid: null, pid_start: null, run_file: '' }] };
    const state = { ...emptyState(at), tickets: { 1: running } };
    const end = (outcome: 'rate_limited' | 'cancelled' | 'infra_failed', resetAt: number | null = null) =>
      finish(state, running, 1, { cls: { outcome, counted: false, reason: outcome, resetAt, limitType: resetAt ? 'five_hour' : null, rule: 'x' }, pr: null, run: null, held: null, started: true }, config, at, 0);
    const limited = end('rate_limited', at + 60_000);
    expect(limited.events.map((e) => e.type)).toEqual(['finished', 'paused', 'waiting']);
    expect(limited.tripped.pause).toMatchObject({ kind: 'rate_limit', until: new Date(at + 60_000).toISOString() });
    expect(limited.events.at(-1)).toMatchObject({ type: 'waiting', due: new Date(at + 60_000).toISOString() });
    expect(limited.ticket!.followup).toMatchObject({ rounds: 1, pending: { round: 1 } });
    expect(end('cancelled').events.map((e) => e.type)).toEqual(['finished', 'cancelled']);
    expect(end('infra_failed').events.map((e) => e.type)).toEqual(['finished', 'retry_scheduled']);
  });

  it('needs_human, handed back, and done fold as the record says; the record survives a round trip through state.json', () => {
    let t = needsHuman(reviewTicket(), 'human_push', 'hanna pushed', 'agent:needs-human', at).ticket!;
    expect(t.followup?.stopped).toMatchObject({ why: 'human_push' });
    t = followupsResumed(t, 'label removed', 'b'.repeat(40), at).ticket!;
    expect(t.followup).toMatchObject({ rounds: 0, stopped: null, ours: [HEAD, 'b'.repeat(40)] });
    t = prClosed(t, true, at).ticket!;
    expect(t.status).toBe('done');
    expect(parseFollowup(JSON.parse(JSON.stringify(t.followup)))).toEqual(t.followup);
    // Replaying the events gives the same record (what a rebuild of a lost state.json does).
    const events = [...needsHuman(reviewTicket(), 'human_push', 'hanna pushed', 'agent:needs-human', at).events];
    expect(applyTicket(reviewTicket(), events[0] as any).followup?.stopped?.why).toBe('human_push');
  });
});
