// The slice of Linear's GraphQL schema the fake serves, with resolvers over the fake's in-memory state.
// Field and argument names follow Linear's public schema, so a query that validates here validates there;
// anything outside this slice is rejected as an unknown field (add it here if swarm starts using it).

import { randomUUID } from 'node:crypto';
import { GqlError, type FieldDef, type Schema } from './fake-graphql.js';
import { addHistorySchema, labelDiff, recordChange, type FBot, type FHistory } from './fake-linear-history.js';

// WorkflowState.type: "One of triage, backlog, unstarted, started, completed, canceled, duplicate" (Linear's
// schema.graphql; `duplicate` is the native duplicate state, see Team.markedAsDuplicateWorkflowState's
// deprecation "Duplicates are now system-managed via the native duplicate state").
export type StateType = 'triage' | 'backlog' | 'unstarted' | 'started' | 'completed' | 'canceled' | 'duplicate';
/** Role flags as Linear's User has them (fake-linear-history.ts); absent = false (active: absent = true). */
export interface FUser { id: string; name: string; displayName: string; email: string; admin?: boolean; owner?: boolean; guest?: boolean; app?: boolean; active?: boolean }
export interface FState { id: string; name: string; type: StateType; position: number; teamId: string }
export interface FTeam { id: string; key: string; name: string; states: FState[] }
export interface FLabel { id: string; name: string; teamId: string | null }
export interface FProject { id: string; name: string; slugId: string }
export interface FComment { id: string; body: string; userId: string | null; createdAt: string; updatedAt: string; issueId: string; bot?: FBot | null }
export interface FAttachment { id: string; url: string; title: string; subtitle: string | null; issueId: string }
// enum IssueRelationType { blocks duplicate related similar } (schema.graphql; IssueRelation.type is a String
// holding one of them). For `blocks`, `issueId` is the blocker: the blocked issue sees it in inverseRelations.
export type RelationType = 'blocks' | 'duplicate' | 'related' | 'similar';
export interface FRelation { id: string; type: RelationType; issueId: string; relatedIssueId: string }
export interface FIssue {
  id: string; identifier: string; number: number; teamId: string; title: string; description: string | null;
  priority: number; url: string; branchName: string; createdAt: string; updatedAt: string; stateId: string;
  labelIds: string[]; projectId: string | null; creatorId: string | null;
  comments: FComment[]; attachments: FAttachment[];
  /** Who changed what, oldest first (fake-linear-history.ts). */
  history: FHistory[];
}
export interface FakeState {
  viewer: FUser; users: FUser[]; teams: FTeam[]; labels: FLabel[]; projects: FProject[];
  issues: FIssue[]; relations: FRelation[]; pageSize: number; now: () => string;
}

const notFound = (what: string) =>
  new GqlError(`Entity not found: ${what}`, { type: 'invalid input', code: 'INPUT_ERROR', userError: true, userPresentableMessage: `Could not find referenced ${what}.` });
const invalid = (message: string) => new GqlError(message, { type: 'invalid input', code: 'INPUT_ERROR', userError: true });

