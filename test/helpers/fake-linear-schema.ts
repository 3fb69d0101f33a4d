// The slice of Linear's GraphQL schema the fake serves, with resolvers over the fake's in-memory state.
// Field and argument names follow Linear's public schema, so a query that validates here validates there;
// anything outside this slice is rejected as an unknown field (add it here if swarm starts using it).

import { randomUUID } from 'node:crypto';
import { GqlError, type FieldDef, type Schema } from './fake-graphql.js';

export type StateType = 'triage' | 'backlog' | 'unstarted' | 'started' | 'completed' | 'canceled';
export interface FUser { id: string; name: string; displayName: string; email: string }
export interface FState { id: string; name: string; type: StateType; position: number; teamId: string }
export interface FTeam { id: string; key: string; name: string; states: FState[] }
export interface FLabel { id: string; name: string; teamId: string | null }
export interface FProject { id: string; name: string; slugId: string }
export interface FComment { id: string; body: string; userId: string | null; createdAt: string; updatedAt: string; issueId: string }
export interface FAttachment { id: string; url: string; title: string; subtitle: string | null; issueId: string }
export interface FRelation { id: string; type: 'blocks' | 'related' | 'duplicate'; issueId: string; relatedIssueId: string }
export interface FIssue {
  id: string; identifier: string; number: number; teamId: string; title: string; description: string | null;
  priority: number; url: string; branchName: string; createdAt: string; updatedAt: string; stateId: string;
  labelIds: string[]; projectId: string | null; creatorId: string | null;
  comments: FComment[]; attachments: FAttachment[];
}
export interface FakeState {
  viewer: FUser; users: FUser[]; teams: FTeam[]; labels: FLabel[]; projects: FProject[];
  issues: FIssue[]; relations: FRelation[]; pageSize: number; now: () => string;
}

const notFound = (what: string) =>
  new GqlError(`Entity not found: ${what}`, { type: 'invalid input', code: 'INPUT_ERROR', userError: true, userPresentableMessage: `Could not find referenced ${what}.` });
const invalid = (message: string) => new GqlError(message, { type: 'invalid input', code: 'INPUT_ERROR', userError: true });

/** Linear-style filter evaluation: comparators (eq, neq, in, nin, null, eqIgnoreCase), and/or, some/every. */
export function matches(view: unknown, filter: unknown, typeName: string): boolean {
  if (filter === null || filter === undefined) return true;
  if (typeof filter !== 'object' || Array.isArray(filter)) throw invalid(`Expected an input object for ${typeName}.`);
  return Object.entries(filter as Record<string, unknown>).every(([k, f]) => {
    switch (k) {
      case 'and': return (f as unknown[]).every((x) => matches(view, x, typeName));
      case 'or': return (f as unknown[]).some((x) => matches(view, x, typeName));
      case 'eq': return view === f;
      case 'neq': return view !== f;
      case 'in': return (f as unknown[]).includes(view);
      case 'nin': return !(f as unknown[]).includes(view);
      case 'null': return (view === null || view === undefined) === f;
      case 'eqIgnoreCase': return typeof view === 'string' && view.toLowerCase() === String(f).toLowerCase();
      case 'some': return Array.isArray(view) && view.some((x) => matches(x, f, typeName));
      case 'every': return Array.isArray(view) && view.every((x) => matches(x, f, typeName));
    }
    if (view === null || view === undefined) return false;
    if (typeof view !== 'object' || Array.isArray(view) || !(k in view))
      throw new GqlError(`Field "${k}" is not defined by type "${typeName}".`, { type: 'graphql error', code: 'GRAPHQL_VALIDATION_FAILED' });
    return matches((view as Record<string, unknown>)[k], f, typeName);
  });
}

const OPERATORS = new Set(['eq', 'neq', 'in', 'nin', 'null', 'eqIgnoreCase']);
/** Input-type check of a filter against a sample of the filtered object (unknown keys are rejected even when
 *  nothing would be evaluated, as the real API's input validation does). */
