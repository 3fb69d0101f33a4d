// Hand-written Linear GraphQL documents and the edge validation that turns their payloads into swarm's
// Ticket. Hand-written on purpose: @linear/sdk's models are lazy (every `await issue.state` is another
// request), so one query per poll page fetches exactly the fields the scheduler needs.

import type { LinearDocument as L } from '@linear/sdk';
import { type Ticket } from '../types.js';
import { TrackerError } from '../../errors.js';

/**
 * The variables of each document, typed with @linear/sdk's generated argument and input types (callers
 * write `{…} satisfies Vars[…]`), so an input Linear's schema does not have — `IssueFilter.identifier`,
 * `null` on a `StringComparator`, a misspelt `IssueUpdateInput` field — fails `tsc`, not a poll.
 */
export interface Vars {
  candidates: Pick<L.QueryIssuesArgs, 'filter' | 'first' | 'after'> & { filter: L.IssueFilter; first: number };
  /** The team's issues updated since a time (IssueFilter.updatedAt: DateComparator). */
  changes: Pick<L.QueryIssuesArgs, 'filter' | 'first' | 'after'> & { filter: L.IssueFilter & { updatedAt: L.DateComparator }; first: number };
  issue: L.QueryIssueArgs;
  /** One issue's next page of labels, relations or comments. */
  issuePage: L.QueryIssueArgs & Pick<L.IssueLabelsArgs & L.IssueInverseRelationsArgs & L.IssueCommentsArgs, 'after'>;
  resolve: { team: string };
  labels: { team: string } & Pick<L.QueryIssueLabelsArgs, 'after'>;
  project: { project: string };
  issueUpdate: L.MutationIssueUpdateArgs;
  addLabel: L.MutationIssueAddLabelArgs;
  commentCreate: L.MutationCommentCreateArgs;
  commentUpdate: L.MutationCommentUpdateArgs;
  linkUrl: L.MutationAttachmentLinkUrlArgs;
}

// Linear prices every document before running it (a scalar 0.1, an object 1, a connection = its children ×
// `first`, 50 when unset) and refuses one above 10,000 points. Every document here stays at or below 5,000
// with the default tracker.page_size (test/unit/linear-complexity.test.ts scores each one): nested pages
// are small, and the rare issue with more labels or relations than fit is completed by a follow-up query
// for that issue alone (NESTED_PAGE below). Select only fields the adapter reads: each costs on every node.

/** Labels and inverse relations fetched with each issue; more are fetched only for issues that have more. */
export const NESTED_PAGE = 10;
/** Page size of the per-issue follow-up queries and of the other listings. */
export const FOLLOW_UP_PAGE = 100;
/** Most pages any one listing follows: a runaway cursor must not loop forever (10,000 issues at 50). */
export const MAX_PAGES = 200;

const ISSUE_FIELDS = `
fragment SwarmIssue on Issue {
  id identifier number title description priority url branchName createdAt updatedAt
  state { name type }
  creator { name displayName email }
  labels(first: ${NESTED_PAGE}) { nodes { name } pageInfo { hasNextPage endCursor } }
  inverseRelations(first: ${NESTED_PAGE}) { nodes { type issue { identifier state { type } } } pageInfo { hasNextPage endCursor } }
}`;

export const RESOLVE_QUERY = `
query SwarmResolve($team: String!) {
  viewer { id }
  teams(filter: { key: { eq: $team } }, first: 1) {
    nodes { id states(first: 100) { nodes { id name type position } } }
  }
}`;

export const TEAM_KEYS_QUERY = `
query SwarmTeamKeys { teams(first: 100) { nodes { key } } }`;

export const LABELS_QUERY = `
query SwarmLabels($team: String!, $after: String) {
  issueLabels(filter: { or: [{ team: { key: { eq: $team } } }, { team: { null: true } }] }, first: ${FOLLOW_UP_PAGE}, after: $after) {
    nodes { id name }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const PROJECTS_QUERY = `