// ---- filters ---------------------------------------------------------------------------------------
// The input types of the filters swarm sends, field by field as declared in Linear's schema
// (packages/sdk/src/schema.graphql in github:linear/linear, checked 2026-07 snapshot): each field names its
// input type, and comparators differ by field type — `StringComparator` (IssueFilter.title, TeamFilter.key,
// WorkflowStateFilter.name) has no `null`, only the Nullable* variants have it; no comparator has
// `some`/`every` (only *CollectionFilter types do); `IssueFilter` has no `identifier`. A field of the real type
// that this slice leaves out is rejected like an unknown one: add it here, after checking the schema, when
// swarm needs it. Message and code as graphql-js reports a literal input field that does not exist
// (GRAPHQL_VALIDATION_FAILED; for a variable graphql-js prefixes `Variable "$filter" got invalid value …;`,
// which the fake does not).
const STRING_OPS = { eq: 'String', neq: 'String', in: '[String]', nin: '[String]', eqIgnoreCase: 'String', neqIgnoreCase: 'String', contains: 'String', containsIgnoreCase: 'String', notContains: 'String', startsWith: 'String', endsWith: 'String' };
const NUMBER_OPS = { eq: 'Float', neq: 'Float', in: '[Float]', nin: '[Float]', gt: 'Float', gte: 'Float', lt: 'Float', lte: 'Float' };
const ID_OPS = { eq: 'ID', neq: 'ID', in: '[ID]', nin: '[ID]' };
// DateComparator (IssueFilter.createdAt / updatedAt): eq, neq, in, nin, gt, gte, lt, lte of DateTimeOrDuration
// (schema.graphql; @linear/sdk's generated DateComparator type says the same). Linear also takes ISO-8601
// durations relative to now ("-P2W"); the fake takes date-times only and refuses a duration (swarm sends
// none), rather than guess its reading.
const DATE_OPS = { eq: 'DateTimeOrDuration', neq: 'DateTimeOrDuration', in: '[DateTimeOrDuration]', nin: '[DateTimeOrDuration]', gt: 'DateTimeOrDuration', gte: 'DateTimeOrDuration', lt: 'DateTimeOrDuration', lte: 'DateTimeOrDuration' };
const TEAM_FIELDS = { id: 'IDComparator', key: 'StringComparator', name: 'StringComparator' };
const PROJECT_FIELDS = { id: 'IDComparator', name: 'StringComparator', slugId: 'StringComparator' };
const LABEL_FIELDS = { id: 'IDComparator', name: 'StringComparator', team: 'NullableTeamFilter' };
export const INPUT_TYPES: Record<string, Record<string, string>> = {
  StringComparator: STRING_OPS,
  NullableStringComparator: { ...STRING_OPS, null: 'Boolean' },
  NumberComparator: NUMBER_OPS,
  NullableNumberComparator: { ...NUMBER_OPS, null: 'Boolean' },
  IDComparator: ID_OPS,
  DateComparator: DATE_OPS,
  IssueIDComparator: ID_OPS,
  IssueFilter: {
    and: '[IssueFilter]', or: '[IssueFilter]', id: 'IssueIDComparator', number: 'NumberComparator', title: 'StringComparator',
    description: 'NullableStringComparator', priority: 'NullableNumberComparator', team: 'TeamFilter', state: 'WorkflowStateFilter',
    labels: 'IssueLabelCollectionFilter', project: 'NullableProjectFilter', createdAt: 'DateComparator', updatedAt: 'DateComparator',
  },
  TeamFilter: { and: '[TeamFilter]', or: '[TeamFilter]', ...TEAM_FIELDS },
  NullableTeamFilter: { and: '[NullableTeamFilter]', or: '[NullableTeamFilter]', ...TEAM_FIELDS, null: 'Boolean' },
  WorkflowStateFilter: { and: '[WorkflowStateFilter]', or: '[WorkflowStateFilter]', id: 'IDComparator', name: 'StringComparator', type: 'StringComparator', team: 'TeamFilter' },
  IssueLabelFilter: { and: '[IssueLabelFilter]', or: '[IssueLabelFilter]', ...LABEL_FIELDS },
  IssueLabelCollectionFilter: {
    and: '[IssueLabelCollectionFilter]', or: '[IssueLabelCollectionFilter]', ...LABEL_FIELDS,
    some: 'IssueLabelFilter', every: 'IssueLabelFilter', null: 'Boolean', length: 'NumberComparator',
  },
  ProjectFilter: { and: '[ProjectFilter]', or: '[ProjectFilter]', ...PROJECT_FIELDS },
  NullableProjectFilter: { and: '[NullableProjectFilter]', or: '[NullableProjectFilter]', ...PROJECT_FIELDS, null: 'Boolean' },
};
const SCALARS: Record<string, (v: unknown) => boolean> = {
  String: (v) => typeof v === 'string', ID: (v) => typeof v === 'string', Float: (v) => typeof v === 'number', Boolean: (v) => typeof v === 'boolean',
  DateTimeOrDuration: (v) => typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v) && Number.isFinite(Date.parse(v)),
};
const notDefined = (field: string, typeName: string) =>
  new GqlError(`Field "${field}" is not defined by type "${typeName}".`, { type: 'graphql error', code: 'GRAPHQL_VALIDATION_FAILED' });

/** Type-check an input value against INPUT_TYPES (what Linear's input validation does before running). */
export function checkFilter(value: unknown, typeName: string): void {
  if (value === null || value === undefined) return;
  const list = /^\[(\w+)\]$/.exec(typeName);
  if (list) {
    if (!Array.isArray(value)) throw invalid(`Expected a list of ${list[1]}.`);
    for (const x of value) checkFilter(x, list[1]!);
    return;
  }
  const scalar = SCALARS[typeName];
  if (scalar) {
    if (!scalar(value)) throw new GqlError(`${typeName} cannot represent value: ${JSON.stringify(value)}`, { type: 'graphql error', code: 'GRAPHQL_VALIDATION_FAILED' });
    return;
  }
  const fields = INPUT_TYPES[typeName];
  if (!fields) throw new Error(`fake-linear: no input type ${typeName}`);
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(`Expected an input object for ${typeName}.`);
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const ty = fields[k];
    if (!ty) throw notDefined(k, typeName);
    checkFilter(v, ty);
  }
}

