// Hand-written Linear GraphQL documents and the edge validation that turns their payloads into swarm's
// Ticket. Hand-written on purpose: @linear/sdk's models are lazy (every `await issue.state` is another
// request), so one query per poll page fetches exactly the fields the scheduler needs.

import { type Ticket } from '../types.js';
import { TrackerError } from '../../errors.js';

const ISSUE_FIELDS = `
fragment SwarmIssue on Issue {
  id identifier number title description priority url branchName createdAt updatedAt
  state { id name type }
  team { id key }
  creator { id name displayName email }
  labels(first: 50) { nodes { id name } }
  inverseRelations(first: 50) { nodes { type issue { identifier state { type } } } }
}`;

export const RESOLVE_QUERY = `
query SwarmResolve($team: String!) {
  viewer { id name email }
  teams(filter: { key: { eq: $team } }, first: 1) {
    nodes { id key name states(first: 100) { nodes { id name type position } } }
  }
}`;

export const TEAM_KEYS_QUERY = `
query SwarmTeamKeys { teams(first: 100) { nodes { key } } }`;

export const LABELS_QUERY = `
query SwarmLabels($team: String!, $after: String) {
  issueLabels(filter: { or: [{ team: { key: { eq: $team } } }, { team: { null: true } }] }, first: 100, after: $after) {
    nodes { id name }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const PROJECTS_QUERY = `
query SwarmProject($project: String!) {
  projects(filter: { or: [{ name: { eq: $project } }, { slugId: { eq: $project } }] }, first: 2) {
    nodes { id name slugId }
  }
}`;

export const CANDIDATES_QUERY = `
query SwarmCandidates($filter: IssueFilter!, $first: Int!, $after: String) {
  issues(filter: $filter, first: $first, after: $after) {
    nodes { ...SwarmIssue }
    pageInfo { hasNextPage endCursor }
  }
}
${ISSUE_FIELDS}`;

export const ISSUE_QUERY = `
query SwarmIssue($id: String!) { issue(id: $id) { ...SwarmIssue } }
${ISSUE_FIELDS}`;

export const ISSUE_STATE_QUERY = `
query SwarmIssueState($id: String!) { issue(id: $id) { id state { id name type } } }`;

export const COMMENTS_QUERY = `
query SwarmComments($id: String!, $after: String) {
  issue(id: $id) {
    comments(first: 50, after: $after) {
      nodes { id body createdAt user { id name displayName email } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

export const ISSUE_UPDATE_MUTATION = `
mutation SwarmIssueUpdate($id: String!, $input: IssueUpdateInput!) {
  issueUpdate(id: $id, input: $input) { success issue { id state { name } } }
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
  attachmentLinkURL(issueId: $issueId, url: $url, title: $title) { success attachment { id url } }
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

const CLOSED_TYPES = new Set(['completed', 'canceled']);
export const isClosedType = (type: string) => CLOSED_TYPES.has(type);

/** Linear 1 urgent … 4 low, 0 none → swarm 0 urgent … 3 low, 4 none. */
export function mapPriority(linear: unknown): number {
  return typeof linear === 'number' && linear >= 1 && linear <= 4 ? Math.round(linear) - 1 : 4;
}

export interface LinearCreator { name: string; displayName: string; email: string }

/** One validated issue payload → Ticket (plus its creator, kept aside for trust()). */
export function toTicket(raw: unknown): { ticket: Ticket; creator: LinearCreator | null } {
  const i = obj(raw, 'issue');
  const identifier = str(i.identifier, 'issue.identifier');
  const at = `issue ${identifier}`;
  const state = obj(i.state, `${at}.state`);
  const blockers = nodes(i.inverseRelations, `${at}.inverseRelations`)
    .filter((r) => r.type === 'blocks')
    .map((r) => obj(r.issue, `${at} blocker`))
    .filter((b) => !isClosedType(str(obj(b.state, `${at} blocker state`).type, `${at} blocker state type`)))
    .map((b) => str(b.identifier, `${at} blocker identifier`));
  const c = i.creator === null || i.creator === undefined ? null : obj(i.creator, `${at}.creator`);
  const stateType = str(state.type, `${at}.state.type`);
  const ticket: Ticket = {
    key: identifier,
    id: str(i.id, `${at}.id`),
    identifier,
    number: typeof i.number === 'number' ? i.number : 0,
    title: str(i.title, `${at}.title`),
    body: optStr(i.description, `${at}.description`) ?? '',
    url: str(i.url, `${at}.url`),
    labels: nodes(i.labels, `${at}.labels`).map((l) => str(l.name, `${at} label name`)),
    priority: mapPriority(i.priority),
    state: str(state.name, `${at}.state.name`),
    open: !isClosedType(stateType),
    created_at: str(i.createdAt, `${at}.createdAt`),
    updated_at: str(i.updatedAt, `${at}.updatedAt`),
    blockers,
    branch_hint: optStr(i.branchName, `${at}.branchName`) || null,
  };
  const creator = c
    ? { name: optStr(c.name, 'creator.name') ?? '', displayName: optStr(c.displayName, 'creator.displayName') ?? '', email: optStr(c.email, 'creator.email') ?? '' }
    : null;
  return { ticket, creator };
}