query SwarmProject($project: String!) {
  projects(filter: { or: [{ name: { eq: $project } }, { slugId: { eq: $project } }] }, first: 2) {
    nodes { id }
  }
}`;

/** One page of issues: the candidates and the changes queries differ only in name and filter. */
const issuesPage = (name: string) => `
query ${name}($filter: IssueFilter!, $first: Int!, $after: String) {
  issues(filter: $filter, first: $first, after: $after) {
    nodes { ...SwarmIssue }
    pageInfo { hasNextPage endCursor }
  }
}
${ISSUE_FIELDS}`;

/** `$first` is tracker.page_size (default 50): the one knob that moves this document's complexity. */
export const CANDIDATES_QUERY = issuesPage('SwarmCandidates');

/**
 * The poll between full sweeps (poll.ts): the team's issues updated since the last poll, whatever their
 * state and labels (an issue that left the candidates must be seen leaving). The same selection as the
 * candidates page, so an answer updates the listing in place; its first page is small (an idle poll lists
 * nothing and costs what that page is priced at).
 */
export const CHANGES_QUERY = issuesPage('SwarmChanges');

export const ISSUE_QUERY = `
query SwarmIssue($id: String!) { issue(id: $id) { ...SwarmIssue } }
${ISSUE_FIELDS}`;

/** The rest of one issue's labels, after the first NESTED_PAGE. */
export const ISSUE_LABELS_QUERY = `
query SwarmIssueLabels($id: String!, $after: String) {
  issue(id: $id) { labels(first: ${FOLLOW_UP_PAGE}, after: $after) { nodes { name } pageInfo { hasNextPage endCursor } } }
}`;

/** The rest of one issue's inverse relations (its blockers among them), after the first NESTED_PAGE. */
export const ISSUE_RELATIONS_QUERY = `
query SwarmIssueRelations($id: String!, $after: String) {
  issue(id: $id) {
    inverseRelations(first: ${FOLLOW_UP_PAGE}, after: $after) { nodes { type issue { identifier state { type } } } pageInfo { hasNextPage endCursor } }
  }
}`;

/** Linear returns comments newest first and `comments` has no direction argument: callers sort. */
export const COMMENTS_QUERY = `
query SwarmComments($id: String!, $after: String) {
  issue(id: $id) {
    comments(first: 50, after: $after) {
      nodes { id body createdAt user { id name displayName } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

export const ISSUE_UPDATE_MUTATION = `
mutation SwarmIssueUpdate($id: String!, $input: IssueUpdateInput!) {
  issueUpdate(id: $id, input: $input) { success }
}`;

export const ADD_LABEL_MUTATION = `
mutation SwarmAddLabel($id: String!, $labelId: String!) {
  issueAddLabel(id: $id, labelId: $labelId) { success }
}`;

export const COMMENT_CREATE_MUTATION = `
mutation SwarmCommentCreate($input: CommentCreateInput!) {
  commentCreate(input: $input) { success comment { id } }
}`;

export const COMMENT_UPDATE_MUTATION = `
mutation SwarmCommentUpdate($id: String!, $input: CommentUpdateInput!) {
  commentUpdate(id: $id, input: $input) { success comment { id } }
}`;

export const LINK_URL_MUTATION = `
mutation SwarmLinkUrl($issueId: String!, $url: String!, $title: String) {
  attachmentLinkURL(issueId: $issueId, url: $url, title: $title) { success attachment { id } }
}`;

// ---- edge validation -----------------------------------------------------------------------------

type Json = Record<string, unknown>;

function bad(what: string): never {
  throw new TrackerError('unavailable', `Linear returned an unexpected payload: ${what}`);
}
export function obj(v: unknown, what: string): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : bad(`${what} is not an object`);
}
export function str(v: unknown, what: string): string {
  return typeof v === 'string' ? v : bad(`${what} is not a string`);
}
export function optStr(v: unknown, what: string): string | null {
  return v === null || v === undefined ? null : str(v, what);
}
export function nodes(conn: unknown, what: string): Json[] {
  const list = obj(conn, what).nodes;
  return Array.isArray(list) ? list.map((n, i) => obj(n, `${what}.nodes[${i}]`)) : bad(`${what}.nodes is not a list`);
}
export function pageInfo(conn: unknown, what: string): { hasNextPage: boolean; endCursor: string | null } {
  const p = obj(obj(conn, what).pageInfo, `${what}.pageInfo`);
  return { hasNextPage: p.hasNextPage === true, endCursor: optStr(p.endCursor, `${what}.pageInfo.endCursor`) };
}

// WorkflowState.type is "One of triage, backlog, unstarted, started, completed, canceled, duplicate"
// (Linear's schema.graphql; `duplicate` is the native duplicate state that replaced
// Team.markedAsDuplicateWorkflowState). An issue in any of the last three is finished: never moved, never
// a blocker.
const CLOSED_TYPES = new Set(['completed', 'canceled', 'duplicate']);
export const isClosedType = (type: string) => CLOSED_TYPES.has(type);

/** Linear 1 urgent … 4 low, 0 none → swarm 0 urgent … 3 low, 4 none. */
export function mapPriority(linear: unknown): number {
  return typeof linear === 'number' && linear >= 1 && linear <= 4 ? Math.round(linear) - 1 : 4;
}

export interface LinearCreator { name: string; displayName: string; email: string }

/** Label names on one page of an issue's `labels` connection. */
export function labelNames(conn: unknown, at: string): string[] {
  return nodes(conn, `${at}.labels`).map((l) => str(l.name, `${at} label name`));
}

/**
 * Still-open blockers on one page of an issue's `inverseRelations`: relations of type `blocks` (on the
 * blocked issue the blocker is `issue`), whose blocker is not completed, canceled or a duplicate. Other
 * relation types (duplicate, related, similar) never block.
 */
export function openBlockers(conn: unknown, at: string): string[] {
  return nodes(conn, `${at}.inverseRelations`)
    .filter((r) => r.type === 'blocks')
    .map((r) => obj(r.issue, `${at} blocker`))
    .filter((b) => !isClosedType(str(obj(b.state, `${at} blocker state`).type, `${at} blocker state type`)))
    .map((b) => str(b.identifier, `${at} blocker identifier`));
}

/** Where the nested pages of an issue stopped: the cursor to continue from, or null when complete. */
export interface MorePages { labels: string | null; relations: string | null }

function more(conn: unknown, what: string): string | null {
  const p = pageInfo(conn, what);
  return p.hasNextPage && p.endCursor ? p.endCursor : null;
}

/**
 * One validated issue payload → Ticket (plus its creator, kept aside for trust(), and where its nested
 * label and relation pages stopped: the caller fetches the rest for the few issues that have more).
 */
export function toTicket(raw: unknown): { ticket: Omit<Ticket, 'phase'>; creator: LinearCreator | null; more: MorePages } {
  const i = obj(raw, 'issue');
  const identifier = str(i.identifier, 'issue.identifier');
  const at = `issue ${identifier}`;
  const state = obj(i.state, `${at}.state`);
  const c = i.creator === null || i.creator === undefined ? null : obj(i.creator, `${at}.creator`);
  const stateType = str(state.type, `${at}.state.type`);
  const ticket: Omit<Ticket, 'phase'> = {
    key: identifier,
    id: str(i.id, `${at}.id`),
    identifier,
    number: typeof i.number === 'number' ? i.number : 0,
    title: str(i.title, `${at}.title`),
    body: optStr(i.description, `${at}.description`) ?? '',
    url: str(i.url, `${at}.url`),
    labels: labelNames(i.labels, at),
    priority: mapPriority(i.priority),
    state: str(state.name, `${at}.state.name`),
    open: !isClosedType(stateType),
    created_at: str(i.createdAt, `${at}.createdAt`),
    updated_at: str(i.updatedAt, `${at}.updatedAt`),
    blockers: openBlockers(i.inverseRelations, at),
    branch_hint: optStr(i.branchName, `${at}.branchName`) || null,
  };
  const creator = c
    ? { name: optStr(c.name, 'creator.name') ?? '', displayName: optStr(c.displayName, 'creator.displayName') ?? '', email: optStr(c.email, 'creator.email') ?? '' }
    : null;
  return { ticket, creator, more: { labels: more(i.labels, `${at}.labels`), relations: more(i.inverseRelations, `${at}.inverseRelations`) } };
}
