// PURE PR follow-through decisions: given what a handed-off ticket's pull request looks like now
// and the ticket's follow-through record, what happens — nothing (and why, for `swarm explain`), a
// follow-up attempt (for which triggers), a stop for a human, or the end of the ticket. No I/O and no clock
// reads. Triggers are `<pr>:<head sha>:<ci|review>`; each is acted on at most once.
import type { Config } from '../config/types.js';
import type { PrCheck, PrComment, PrObservation, PrReview } from '../tracker/pr-watch.js';
import type { FollowupComment, FollowupState, TicketState } from './types.js';
import { emptyFollowup } from './followup-record.js';

/** Check conclusions that mean "this check failed" (check runs, and commit statuses' failure/error). */
const FAILING = new Set(['failure', 'timed_out', 'startup_failure', 'error']);
/**
 * Conclusions no agent can clear: `action_required` waits for a person to act on GitHub (approve a workflow
 * run, a deployment, the app's own button: REST description, checks "conclusion"); `stale` is a check run
 * GitHub gave up on after it stayed incomplete for 14 days ("About status checks"), to be re-run by a person.
 */
const HUMAN: Record<string, string> = {
  action_required: 'waits for someone to act on it on GitHub (approve or complete what the check asks)',
  stale: 'went stale (GitHub marks a check run that stayed incomplete for 14 days stale): someone must re-run it',
};

export type FollowupDecision =
  /** Nothing to do now; `why` is what `swarm explain` says; `human`: what waits for a person (a check only one can clear). */
  | { act: 'none'; why: string; human?: string }
  /** Start a follow-up for these triggers (the caller adds log excerpts for the failing check runs). */
  | { act: 'followup'; kind: 'ci' | 'review'; head_sha: string; triggers: string[]; failing: PrCheck[]; comments: FollowupComment[]; why: string }
  /** Stop follow-ups until a human removes the needs-human label. */
  | { act: 'stop'; why: 'needs_human' | 'human_push'; reason: string }
  /** Merged or closed: the ticket is done. */
  | { act: 'done'; merged: boolean; why: string };

/** Whether a failing check may start a follow-up: every check with `all`; with `required`, all but the ones the base branch does not require. */
function counts(c: PrCheck, mode: 'required' | 'all'): boolean {
  return mode === 'all' || c.required !== false;
}

/** The failing checks (that count under pr.followup_checks, when a config is given). */
export function failingChecks(obs: Pick<PrObservation, 'checks'>, config?: Config): PrCheck[] {
  const mode = config?.pr.followup_checks ?? 'all';
  return obs.checks.filter((c) => c.conclusion !== null && FAILING.has(c.conclusion) && counts(c, mode));
}

/** Checks that need a person (stale, action_required) and count under pr.followup_checks. */
export function humanChecks(obs: Pick<PrObservation, 'checks'>, config?: Config): PrCheck[] {
  const mode = config?.pr.followup_checks ?? 'all';
  return obs.checks.filter((c) => c.conclusion !== null && c.conclusion in HUMAN && counts(c, mode));
}

/** Each trusted reviewer's latest verdict that still asks for changes (a later approval or dismissal withdraws it). */
export function changeRequests(reviews: readonly PrReview[]): { trusted: PrReview[]; untrusted: PrReview[] } {
  const latest = new Map<string, PrReview>();
  for (const r of reviews) if (r.state !== 'COMMENTED') latest.set(r.author.toLowerCase(), r);
  const asking = [...latest.values()].filter((r) => r.state === 'CHANGES_REQUESTED');
  return { trusted: asking.filter((r) => r.trusted), untrusted: asking.filter((r) => !r.trusted) };
}

/** What goes in the prompt for a change request: the reviews' bodies and the trusted comments on their commits. */
function reviewComments(reviews: readonly PrReview[], comments: readonly PrComment[], since: string | null): FollowupComment[] {
  const out: FollowupComment[] = [];
  const commits = new Set(reviews.map((r) => r.commit_id));
  for (const r of reviews) if (r.body.trim() !== '') out.push({ author: r.author, body: r.body, path: null, line: null });
  for (const c of comments) {
    if (!c.trusted) continue;
    const onReview = c.kind === 'review' && c.commit_id !== null && commits.has(c.commit_id);
    const newConversation = c.kind === 'conversation' && (since === null || c.created_at > since);
    if (onReview || newConversation) out.push({ author: c.author, body: c.body, path: c.path, line: c.line });
  }
  return out;
}

const short = (sha: string) => sha.slice(0, 7);

export interface FollowupContext {
  config: Config;
  /** Another reason no follow-up may start now (the ticket's own budget spent), or null. */
  budgetStop: string | null;
}

/**
 * The decision for a ticket in review (its PR watched) on one observation. The order: merged or closed
 * ends it; a stop already recorded holds; a head that is not one of our commits means a human pushed;
 * then new triggers on the current head — a failing check (ci), a trusted change request (review) — are
 * acted on once each, within pr.max_followups and the ticket's budget.
 */