export function checkFilter(sample: unknown, filter: unknown, typeName: string): void {
  if (filter === null || filter === undefined) return;
  if (typeof filter !== 'object' || Array.isArray(filter)) throw invalid(`Expected an input object for ${typeName}.`);
  for (const [k, f] of Object.entries(filter as Record<string, unknown>)) {
    if (OPERATORS.has(k)) continue;
    if (k === 'and' || k === 'or') { for (const x of f as unknown[]) checkFilter(sample, x, typeName); continue; }
    if ((k === 'some' || k === 'every') && Array.isArray(sample)) { checkFilter(sample[0], f, typeName); continue; }
    if (sample === null || typeof sample !== 'object' || Array.isArray(sample) || !(k in sample))
      throw new GqlError(`Field "${k}" is not defined by type "${typeName}".`, { type: 'graphql error', code: 'GRAPHQL_VALIDATION_FAILED' });
    checkFilter((sample as Record<string, unknown>)[k], f, typeName);
  }
}

const TEAM_SAMPLE = { id: '', key: '', name: '' };
const LABEL_SAMPLE = { id: '', name: '', team: TEAM_SAMPLE };
const STATE_SAMPLE = { id: '', name: '', type: '' };
const ISSUE_SAMPLE = {
  id: '', number: 0, identifier: '', priority: 0, team: TEAM_SAMPLE, state: STATE_SAMPLE, labels: [LABEL_SAMPLE],
  project: { id: '', name: '', slugId: '' },
};

/** Cursor pagination over an array: cursors are item ids; `first` is capped at the fake's page size. */
function paginate<T extends { id: string }>(items: T[], args: Record<string, any>, cap: number) {
  let start = 0;
  if (args.after) {
    const at = items.findIndex((x) => x.id === args.after);
    if (at < 0) throw invalid(`Invalid cursor "${args.after}".`);
    start = at + 1;
  }
  const size = Math.min(typeof args.first === 'number' ? args.first : 50, cap);
  const page = items.slice(start, start + size);
  const hasNextPage = start + size < items.length;
  return { nodes: page, pageInfo: { hasNextPage, hasPreviousPage: start > 0, endCursor: page.at(-1)?.id ?? null, startCursor: page[0]?.id ?? null } };
}

