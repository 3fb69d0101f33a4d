// GitHub REST payloads → swarm's normalised shapes (Ticket, PullRequest, comments), validated at the edge.
// Pure: no requests here.

import { labelPhase, type LabelMarks } from '../phase.js';
import { priorityFromLabels } from '../priority.js';
import { type PullRequest, type Ticket } from '../types.js';
import { TrackerError } from '../../errors.js';
import { isObj, str } from '../../util/json.js';

/** Body references read per issue (blockers.ts reads them; the rest are ignored and said so). */
export const MAX_BODY_REFERENCES = 20;
/** Comments a prompt may carry: the newest this many (comment-pages.ts). */
export const NEWEST_COMMENTS = 100;

export interface GhIssue {
  number: number;
  title: string;
  body: string;
  html_url: string;
  state: string;
  labels: string[];
  author: string | null;
  /** The author's account id (logins are recycled; ids are not). */
  authorId: number | null;
  /** How many comments the issue has. */
  commentCount: number;
  created_at: string;
  updated_at: string;
  isPull: boolean;
  /** The API URL of the repository the issue lives in (`…/repos/owner/name`); null when GitHub left it out. */
  repositoryUrl: string | null;
  /**
   * GitHub's `issue_dependencies_summary`: `blocked_by` counts the blockers still open, `total_blocked_by`
   * open and closed ones. null when the server does not send it (GitHub Enterprise before 3.19).
   */
  dependencies: { blockedBy: number; totalBlockedBy: number } | null;
  /**
   * GitHub's `sub_issues_summary` {total, completed, percent_completed} (REST description, schema issue):
   * sub-issues and how many of them are closed. null when the server does not send it.
   */
  subIssues: { total: number; completed: number } | null;
}

export interface GhComment {
  id: number;
  author: string | null;
  body: string;
  created_at: string;
  /** GitHub's author_association (OWNER, MEMBER, COLLABORATOR, …): an ordering hint, never a trust decision. */
  association: string;
}

function malformed(what: string): TrackerError {
  return new TrackerError('unavailable', `GitHub returned an unexpected payload for ${what}`);
}

function login(user: unknown): string | null {
  return isObj(user) && typeof user.login === 'string' ? user.login : null;
}

function userId(user: unknown): number | null {
  return isObj(user) && typeof user.id === 'number' ? user.id : null;
}

export function parseIssue(raw: unknown): GhIssue {
  if (!isObj(raw) || typeof raw.number !== 'number' || typeof raw.title !== 'string') throw malformed('an issue');
  const labels = Array.isArray(raw.labels)
    ? raw.labels.map((l) => (typeof l === 'string' ? l : isObj(l) ? str(l.name) : '')).filter((l) => l !== '')
    : [];
  return {
    number: raw.number,
    title: raw.title,
    body: str(raw.body),
    html_url: str(raw.html_url),
    state: str(raw.state, 'open'),
    labels,
    author: login(raw.user),
    authorId: userId(raw.user),
    commentCount: typeof raw.comments === 'number' ? raw.comments : 0,
    created_at: str(raw.created_at),
    updated_at: str(raw.updated_at),
    isPull: 'pull_request' in raw && raw.pull_request != null,
    repositoryUrl: typeof raw.repository_url === 'string' ? raw.repository_url : null,
    dependencies: dependencySummary(raw.issue_dependencies_summary),
    subIssues: subIssueSummary(raw.sub_issues_summary),
  };
}

function subIssueSummary(raw: unknown): GhIssue['subIssues'] {
  if (!isObj(raw) || typeof raw.total !== 'number' || raw.total <= 0) return null;
  const completed = typeof raw.completed === 'number' ? Math.min(Math.max(0, raw.completed), raw.total) : 0;
  return { total: raw.total, completed };
}

function dependencySummary(raw: unknown): GhIssue['dependencies'] {
  if (!isObj(raw) || typeof raw.blocked_by !== 'number') return null;
  return { blockedBy: raw.blocked_by, totalBlockedBy: typeof raw.total_blocked_by === 'number' ? raw.total_blocked_by : raw.blocked_by };
}

