// Who changed an issue, and when: the evidence trust is decided on. Labels and titles come from the REST
// issue events (`labeled`, `unlabeled`, `renamed`, each with its `actor`; REST description, issues/list-events
// and "Issue event types"). GitHub REST has no edit history for bodies: that is GraphQL's
// `Issue.userContentEdits` with `lastEditedAt` / `editor` (GitHub GraphQL reference, UserContentEdit).
//
// Both are read only when a claim, a retry or a follow-up is about to hand the text to an agent, never on an
// idle poll, and both are bounded: events are read from the newest page backwards (tail-pages.ts) until the
// newest application of every trigger label is found; edits at most MAX_EDIT_PAGES pages. What could not be
// read is reported as `incomplete`, and an incomplete record is never trusted.

import type { GitHubClient } from './client.js';
import { readTail } from './tail-pages.js';
import type { Actor, TextEvidence } from '../text-trust.js';

/** Pages of issue events one read may request (5 × 100 events). */
export const MAX_EVENT_PAGES = 5;
/** Pages of body edits one read may request (4 × 50 edits). */
export const MAX_EDIT_PAGES = 4;
const EDITS_PAGE = 50;

export interface IssueEvent {
  event: string;
  at: string;
  actor: string | null;
  label: string | null;
}

function parseEvent(raw: unknown): IssueEvent {
  const e = (raw ?? {}) as { event?: unknown; created_at?: unknown; actor?: { login?: unknown } | null; label?: { name?: unknown } | null };
  return {
    event: typeof e.event === 'string' ? e.event : '',
    at: typeof e.created_at === 'string' ? e.created_at : '',
    actor: typeof e.actor?.login === 'string' ? e.actor.login : null,
    label: typeof e.label?.name === 'string' ? e.label.name : null,
  };
}

const actorOf = (login: string | null): Actor | null => (login === null ? null : { key: login, name: `@${login}` });
const sameLabel = (a: string | null, b: string) => a !== null && a.toLowerCase() === b.toLowerCase();

/**
 * The issue's events, newest pages first, until `enough` holds for the events read without a gap from the
 * newest (or every page was read, or MAX_EVENT_PAGES): `complete` says whether anything older is missing.
 */
export async function readEvents(gh: GitHubClient, repo: { owner: string; repo: string }, issue: number, enough: (newest: IssueEvent[]) => boolean): Promise<{ events: IssueEvent[]; complete: boolean }> {
  const read = await readTail(
    (page, perPage) => gh.request('GET /repos/{owner}/{repo}/issues/{issue_number}/events', { ...repo, issue_number: issue, per_page: perPage, page }),
    parseEvent,
    (newest) => enough(newest),
    MAX_EVENT_PAGES,
  );
  return { events: read.newest, complete: read.complete };
}

/** Every trigger label's newest application is among `events`. */
export function labelsFound(events: readonly IssueEvent[], labels: readonly string[]): boolean {
  return labels.every((l) => events.some((e) => e.event === 'labeled' && sameLabel(e.label, l)));
}

/** Label applications and renames from the events, for judgeText. */
export function eventEvidence(events: readonly IssueEvent[]): Pick<TextEvidence, 'applied' | 'edits'> {
  return {
    applied: events.filter((e) => e.event === 'labeled' && e.label !== null).map((e) => ({ label: e.label!, at: e.at, actor: actorOf(e.actor) })),
    edits: events.filter((e) => e.event === 'renamed').map((e) => ({ field: 'title' as const, at: e.at, actor: actorOf(e.actor) })),
  };
}

/** The newest `unlabeled` event for `label` among `events`, or null. */
export function newestRemoval(events: readonly IssueEvent[], label: string): IssueEvent | null {
  let best: IssueEvent | null = null;
  for (const e of events) if (e.event === 'unlabeled' && sameLabel(e.label, label) && (best === null || Date.parse(e.at) >= Date.parse(best.at))) best = e;
  return best;
}