/** v compared with a: numbers as numbers, ISO date-times as instants; NaN (never true) otherwise. */
const order = (v: unknown, a: unknown): number =>
  typeof v === 'number' && typeof a === 'number' ? v - a : typeof v === 'string' && typeof a === 'string' ? Date.parse(v) - Date.parse(a) : NaN;

const COMPARATOR_OPS: Record<string, (view: unknown, arg: any) => boolean> = {
  eq: (v, a) => v === a, neq: (v, a) => v !== a, in: (v, a) => a.includes(v), nin: (v, a) => !a.includes(v),
  null: (v, a) => (v === null || v === undefined) === a,
  eqIgnoreCase: (v, a) => typeof v === 'string' && v.toLowerCase() === String(a).toLowerCase(),
  neqIgnoreCase: (v, a) => !(typeof v === 'string' && v.toLowerCase() === String(a).toLowerCase()),
  contains: (v, a) => typeof v === 'string' && v.includes(a), notContains: (v, a) => !(typeof v === 'string' && v.includes(a)),
  containsIgnoreCase: (v, a) => typeof v === 'string' && v.toLowerCase().includes(String(a).toLowerCase()),
  startsWith: (v, a) => typeof v === 'string' && v.startsWith(a), endsWith: (v, a) => typeof v === 'string' && v.endsWith(a),
  // Numbers, or date-times (compared as instants).
  gt: (v, a) => order(v, a) > 0, gte: (v, a) => order(v, a) >= 0,
  lt: (v, a) => order(v, a) < 0, lte: (v, a) => order(v, a) <= 0,
};

/** Evaluate an (already checked) filter of `typeName` against a view of one object. */
export function matches(view: unknown, filter: unknown, typeName: string): boolean {
  if (filter === null || filter === undefined) return true;
  const fields = INPUT_TYPES[typeName]!;
  const collection = typeName.endsWith('CollectionFilter');
  return Object.entries(filter as Record<string, unknown>).every(([k, f]) => {
    if (f === null || f === undefined) return true;
    if (k === 'and') return (f as unknown[]).every((x) => matches(view, x, typeName));
    if (k === 'or') return (f as unknown[]).some((x) => matches(view, x, typeName));
    if (typeName.endsWith('Comparator')) return COMPARATOR_OPS[k]!(view, f);
    if (k === 'null') return (view === null || view === undefined) === f;
    if (collection) {
      const items = (view as unknown[] | null) ?? [];
      if (k === 'some') return items.some((x) => matches(x, f, fields[k]!));
      if (k === 'every') return items.every((x) => matches(x, f, fields[k]!));
      if (k === 'length') return matches(items.length, f, fields[k]!);
      // Not verified what a plain field means on a collection filter in Linear: the fake refuses to guess.
      throw new Error(`fake-linear: ${typeName}.${k} is not modelled (use some/every)`);
    }
    if (view === null || view === undefined) return false;
    return matches((view as Record<string, unknown>)[k], f, fields[k]!);
  });
}

/**
 * The largest `first` Linear answers: n8n-io/n8n#9273 capped its Linear node at 250 "following API
 * guidelines" after requests for 251 or more items came back with no data. The fake refuses above it with a
 * GraphQL error (HTTP 400); its wording is not verified.
 */
export const LINEAR_MAX_FIRST = 250;