/** Whether `repositoryUrl` (an issue's `repository_url`) names the repository `owner/name` (case-insensitive). */
export function isRepository(repositoryUrl: string, fullName: string): boolean {
  return repositoryUrl.toLowerCase().endsWith(`/repos/${fullName.toLowerCase()}`);
}

export function parseIssueList(raw: unknown): GhIssue[] {
  if (!Array.isArray(raw)) throw malformed('the issue list');
  return raw.map(parseIssue);
}

export function parseComment(raw: unknown): GhComment {
  if (!isObj(raw) || typeof raw.id !== 'number') throw malformed('a comment');
  return { id: raw.id, author: login(raw.user), body: str(raw.body), created_at: str(raw.created_at), association: str(raw.author_association, 'NONE') };
}

/** Issue numbers named by "blocked by #N" / "depends on #N" lines in a body (in order, deduplicated). */
export function blockerNumbersFromBody(body: string): number[] {
  const found = new Set<number>();
  // Horizontal whitespace only: `\s` would let each line's prefix run across newlines, and a body of blank
  // lines would then cost quadratic time to scan.
  const line = /^[ \t>*-]*(?:\[[ xX]\][ \t]*)?(?:blocked[ \t]+by|depends[ \t]+on)\b:?(.*)$/gim;
  for (const m of body.matchAll(line)) {
    for (const ref of (m[1] ?? '').matchAll(/(?:^|[\s,(])#(\d+)\b/g)) {
      const n = Number(ref[1]);
      if (n > 0) found.add(n);
    }
  }
  return [...found];
}

function ignoredReferencesNote(b: { ignored: number }): string | null {
  return b.ignored > 0 ? `the body names ${b.ignored} more blocked-by/depends-on references than the ${MAX_BODY_REFERENCES} swarm reads; those are ignored` : null;
}

/** Ticket from an issue and its blockers that are still open (resolved by the caller: see blockers.ts); its phase by swarm's labels. */
export function toTicket(issue: GhIssue, blockers: { open: readonly string[]; ignored: number }, marks: LabelMarks): Ticket {
  const notes = [ignoredReferencesNote(blockers), issue.commentCount > NEWEST_COMMENTS ? `the issue has ${issue.commentCount} comments; only the newest ${NEWEST_COMMENTS} are read for the prompt` : null].filter((n): n is string => n !== null);
  return {
    key: String(issue.number),
    id: String(issue.number),
    identifier: `#${issue.number}`,
    number: issue.number,
    title: issue.title,
    body: issue.body,
    url: issue.html_url,
    labels: issue.labels,
    priority: priorityFromLabels(issue.labels),
    state: issue.state,
    open: issue.state === 'open',
    phase: labelPhase({ open: issue.state === 'open', labels: issue.labels }, marks),
    created_at: issue.created_at,
    updated_at: issue.updated_at,
    blockers: [...blockers.open],
    branch_hint: null,
    ...(issue.subIssues ? { sub_issues: { open: issue.subIssues.total - issue.subIssues.completed, total: issue.subIssues.total } } : {}),
    ...(notes.length > 0 ? { notes } : {}),
  };
}

export interface GhPull extends PullRequest {
  created_at: string;
}

export function parsePull(raw: unknown): GhPull {
  if (!isObj(raw) || typeof raw.number !== 'number') throw malformed('a pull request');
  const head = isObj(raw.head) ? raw.head : {};
  const merged = typeof raw.merged_at === 'string' && raw.merged_at !== '';
  const state: PullRequest['state'] = merged ? 'merged' : raw.state === 'open' ? 'open' : 'closed';
  return {
    number: raw.number,
    url: str(raw.html_url),
    state,
    branch: str(head.ref),
    created_at: str(raw.created_at),
  };
}

/** The PR to report for a branch: an open one if any, else the newest (by number). */
export function choosePull(pulls: readonly GhPull[]): PullRequest | null {
  const sorted = [...pulls].sort((a, b) => b.number - a.number);
  const pick = sorted.find((p) => p.state === 'open') ?? sorted[0];
  if (!pick) return null;
  return { number: pick.number, url: pick.url, state: pick.state, branch: pick.branch };
}
