// Whether a Linear issue's text may reach an agent, whose comments may, and who made a change swarm reads as
// an operator's order — decided like GitHub's (text-trust.ts), on Linear's own record: Issue.history says
// who added each label (`addedLabelIds` + `actor`), who renamed the issue (`fromTitle`/`toTitle`) and who
// edited the description (`updatedDescription`, `descriptionUpdatedBy`); User says who someone is (admin,
// owner, guest, app, active).
//
// Who is trusted: the API key's own user; a user listed in tracker.allowed_authors by id or email (never by
// name: anyone can rename themselves, and a guest named "alice@corp.com" is not alice); an active user whose
// role is in tracker.trusted_roles (default admin and member: guests, app users and deactivated accounts
// are not). Integrations and automations act without a user (history `botActor`, comments with `user: null`):
// untrusted unless their bot id is listed in allowed_authors. A label present with no history entry adding
// it was applied when the issue was created, by its creator.
//
// Cost: one request (the first history page) per claim, retry or follow-up for most issues — never on an idle
// poll — and verdicts are kept while the issue's updatedAt is unchanged, at most TRUST_TTL_MS.

import type { TrackerConfig } from '../../config/types.js';
import { STICKY_MARKER, type ChangeActor, type OperatorChange, type Ticket, type TicketComment, type TrustVerdict } from '../types.js';
import { judgeText, type Actor, type Judgement, type TextEvidence } from '../text-trust.js';
import { TtlCache } from '../ttl-cache.js';
import { nodes, obj, str } from './queries.js';
import { ISSUE_TRUST_QUERY, MAX_HISTORY_PAGES, parseBot, parseHistoryPage, parseUser, TRUSTED_COMMENTS_QUERY, type HistoryEntry, type LinearActor, type TrustVars } from './trust-queries.js';

/** How long a verdict (and the roles it rests on) is believed while the issue is unchanged. */
export const TRUST_TTL_MS = 10 * 60_000;

export interface LinearTrustDeps {
  request(query: string, variables: Record<string, unknown>): Promise<Record<string, unknown>>;
  config(): TrackerConfig;
  /** The API key's user and the workspace's label and state ids by name (resolved at start). */
  resolved(): Promise<{ viewerId: string; labels: Map<string, string>; states: Map<string, string> }>;
  now(): number;
}

export interface LinearTrust {
  verdict(ticket: Ticket): Promise<TrustVerdict>;
  comments(ticket: Ticket): Promise<TicketComment[]>;
  changedBy(ticket: Ticket, change: OperatorChange): Promise<ChangeActor | null>;
}

interface HistoryRead {
  entries: HistoryEntry[];
  complete: boolean;
  createdAt: string;
  creator: LinearActor | null;
}

const lower = (s: string) => s.toLowerCase();

