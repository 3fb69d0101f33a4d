// Whether a GitHub issue's text may reach an agent (tracker.trusted_labelers_only, tracker.allowed_authors),
// and who made a change swarm reads as an operator's order. The evidence comes from history.ts (issue events,
// the body's edit history), the people from people.ts; the weighing is text-trust.ts's.
//
// Cost: nothing on an idle poll. At a claim, a retry or a follow-up: the issue's events (one conditional
// request for most issues), collaborator permissions (cached), and one GraphQL request for the body's edits —
// skipped when the label already fails. A verdict is kept while the issue's `updated_at` is unchanged (every
// edit, label and comment moves it) and at most PERMISSION_TTL_MS, like the permissions it rests on.
//
// tracker.allowed_authors names GitHub accounts by id (digits) or login (`alice`, or `@1234` for a login made
// of digits). Logins are recycled when an account is deleted or renamed, ids never: a login is resolved to
// its account id once per daemon and matched by id from then on.

import type { TrackerConfig } from '../../config/types.js';
import type { TrackerError } from '../../errors.js';
import type { ChangeActor, Ticket, TrustVerdict } from '../types.js';
import { judgeText, type Actor, type Judgement, type TextRules } from '../text-trust.js';
import { TtlCache } from '../ttl-cache.js';
import type { GitHubClient } from './client.js';
import { eventEvidence, labelsFound, newestRemoval, readBodyEdits, readEvents } from './history.js';
import { PERMISSION_TTL_MS, type GitHubPeople } from './people.js';

export interface IssueAuthor {
  login: string | null;
  id: number | null;
}

export class GitHubTrust {
  private readonly verdicts: TtlCache<string, TrustVerdict>;

  constructor(
    private readonly gh: GitHubClient,
    private readonly repo: { owner: string; repo: string },
    private readonly people: GitHubPeople,
    private readonly config: () => TrackerConfig,
    private readonly mapError: (err: unknown, what: string) => TrackerError,
    private readonly now: () => number,
  ) {
    this.verdicts = new TtlCache(2000, PERMISSION_TTL_MS, now);
  }

  private get restricted(): boolean {
    const tc = this.config();
    return tc.trusted_labelers_only || tc.allowed_authors.length > 0;
  }

  async verdict(ticket: Ticket, author: IssueAuthor): Promise<TrustVerdict> {
    const tc = this.config();
    if (!this.restricted) return { trusted: true, reason: 'no trust restrictions configured' };
    const key = JSON.stringify([ticket.key, ticket.updated_at, tc.labels, tc.trusted_labelers_only, tc.allowed_authors]);
    const cached = this.verdicts.get(key);
    if (cached) return cached;
    const verdict = await this.compute(ticket, author);
    this.verdicts.set(key, verdict);
    return verdict;
  }

  private async compute(ticket: Ticket, author: IssueAuthor): Promise<TrustVerdict> {
    const tc = this.config();
    const reasons: string[] = [];
    if (tc.allowed_authors.length > 0) {
      const allowed = await this.allowedIds();
      if (author.id === null || !allowed.has(author.id)) return { trusted: false, reason: `issue author @${author.login ?? 'unknown'} is not in tracker.allowed_authors` };
      reasons.push(`author @${author.login} is allowed`);
    }
    const labelers = tc.trusted_labelers_only;
    const read = await this.call('reading issue events', () => readEvents(this.gh, this.repo, ticket.number, (newest) => labelers && labelsFound(newest, tc.labels)));
    const found = read.complete || (labelers && labelsFound(read.events, tc.labels));
    const evidence = { ...eventEvidence(read.events), incomplete: found ? null : `issue #${ticket.number} has more events than swarm reads; it cannot tell who changed it` };
    const rules: TextRules = { labels: tc.labels, labelers, since: ticket.created_at, judge: (a) => this.judge(a, labelers ? null : author), fixer: 'a writer' };
    // The labels (and title) first: when they already fail, the body's history is not worth a request.
    const first = await judgeText(evidence, rules);
    if (!first.trusted) return first;
    const since = labelers ? oldestNewestApplication(evidence.applied, tc.labels) : Date.parse(ticket.created_at);
    const body = await this.call('reading the edit history', () => readBodyEdits(this.gh, this.repo, ticket.number, since));
    const text = await judgeText({ applied: evidence.applied, edits: [...evidence.edits, ...body.edits], incomplete: evidence.incomplete ?? body.incomplete }, rules);
    if (!text.trusted) return text;
    return { trusted: true, reason: [...reasons, ...(labelers || text.reason !== 'no untrusted edits' ? [text.reason] : [])].join('; ') };
  }

  /** Writers and the token user; with allowed_authors alone (no labeller rule), the allowed author too. */
  private async judge(a: Actor, allowedAuthor: IssueAuthor | null): Promise<Judgement> {
    if (allowedAuthor?.login && a.key.toLowerCase() === allowedAuthor.login.toLowerCase()) return { trusted: true, as: 'the issue author, in tracker.allowed_authors' };
    return this.people.judge(a.key);
  }

  /**
   * Who most recently took `label` off the issue, judged like an editor. null without trust restrictions
   * (anyone's change counts); untrusted when the events do not say who.
   */
  async removedBy(ticket: Ticket, label: string): Promise<ChangeActor | null> {
    if (!this.restricted) return null;
    const read = await this.call('reading issue events', () => readEvents(this.gh, this.repo, ticket.number, (newest) => newestRemoval(newest, label) !== null));
    const e = newestRemoval(read.events, label);
    if (!e || e.actor === null) return { by: 'an unknown account', trusted: false, as: 'no record of who did it' };
    const j = await this.people.judge(e.actor);
    return { by: `@${e.actor}`, trusted: j.trusted, as: j.as };
  }

  /** Account ids named by tracker.allowed_authors (digits: an id; anything else a login, resolved once). */
  private async allowedIds(): Promise<Set<number>> {
    const ids = new Set<number>();
    for (const entry of this.config().allowed_authors) {
      if (/^\d+$/.test(entry)) ids.add(Number(entry));
      else {
        const id = await this.people.userId(entry.replace(/^@/, ''));
        if (id !== null) ids.add(id);
      }
    }
    return ids;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.mapError(err, what);
    }
  }
}

/** The earliest of the trigger labels' newest applications: edits from then on may matter. */
function oldestNewestApplication(applied: readonly { label: string; at: string }[], labels: readonly string[]): number {
  let min = Number.POSITIVE_INFINITY;
  for (const l of labels) {
    let newest = Number.NEGATIVE_INFINITY;
    for (const a of applied) if (a.label.toLowerCase() === l.toLowerCase()) newest = Math.max(newest, Date.parse(a.at));
    min = Math.min(min, newest);
  }
  return Number.isFinite(min) ? min : Number.NEGATIVE_INFINITY;
}