export function buildSchema(s: FakeState): Schema {
  const team = (id: string) => s.teams.find((t) => t.id === id)!;
  const stateOf = (id: string) => s.teams.flatMap((t) => t.states).find((x) => x.id === id)!;
  const user = (id: string | null) => (id ? s.users.find((u) => u.id === id) ?? null : null);
  const issueBy = (id: string) => s.issues.find((i) => i.id === id || i.identifier === id);
  const labelView = (l: FLabel) => ({ id: l.id, name: l.name, team: l.teamId ? { id: l.teamId, key: team(l.teamId).key } : null });
  const issueView = (i: FIssue) => {
    const st = stateOf(i.stateId);
    const p = s.projects.find((x) => x.id === i.projectId) ?? null;
    return {
      id: i.id, number: i.number, identifier: i.identifier, priority: i.priority,
      team: { id: i.teamId, key: team(i.teamId).key, name: team(i.teamId).name },
      state: { id: st.id, name: st.name, type: st.type },
      labels: i.labelIds.map((id) => labelView(s.labels.find((l) => l.id === id)!)),
      project: p ? { id: p.id, name: p.name, slugId: p.slugId } : null,
    };
  };
  const conn = (node: string, extra: Record<string, string> = {}): Pick<FieldDef, 'args'> & { type: string } => ({
    type: `${node}Connection`,
    args: { first: 'Int', after: 'String', last: 'Int', before: 'String', includeArchived: 'Boolean', orderBy: 'PaginationOrderBy', ...extra },
  });
  const page = <T extends { id: string }>(items: T[], args: Record<string, any>) => paginate(items, args, s.pageSize);
  const filtered = <T>(items: T[], view: (x: T) => unknown, filter: unknown, sample: unknown, typeName: string) => {
    checkFilter(sample, filter, typeName);
    return items.filter((x) => matches(view(x), filter, typeName));
  };
  const touch = (i: FIssue) => { i.updatedAt = s.now(); };
  const requireIssue = (id: string) => { const i = issueBy(id); if (!i) throw notFound('Issue'); return i; };
  const checkInput = (input: Record<string, unknown>, allowed: string[], typeName: string) => {
    for (const k of Object.keys(input ?? {}))
      if (!allowed.includes(k)) throw new GqlError(`Field "${k}" is not defined by type "${typeName}".`, { type: 'graphql error', code: 'BAD_USER_INPUT' });
  };
  const linkAttachment = (issueId: string, url: string, title: string | null, subtitle: string | null) => {
    const issue = requireIssue(issueId);
    let a = issue.attachments.find((x) => x.url === url); // Linear: one attachment per (issue, url)
    if (a) { a.title = title ?? a.title; a.subtitle = subtitle ?? a.subtitle; }
    else { a = { id: randomUUID(), url, title: title ?? url, subtitle, issueId: issue.id }; issue.attachments.push(a); touch(issue); }
    return { success: true, attachment: a, lastSyncId: 1 };
  };

  const connections = ['Issue', 'WorkflowState', 'IssueLabel', 'Team', 'Comment', 'Attachment', 'IssueRelation', 'Project', 'User'];
  const schema: Schema = {
    PageInfo: { hasNextPage: { type: 'Boolean' }, hasPreviousPage: { type: 'Boolean' }, startCursor: { type: 'String' }, endCursor: { type: 'String' } },
    Query: {
      viewer: { type: 'User', resolve: () => s.viewer },
      issue: { type: 'Issue', args: { id: 'String!' }, resolve: (_p, a) => requireIssue(a.id) },
      issues: { ...conn('Issue', { filter: 'IssueFilter', sort: '[IssueSortInput!]' }), resolve: (_p, a) => page(filtered(s.issues, issueView, a.filter, ISSUE_SAMPLE, 'IssueFilter'), a) },
      team: { type: 'Team', args: { id: 'String!' }, resolve: (_p, a) => s.teams.find((t) => t.id === a.id || t.key === a.id) ?? (() => { throw notFound('Team'); })() },
      teams: { ...conn('Team', { filter: 'TeamFilter' }), resolve: (_p, a) => page(filtered(s.teams, (t) => ({ id: t.id, key: t.key, name: t.name }), a.filter, TEAM_SAMPLE, 'TeamFilter'), a) },
      workflowStates: {
        ...conn('WorkflowState', { filter: 'WorkflowStateFilter' }),
        resolve: (_p, a) => page(filtered(s.teams.flatMap((t) => t.states), (x) => ({ ...x, team: { id: x.teamId, key: team(x.teamId).key } }), a.filter, { ...STATE_SAMPLE, team: TEAM_SAMPLE }, 'WorkflowStateFilter'), a),
      },
      issueLabels: { ...conn('IssueLabel', { filter: 'IssueLabelFilter' }), resolve: (_p, a) => page(filtered(s.labels, labelView, a.filter, LABEL_SAMPLE, 'IssueLabelFilter'), a) },
      projects: { ...conn('Project', { filter: 'ProjectFilter' }), resolve: (_p, a) => page(filtered(s.projects, (p) => ({ ...p }), a.filter, { id: '', name: '', slugId: '' }, 'ProjectFilter'), a) },
    },
    Mutation: {
      issueUpdate: {
        type: 'IssuePayload', args: { id: 'String!', input: 'IssueUpdateInput!' },
        resolve: (_p, a) => {
          const issue = requireIssue(a.id);
          checkInput(a.input, ['stateId', 'labelIds', 'addedLabelIds', 'removedLabelIds', 'title', 'description', 'priority'], 'IssueUpdateInput');
          const { stateId, labelIds, addedLabelIds, removedLabelIds, title, description, priority } = a.input;
          if (stateId !== undefined) {
            if (!team(issue.teamId).states.some((x) => x.id === stateId)) throw invalid('Workflow state does not belong to the issue\'s team.');
            issue.stateId = stateId;
          }
          const ids = [labelIds, addedLabelIds, removedLabelIds].flat().filter((x) => x !== undefined);
          for (const id of ids) if (!s.labels.some((l) => l.id === id)) throw notFound('IssueLabel');
          if (labelIds !== undefined) issue.labelIds = [...labelIds];
          for (const id of addedLabelIds ?? []) if (!issue.labelIds.includes(id)) issue.labelIds.push(id);
          if (removedLabelIds) issue.labelIds = issue.labelIds.filter((id) => !removedLabelIds.includes(id));
          if (title !== undefined) issue.title = title;
          if (description !== undefined) issue.description = description;
          if (priority !== undefined) issue.priority = priority;
          touch(issue);
          return { success: true, issue, lastSyncId: 1 };
        },
      },
      issueAddLabel: {
        type: 'IssuePayload', args: { id: 'String!', labelId: 'String!' },
        resolve: (_p, a) => {
          const issue = requireIssue(a.id);
          if (!s.labels.some((l) => l.id === a.labelId)) throw notFound('IssueLabel');
          if (!issue.labelIds.includes(a.labelId)) { issue.labelIds.push(a.labelId); touch(issue); }
          return { success: true, issue, lastSyncId: 1 };
        },
      },
      commentCreate: {
        type: 'CommentPayload', args: { input: 'CommentCreateInput!' },
        resolve: (_p, a) => {
          checkInput(a.input, ['issueId', 'body', 'id', 'parentId'], 'CommentCreateInput');
          const issue = requireIssue(a.input.issueId);
          if (typeof a.input.body !== 'string' || !a.input.body) throw invalid('body must not be empty');
          const now = s.now();
          const c: FComment = { id: a.input.id ?? randomUUID(), body: a.input.body, userId: s.viewer.id, createdAt: now, updatedAt: now, issueId: issue.id };
          issue.comments.push(c);
          return { success: true, comment: c, lastSyncId: 1 };
        },
      },
      commentUpdate: {
        type: 'CommentPayload', args: { id: 'String!', input: 'CommentUpdateInput!' },
        resolve: (_p, a) => {
          checkInput(a.input, ['body'], 'CommentUpdateInput');
          const c = s.issues.flatMap((i) => i.comments).find((x) => x.id === a.id);
          if (!c) throw notFound('Comment');
          if (c.userId !== s.viewer.id) throw new GqlError('You can only edit your own comments', { type: 'forbidden', code: 'FORBIDDEN', userError: true });
          c.body = a.input.body;
          c.updatedAt = s.now();
          return { success: true, comment: c, lastSyncId: 1 };
        },
      },
      attachmentLinkURL: {
        type: 'AttachmentPayload', args: { issueId: 'String!', url: 'String!', title: 'String', id: 'String' },
        resolve: (_p, a) => linkAttachment(a.issueId, a.url, a.title ?? null, null),
      },
      attachmentCreate: {
        type: 'AttachmentPayload', args: { input: 'AttachmentCreateInput!' },
        resolve: (_p, a) => {
          checkInput(a.input, ['issueId', 'url', 'title', 'subtitle', 'iconUrl', 'metadata'], 'AttachmentCreateInput');
          return linkAttachment(a.input.issueId, a.input.url, a.input.title ?? null, a.input.subtitle ?? null);
        },
      },
    },
    IssuePayload: { success: { type: 'Boolean' }, lastSyncId: { type: 'Float' }, issue: { type: 'Issue' } },
    CommentPayload: { success: { type: 'Boolean' }, lastSyncId: { type: 'Float' }, comment: { type: 'Comment' } },
    AttachmentPayload: { success: { type: 'Boolean' }, lastSyncId: { type: 'Float' }, attachment: { type: 'Attachment' } },
    User: { id: { type: 'String' }, name: { type: 'String' }, displayName: { type: 'String' }, email: { type: 'String' } },
    Team: {
      id: { type: 'String' }, key: { type: 'String' }, name: { type: 'String' },
      states: { ...conn('WorkflowState', { filter: 'WorkflowStateFilter' }), resolve: (t: FTeam, a) => page(t.states, a) },
      labels: { ...conn('IssueLabel', { filter: 'IssueLabelFilter' }), resolve: (t: FTeam, a) => page(s.labels.filter((l) => l.teamId === t.id), a) },
    },
    WorkflowState: {
      id: { type: 'String' }, name: { type: 'String' }, type: { type: 'String' }, position: { type: 'Float' },
      team: { type: 'Team', resolve: (x: FState) => team(x.teamId) },
    },
    IssueLabel: { id: { type: 'String' }, name: { type: 'String' }, team: { type: 'Team', resolve: (l: FLabel) => (l.teamId ? team(l.teamId) : null) } },
    Project: { id: { type: 'String' }, name: { type: 'String' }, slugId: { type: 'String' } },
    Comment: {
      id: { type: 'String' }, body: { type: 'String' }, createdAt: { type: 'DateTime' }, updatedAt: { type: 'DateTime' },
      user: { type: 'User', resolve: (c: FComment) => user(c.userId) },
      issue: { type: 'Issue', resolve: (c: FComment) => issueBy(c.issueId) },
    },
    Attachment: { id: { type: 'String' }, url: { type: 'String' }, title: { type: 'String' }, subtitle: { type: 'String' } },
    IssueRelation: {
      id: { type: 'String' }, type: { type: 'String' },
      issue: { type: 'Issue', resolve: (r: FRelation) => issueBy(r.issueId) },
      relatedIssue: { type: 'Issue', resolve: (r: FRelation) => issueBy(r.relatedIssueId) },
    },
    Issue: {
      id: { type: 'String' }, identifier: { type: 'String' }, number: { type: 'Float' }, title: { type: 'String' },
      description: { type: 'String' }, priority: { type: 'Float' }, url: { type: 'String' }, branchName: { type: 'String' },
      createdAt: { type: 'DateTime' }, updatedAt: { type: 'DateTime' },
      state: { type: 'WorkflowState', resolve: (i: FIssue) => stateOf(i.stateId) },
      team: { type: 'Team', resolve: (i: FIssue) => team(i.teamId) },
      project: { type: 'Project', resolve: (i: FIssue) => s.projects.find((p) => p.id === i.projectId) ?? null },
      creator: { type: 'User', resolve: (i: FIssue) => user(i.creatorId) },
      labels: { ...conn('IssueLabel', { filter: 'IssueLabelFilter' }), resolve: (i: FIssue, a) => page(i.labelIds.map((id) => s.labels.find((l) => l.id === id)!), a) },
      comments: { ...conn('Comment', { filter: 'CommentFilter' }), resolve: (i: FIssue, a) => page(i.comments, a) },
      attachments: { ...conn('Attachment', { filter: 'AttachmentFilter' }), resolve: (i: FIssue, a) => page(i.attachments, a) },
      relations: { ...conn('IssueRelation'), resolve: (i: FIssue, a) => page(s.relations.filter((r) => r.issueId === i.id), a) },
      inverseRelations: { ...conn('IssueRelation'), resolve: (i: FIssue, a) => page(s.relations.filter((r) => r.relatedIssueId === i.id), a) },
    },
  };
  for (const node of connections)
    schema[`${node}Connection`] = { nodes: { type: `[${node}]` }, pageInfo: { type: 'PageInfo' } };
  return schema;
}