export function decideFollowup(ts: Pick<TicketState, 'pr' | 'followup' | 'attempts'>, obs: PrObservation, ctx: FollowupContext): FollowupDecision {
  const pr = obs.number;
  if (obs.state === 'merged') return { act: 'done', merged: true, why: `PR #${pr} was merged` };
  if (obs.state === 'closed') return { act: 'done', merged: false, why: `PR #${pr} was closed without merging` };
  const f: FollowupState = ts.followup ?? emptyFollowup();
  if (f.stopped) return { act: 'none', why: `no follow-ups: ${f.stopped.detail} (remove ${ctx.config.pr.needs_human_label} to hand it back)` };
  const head = obs.head_sha;
  if (f.ours.length > 0 && !f.ours.includes(head)) {
    const who = obs.head_pushed_by.login ?? obs.head_pushed_by.committer_email ?? 'someone else';
    return { act: 'stop', why: 'human_push', reason: `${who} pushed ${short(head)} to ${obs.head_branch}: a human took over` };
  }
  const failing = failingChecks(obs, ctx.config);
  const ciTrigger = `${pr}:${head}:ci`;
  const requests = changeRequests(obs.reviews);
  const reviewTriggers = requests.trusted.map((r) => `${pr}:${r.commit_id}:review`);
  const newCi = failing.length > 0 && !f.handled.includes(ciTrigger);
  const newReviews = requests.trusted.filter((_, i) => !f.handled.includes(reviewTriggers[i]!));
  if (!newCi && newReviews.length === 0) {
    const human = humanChecks(obs, ctx.config);
    if (human.length > 0) {
      const what = human.map((c) => `check ${c.name} is ${c.conclusion} on ${short(head)}: it ${HUMAN[c.conclusion!]}`).join('; ');
      return { act: 'none', human: what, why: `needs a human: ${what}; no follow-up starts for it` };
    }
    return { act: 'none', why: quietWhy(obs, failing, requests, f, ciTrigger, reviewTriggers, ctx.config) };
  }
  const max = ctx.config.pr.max_followups;
  const what = newCi ? `check ${failing.map((c) => c.name).join(', ')} failed on ${short(head)}` : `${newReviews.map((r) => r.author).join(', ')} requested changes`;
  if (f.rounds >= max) return { act: 'stop', why: 'needs_human', reason: `${what}, and ${f.rounds} follow-up(s) were already made (pr.max_followups ${max})` };
  if (ctx.budgetStop) return { act: 'stop', why: 'needs_human', reason: `${what}, but ${ctx.budgetStop}` };
  const triggers = [...(newCi ? [ciTrigger] : []), ...newReviews.map((r) => `${pr}:${r.commit_id}:review`)];
  const since = lastFollowupStart(ts);
  return {
    act: 'followup', kind: newCi ? 'ci' : 'review', head_sha: head, triggers, failing: newCi ? failing : [],
    comments: reviewComments(newReviews, obs.comments, since), why: `follow-up round ${f.rounds + 1}: ${what}`,
  };
}

/** Why nothing happens on a quiet PR, in one sentence (what explain shows). */
function quietWhy(obs: PrObservation, failing: PrCheck[], requests: ReturnType<typeof changeRequests>, f: FollowupState, ciTrigger: string, reviewTriggers: string[], config: Config): string {
  const parts: string[] = [];
  if (failing.length > 0 && f.handled.includes(ciTrigger)) parts.push(`the failing check on ${short(obs.head_sha)} was already followed up`);
  const optional = obs.checks.filter((c) => c.conclusion !== null && FAILING.has(c.conclusion) && !counts(c, config.pr.followup_checks ?? 'required'));
  if (optional.length > 0) parts.push(`${optional.map((c) => c.name).join(', ')} failed but the base branch does not require it (pr.followup_checks: all would follow it up)`);
  if (reviewTriggers.length > 0) parts.push('every change request was already followed up');
  for (const r of requests.untrusted) parts.push(`the change request by ${r.author} is not acted on: ${r.author} does not have write access`);
  const untrustedComments = [...new Set(obs.comments.filter((c) => !c.trusted).map((c) => c.author))];
  if (untrustedComments.length > 0) parts.push(`comments by ${untrustedComments.join(', ')} are not acted on (no write access)`);
  if (parts.length > 0) return `no follow-up: ${parts.join('; ')}`;
  const pending = obs.checks.filter((c) => c.conclusion === null).length;
  if (pending > 0) return `watching: ${pending} check(s) still running on ${short(obs.head_sha)}`;
  return `watching: no failing check or change request on ${short(obs.head_sha)}`;
}

/** When the last follow-up started (conversation comments after it are new), or null. */
function lastFollowupStart(ts: Pick<TicketState, 'attempts'>): string | null {
  const last = ts.attempts[ts.attempts.length - 1];
  return last ? last.started_at : null;
}

/** "3 passed, 1 failing, 1 optional failing, 1 needs a human, 2 running" for status. */
export function checkSummary(obs: Pick<PrObservation, 'checks'>, config?: Config): string {
  const all = failingChecks(obs).length;
  const failing = failingChecks(obs, config).length;
  const human = humanChecks(obs).length;
  const running = obs.checks.filter((c) => c.conclusion === null).length;
  const passed = obs.checks.length - all - human - running;
  if (obs.checks.length === 0) return 'no checks';
  const optional = all - failing;
  return [passed ? `${passed} passed` : '', failing ? `${failing} failing` : '', optional ? `${optional} optional failing` : '', human ? `${human} need${human === 1 ? 's' : ''} a human` : '', running ? `${running} running` : ''].filter(Boolean).join(', ');
}