export function createLinearTrust(d: LinearTrustDeps): LinearTrust {
  const verdicts = new TtlCache<string, TrustVerdict>(2000, TRUST_TTL_MS, () => d.now());
  const restricted = () => d.config().trusted_labelers_only || d.config().allowed_authors.length > 0;

  /** Listed in allowed_authors: a user by id or email, a bot by its id. */
  const listed = (a: LinearActor): boolean => {
    const allowed = new Set(d.config().allowed_authors.map(lower));
    if (a.kind === 'bot') return a.id !== null && allowed.has(lower(a.id));
    return allowed.has(lower(a.id)) || (a.email !== '' && allowed.has(lower(a.email)));
  };

  const roleOf = (u: Extract<LinearActor, { kind: 'user' }>) => (u.app ? 'app' : u.guest ? 'guest' : u.admin || u.owner ? 'admin' : 'member');

  async function judge(a: LinearActor): Promise<Judgement> {
    const cfg = d.config();
    if (a.kind === 'bot') return listed(a) ? { trusted: true, as: 'an integration listed in tracker.allowed_authors' } : { trusted: false, as: `no user behind it (a ${a.type} integration or automation)` };
    if (a.id === (await d.resolved()).viewerId) return { trusted: true, as: "the API key's user" };
    if (!a.active) return { trusted: false, as: 'a deactivated account' };
    if (listed(a)) return { trusted: true, as: 'listed in tracker.allowed_authors' };
    const role = roleOf(a);
    return cfg.trusted_roles.includes(role) ? { trusted: true, as: role } : { trusted: false, as: `the ${role} role (tracker.trusted_roles: ${cfg.trusted_roles.join(', ') || 'none'})` };
  }

  const actorOf = (a: LinearActor | null): Actor | null => {
    if (a === null) return null;
    if (a.kind === 'bot') return { key: `bot:${a.id ?? a.type}`, name: `${a.name ?? a.type} (integration)` };
    return { key: a.id, name: a.email ? `${a.name} <${a.email}>` : a.name };
  };

  /** Who each Actor key is (judgeText hands back the Actor; the judge needs the Linear record). */
  function judgeBy(people: Map<string, LinearActor>) {
    return (a: Actor) => judge(people.get(a.key)!);
  }

  /**
   * History pages until `enough` holds, or every page was read, or MAX_HISTORY_PAGES. The order is read from
   * the data: newest-first pages may stop early (what is further on is older), any other order reads on.
   */
  async function readHistory(ticket: Ticket, enough: (entries: HistoryEntry[]) => boolean): Promise<HistoryRead> {
    const entries: HistoryEntry[] = [];
    let after: string | null = null;
    let createdAt = ticket.created_at;
    let creator: LinearActor | null = null;
    for (let i = 0; i < MAX_HISTORY_PAGES; i++) {
      const data = await d.request(ISSUE_TRUST_QUERY, { id: ticket.id, after } satisfies TrustVars['issueTrust']);
      const page = parseHistoryPage(data.issue, `issue ${ticket.identifier}`);
      ({ createdAt, creator } = page);
      entries.push(...page.entries);
      if (page.next === null) return { entries, complete: true, createdAt, creator };
      const times = entries.map((e) => Date.parse(e.createdAt));
      const newestFirst = times.every((t, k) => k === 0 || t <= times[k - 1]!);
      if (newestFirst && enough(entries)) return { entries, complete: true, createdAt, creator };
      after = page.next;
    }
    return { entries, complete: false, createdAt, creator };
  }

  async function compute(ticket: Ticket): Promise<TrustVerdict> {
    const cfg = d.config();
    const r = await d.resolved();
    const triggerIds = new Map(cfg.labels.map((l) => [r.labels.get(l) ?? `missing:${l}`, l] as const));
    const hasAll = (entries: HistoryEntry[]) => [...triggerIds.keys()].every((id) => entries.some((e) => e.addedLabelIds.includes(id)));
    // With the labeller rule, the pages up to every trigger label's newest application hold every change that
    // matters; without it, every change since the creation does: all of the history (bounded).
    const h = await readHistory(ticket, (entries) => cfg.trusted_labelers_only && hasAll(entries));
    const reasons: string[] = [];
    if (cfg.allowed_authors.length > 0) {
      if (!h.creator) return { trusted: false, reason: `${ticket.identifier} has no human creator and tracker.allowed_authors is set` };
      if (!listed(h.creator)) return { trusted: false, reason: `created by ${actorOf(h.creator)!.name}, who is not in tracker.allowed_authors (matched by user id or email, never by name)` };
      reasons.push(`created by ${actorOf(h.creator)!.name} (tracker.allowed_authors)`);
    }
    const people = new Map<string, LinearActor>();
    const actor = (a: LinearActor | null) => {
      const x = actorOf(a);
      if (x && a) people.set(x.key, a);
      return x;
    };
    const applied: { label: string; at: string; actor: Actor | null }[] = [];
    const edits: { field: 'title' | 'body'; at: string; actor: Actor | null }[] = [];
    for (const e of h.entries) {
      for (const id of e.addedLabelIds) if (triggerIds.has(id)) applied.push({ label: triggerIds.get(id)!, at: e.createdAt, actor: actor(e.actor) });
      // A history entry gathers a run of changes; its updatedAt is when the last of them was made.
      const at = Date.parse(e.updatedAt) > Date.parse(e.createdAt) ? e.updatedAt : e.createdAt;
      if (e.titleChanged) edits.push({ field: 'title', at, actor: actor(e.actor) });
      if (e.descriptionUpdated) for (const by of e.descriptionUpdatedBy.length > 0 ? e.descriptionUpdatedBy : [e.actor]) edits.push({ field: 'body', at, actor: actor(by) });
    }
    // A trigger label no entry added was there from the start: applied by whoever created the issue.
    if (h.complete) for (const l of cfg.labels) if (!applied.some((a) => a.label === l) && ticket.labels.includes(l)) applied.push({ label: l, at: h.createdAt, actor: actor(h.creator) });
    const evidence: TextEvidence = { applied, edits, incomplete: h.complete ? null : `the history of ${ticket.identifier} is longer than swarm reads; it cannot tell who changed it` };
    const text = await judgeText(evidence, { labels: cfg.labels, labelers: cfg.trusted_labelers_only, since: h.createdAt, judge: judgeBy(people), fixer: 'a workspace member' });
    if (!text.trusted) return text;
    return { trusted: true, reason: [...reasons, ...(text.reason !== 'no untrusted edits' ? [text.reason] : [])].join('; ') || 'no untrusted edits' };
  }

  return {
    async verdict(ticket) {
      const cfg = d.config();
      if (!restricted()) return { trusted: true, reason: 'no trust restrictions configured' };
      const key = JSON.stringify([ticket.id, ticket.updated_at, cfg.labels, cfg.trusted_labelers_only, cfg.allowed_authors, cfg.trusted_roles]);
      const cached = verdicts.get(key);
      if (cached) return cached;
      const v = await compute(ticket);
      verdicts.set(key, v);
      return v;
    },

    async comments(ticket) {
      const data = await d.request(TRUSTED_COMMENTS_QUERY, { id: ticket.id } satisfies TrustVars['comments']);
      const conn = obj(data.issue, 'issue').comments;
      const out: TicketComment[] = [];
      for (const c of nodes(conn, 'comments')) {
        const body = str(c.body, 'comment.body');
        if (body.includes(STICKY_MARKER)) continue; // swarm's own status, not input for the agent
        const user = parseUser(c.user, 'comment.user');
        const bot = parseBot(c.botActor, 'comment.botActor');
        const who = user ?? bot;
        const author = user?.kind === 'user' ? user.displayName || user.name : bot?.kind === 'bot' ? bot.name ?? bot.type : 'integration';
        out.push({ author, body, created_at: str(c.createdAt, 'comment.createdAt'), trusted: who !== null && (await judge(who)).trusted });
      }
      // Only the first (newest) NEWEST_COMMENTS are read. Linear lists them newest first; the prompt reads
      // oldest first, as on GitHub.
      return out.sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
    },

    async changedBy(ticket, change) {
      if (!restricted()) return null;
      const r = await d.resolved();
      const match = 'removedLabel' in change
        ? ((id) => (e: HistoryEntry) => e.removedLabelIds.includes(id))(r.labels.get(change.removedLabel) ?? '')
        : ((id) => (e: HistoryEntry) => e.fromStateId === id && e.toStateId !== id)(r.states.get(change.leftState) ?? '');
      const h = await readHistory(ticket, (entries) => entries.some(match));
      const newest = h.entries.filter(match).sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))[0];
      if (!newest || newest.actor === null) return { by: 'an unknown account', trusted: false, as: 'no record of who did it' };
      const j = await judge(newest.actor);
      return { by: actorOf(newest.actor)!.name, trusted: j.trusted, as: j.as };
    },
  };
}