/**
 * The one GraphQL document swarm sends to GitHub. Field names and arguments as in GitHub's schema
 * (octokit/graphql-schema: Repository.issue(number: Int!), Issue.lastEditedAt / editor / includesCreatedEdit /
 * userContentEdits(first, after), UserContentEdit.editedAt / editor, Actor.login).
 */
export const ISSUE_EDITS_QUERY = `
query SwarmIssueEdits($owner: String!, $name: String!, $number: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    issue(number: $number) {
      createdAt
      lastEditedAt
      editor { login }
      includesCreatedEdit
      userContentEdits(first: ${EDITS_PAGE}, after: $after) {
        totalCount
        nodes { editedAt editor { login } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}`;

interface EditsPage {
  repository: {
    issue: {
      createdAt: string;
      lastEditedAt: string | null;
      editor: { login: string } | null;
      includesCreatedEdit: boolean;
      userContentEdits: { totalCount: number; nodes: ({ editedAt: string; editor: { login: string } | null } | null)[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } | null;
    } | null;
  } | null;
}

/**
 * Body edits made at or after `since` (epoch ms), with their editors. The list's order is not documented, so
 * it is read from the data: newest-first pages stop once past `since`; otherwise every page is read (up to
 * MAX_EDIT_PAGES). The creation itself, which the list carries once the body was edited
 * (`includesCreatedEdit`, stamped with the creation's time), is not an edit. `lastEditedAt`/`editor` always count, whatever the list held.
 */
export async function readBodyEdits(gh: GitHubClient, repo: { owner: string; repo: string }, issue: number, since: number): Promise<{ edits: TextEvidence['edits']; incomplete: string | null }> {
  const all: { at: string; login: string | null }[] = [];
  let after: string | null = null;
  let createdAt = '';
  let includesCreated = false;
  let last: { at: string; login: string | null } | null = null;
  let complete = false;
  for (let i = 0; i < MAX_EDIT_PAGES; i++) {
    const data: EditsPage = await gh.graphql<EditsPage>(ISSUE_EDITS_QUERY, { owner: repo.owner, name: repo.repo, number: issue, after });
    const it = data.repository?.issue;
    if (!it) return { edits: [], incomplete: `GitHub did not return the edit history of #${issue}` };
    createdAt = it.createdAt;
    includesCreated = it.includesCreatedEdit;
    if (it.lastEditedAt !== null) last = { at: it.lastEditedAt, login: it.editor?.login ?? null };
    // Never edited: nothing to read.
    if (it.lastEditedAt === null || Date.parse(it.lastEditedAt) < since || it.userContentEdits === null) {
      complete = true;
      break;
    }
    const page = it.userContentEdits.nodes.filter((n): n is NonNullable<typeof n> => n !== null).map((n) => ({ at: n.editedAt, login: n.editor?.login ?? null }));
    all.push(...page);
    if (!it.userContentEdits.pageInfo.hasNextPage || !it.userContentEdits.pageInfo.endCursor) {
      complete = true;
      break;
    }
    const times = all.map((e) => Date.parse(e.at));
    const descending = times.every((t, k) => k === 0 || t <= times[k - 1]!);
    if (descending && times.length > 1 && times.at(-1)! < since) {
      complete = true; // newest first, and already older than what matters: the rest is older still
      break;
    }
    after = it.userContentEdits.pageInfo.endCursor;
  }
  // The entry GitHub keeps for the creation itself (`includesCreatedEdit`) carries the creation's time.
  const edits = all
    .filter((e) => !(includesCreated && Date.parse(e.at) <= Date.parse(createdAt)))
    .map((e) => ({ field: 'body' as const, at: e.at, actor: actorOf(e.login) }));
  if (last && !edits.some((e) => e.at === last!.at && e.actor?.key === last!.login)) edits.push({ field: 'body', at: last.at, actor: actorOf(last.login) });
  return { edits, incomplete: complete ? null : `the body of #${issue} was edited more than ${MAX_EDIT_PAGES * EDITS_PAGE} times; swarm cannot tell who wrote all of it` };
}