/** Cursor pagination over an array: cursors are item ids; `first` is capped at the fake's page size (a test knob). */
function paginate<T extends { id: string }>(items: T[], args: Record<string, any>, cap: number) {
  if (typeof args.first === 'number' && (args.first > LINEAR_MAX_FIRST || args.first < 0)) {
    throw invalid(`Argument "first" must be between 0 and ${LINEAR_MAX_FIRST} (got ${args.first}).`);
  }
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
      id: i.id, number: i.number, identifier: i.identifier, priority: i.priority, title: i.title, description: i.description,
      team: { id: i.teamId, key: team(i.teamId).key, name: team(i.teamId).name },
      state: { id: st.id, name: st.name, type: st.type },
      labels: i.labelIds.map((id) => labelView(s.labels.find((l) => l.id === id)!)),
      project: p ? { id: p.id, name: p.name, slugId: p.slugId } : null,
      createdAt: i.createdAt, updatedAt: i.updatedAt,
    };
  };
  const conn = (node: string, extra: Record<string, string> = {}): Pick<FieldDef, 'args'> & { type: string } => ({
    type: `${node}Connection`,
    args: { first: 'Int', after: 'String', last: 'Int', before: 'String', includeArchived: 'Boolean', orderBy: 'PaginationOrderBy', ...extra },
  });
  const page = <T extends { id: string }>(items: T[], args: Record<string, any>) => paginate(items, args, s.pageSize);
  const newestFirst = (items: FComment[], orderBy: unknown) => {
    const key = orderBy === 'updatedAt' ? 'updatedAt' : 'createdAt';
    return items.map((c, n) => ({ c, n })).sort((x, y) => y.c[key].localeCompare(x.c[key]) || y.n - x.n).map((x) => x.c);
  };
  const filtered = <T>(items: T[], view: (x: T) => unknown, filter: unknown, typeName: string) => {
    checkFilter(filter, typeName);
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
      issues: { ...conn('Issue', { filter: 'IssueFilter', sort: '[IssueSortInput!]' }), resolve: (_p, a) => page(filtered(s.issues, issueView, a.filter, 'IssueFilter'), a) },
      team: { type: 'Team', args: { id: 'String!' }, resolve: (_p, a) => s.teams.find((t) => t.id === a.id || t.key === a.id) ?? (() => { throw notFound('Team'); })() },
      teams: { ...conn('Team', { filter: 'TeamFilter' }), resolve: (_p, a) => page(filtered(s.teams, (t) => ({ id: t.id, key: t.key, name: t.name }), a.filter, 'TeamFilter'), a) },
      workflowStates: {
        ...conn('WorkflowState', { filter: 'WorkflowStateFilter' }),
        resolve: (_p, a) => page(filtered(s.teams.flatMap((t) => t.states), (x) => ({ ...x, team: { id: x.teamId, key: team(x.teamId).key } }), a.filter, 'WorkflowStateFilter'), a),
      },
      issueLabels: { ...conn('IssueLabel', { filter: 'IssueLabelFilter' }), resolve: (_p, a) => page(filtered(s.labels, labelView, a.filter, 'IssueLabelFilter'), a) },
      projects: { ...conn('Project', { filter: 'ProjectFilter' }), resolve: (_p, a) => page(filtered(s.projects, (p) => ({ ...p }), a.filter, 'ProjectFilter'), a) },
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
          const before = { labels: [...issue.labelIds], state: issue.stateId, title: issue.title, description: issue.description };
          if (title !== undefined) issue.title = title;
          if (description !== undefined) issue.description = description;
          if (priority !== undefined) issue.priority = priority;
          touch(issue);
          // The API key's user made these changes: one history entry, as Linear records them.
          const diff = labelDiff(before.labels, issue.labelIds);
          const change = {
            ...diff, ...(issue.stateId !== before.state ? { fromStateId: before.state, toStateId: issue.stateId } : {}),
            ...(issue.title !== before.title ? { fromTitle: before.title, toTitle: issue.title } : {}), description: issue.description !== before.description,
          };
          if (diff.addedLabelIds!.length || diff.removedLabelIds!.length || change.toStateId || change.toTitle !== undefined || change.description) recordChange(issue.history, issue.id, change, { userId: s.viewer.id }, issue.updatedAt);
          return { success: true, issue, lastSyncId: 1 };
        },
      },
      issueAddLabel: {
        type: 'IssuePayload', args: { id: 'String!', labelId: 'String!' },
        resolve: (_p, a) => {
          const issue = requireIssue(a.id);
          if (!s.labels.some((l) => l.id === a.labelId)) throw notFound('IssueLabel');
          if (!issue.labelIds.includes(a.labelId)) {
            issue.labelIds.push(a.labelId);
            touch(issue);
            recordChange(issue.history, issue.id, { addedLabelIds: [a.labelId] }, { userId: s.viewer.id }, issue.updatedAt);
          }
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
      // Newest first: Linear orders by createdAt (the documented default, linear.app/docs/api/pagination) and
      // returns the newest first, with no direction argument (schpet/linear-cli#214, apexcloudwise/linear-axi#19).
      comments: { ...conn('Comment', { filter: 'CommentFilter' }), resolve: (i: FIssue, a) => page(newestFirst(i.comments, a.orderBy), a) },
      attachments: { ...conn('Attachment', { filter: 'AttachmentFilter' }), resolve: (i: FIssue, a) => page(i.attachments, a) },
      relations: { ...conn('IssueRelation'), resolve: (i: FIssue, a) => page(s.relations.filter((r) => r.issueId === i.id), a) },
      inverseRelations: { ...conn('IssueRelation'), resolve: (i: FIssue, a) => page(s.relations.filter((r) => r.relatedIssueId === i.id), a) },
    },
  };
  for (const node of connections)
    schema[`${node}Connection`] = { nodes: { type: `[${node}]` }, pageInfo: { type: 'PageInfo' } };
  addHistorySchema(schema, {
    user, historyOf: (i: FIssue) => i.history, botOf: (c: FComment) => c.bot ?? null, viewerId: () => s.viewer?.id ?? null,
    conn: (node) => conn(node), page: (items, a) => page(items, a),
  });
  return schema;
}
