// The fake GitHub's GraphQL endpoint: POST /graphql at the API root, where GitHub.com serves it
// (https://api.github.com/graphql; GitHub Enterprise Server: https://HOST/api/graphql, which @octokit/graphql
// derives from a REST base ending in /api/v3). Octokit's `octokit.graphql` reaches it unmodified.
//
// Strict on purpose: a slice of GitHub's public schema (octokit/graphql-schema, schema.graphql: Query.repository,
// Repository.issue, Issue.{lastEditedAt, editor, includesCreatedEdit, userContentEdits}, UserContentEdit, the
// Actor interface, PageInfo) and nothing else. Documents are parsed and validated by the shared engine
// (fake-graphql.ts); what it rejects is answered in GitHub's words — HTTP 200 with an `errors` list, messages
// and `extensions.code` as GitHub's GraphQL (graphql-ruby) reports them, e.g. "Field 'x' doesn't exist on
// type 'Issue'" with {code: "undefinedField", typeName, fieldName} (quoted in refined-github/refined-github#6946
// and dlvhdr/gh-dash#376). A field added to swarm's documents must be added here, after checking the schema.
// Another engineer extends this module for auto-merge mutations: keep every type a schema slice with a
// source, and every behaviour beside the comment that says where it comes from.

import { execute, GqlError, parse, validate, type Operation, type Schema } from './fake-graphql.js';
import type { FakeContentEdit, FakeGitHubState, FakeIssue } from './fake-github-state.js';

export interface GraphqlAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

export interface GhError {
  message: string;
  type?: string;
  path?: string[];
  extensions?: Record<string, unknown>;
}

/** Raised by a resolver for an error GitHub reports beside partial data (the field resolves to null). */
export class FieldError extends Error {
  constructor(readonly error: GhError) {
    super(error.message);
  }
}

/**
 * Connections need `first` or `last`, each 1–100 ("Using pagination in the GraphQL API": "you must supply a
 * first or last argument on any connection. The value of these arguments must be between 1 and 100"). The
 * messages are GitHub's (MISSING_PAGINATION_BOUNDARIES / EXCESSIVE_PAGINATION errors).
 */
function bounds(connection: string, args: Record<string, unknown>, path: string[]): { first: number | null; last: number | null } {
  const first = typeof args.first === 'number' ? args.first : null;
  const last = typeof args.last === 'number' ? args.last : null;
  if (first === null && last === null) {
    throw new FieldError({ type: 'MISSING_PAGINATION_BOUNDARIES', path, message: `You must provide a \`first\` or \`last\` value to properly paginate the \`${connection}\` connection.` });
  }
  for (const [name, n] of [['first', first], ['last', last]] as const) {
    if (n !== null && (n > 100 || n < 0)) {
      throw new FieldError({ type: 'EXCESSIVE_PAGINATION', path, message: `Requesting ${n} records on the \`${connection}\` connection exceeds the \`${name}\` limit of 100 records.` });
    }
  }
  return { first, last };
}

const cursorOf = (e: FakeContentEdit) => Buffer.from(`cursor:v2:${e.id}`).toString('base64');

/**
 * A Relay page over `items` (already in the connection's order): `after`/`first` from the front, `before`/`last`
 * from the back, as the GraphQL Cursor Connections spec defines them.
 */
function page<T>(items: T[], cursor: (x: T) => string, args: Record<string, unknown>, b: { first: number | null; last: number | null }) {
  let lo = 0;
  let hi = items.length;
  if (typeof args.after === 'string') {
    const i = items.findIndex((x) => cursor(x) === args.after);
    if (i >= 0) lo = i + 1;
  }
  if (typeof args.before === 'string') {
    const i = items.findIndex((x) => cursor(x) === args.before);
    if (i >= 0) hi = i;
  }
  let slice = items.slice(lo, hi);
  let hasNextPage = hi < items.length;
  let hasPreviousPage = lo > 0;
  if (b.first !== null && slice.length > b.first) {
    slice = slice.slice(0, b.first);
    hasNextPage = true;
  }
  if (b.last !== null && slice.length > b.last) {
    slice = slice.slice(slice.length - b.last);
    hasPreviousPage = true;
  }
  return {
    nodes: slice,
    totalCount: items.length,
    pageInfo: { hasNextPage, hasPreviousPage, startCursor: slice[0] ? cursor(slice[0]) : null, endCursor: slice.at(-1) ? cursor(slice.at(-1)!) : null },
  };
}

function schemaFor(lookup: (owner: string, name: string) => FakeGitHubState | null): Schema {
  const actor = (login: string | null) => (login === null ? null : { login, url: `https://github.com/${login}`, resourcePath: `/${login}` });
  const iso = (s: string) => s;
  return {
    Query: {
      // Query.repository(owner: String!, name: String!, followRenames: Boolean = true): Repository
      repository: {
        type: 'Repository',
        args: { owner: 'String!', name: 'String!', followRenames: 'Boolean' },
        resolve: (_p, a) => {
          const s = lookup(String(a.owner), String(a.name));
          // An unknown (or invisible) repository: null plus a NOT_FOUND error (octokit/graphql.js#314 quotes
          // the shape: {type: "NOT_FOUND", path, message: "Could not resolve to a …"}).
          if (!s) throw new FieldError({ type: 'NOT_FOUND', path: ['repository'], message: `Could not resolve to a Repository with the name '${a.owner}/${a.name}'.` });
          return s;
        },
      },
    },
    Repository: {
      id: { type: 'ID', resolve: (s: FakeGitHubState) => `R_${s.repoId}` },
      name: { type: 'String', resolve: (s: FakeGitHubState) => s.repo },
      nameWithOwner: { type: 'String', resolve: (s: FakeGitHubState) => s.fullName },
      // Repository.issue(number: Int!): Issue — issues only; a pull request's number is not an Issue.
      issue: {
        type: 'Issue',
        args: { number: 'Int!' },
        resolve: (s: FakeGitHubState, a) => {
          const it = s.items.get(Number(a.number));
          if (!it || it.isPull) throw new FieldError({ type: 'NOT_FOUND', path: ['repository', 'issue'], message: `Could not resolve to an Issue with the number of ${a.number}.` });
          return { it, s };
        },
      },
    },
    Issue: {
      id: { type: 'ID', resolve: ({ it }: { it: FakeIssue }) => `I_${it.number}` },
      number: { type: 'Int', resolve: ({ it }: { it: FakeIssue }) => it.number },
      title: { type: 'String', resolve: ({ it }: { it: FakeIssue }) => it.title },
      body: { type: 'String', resolve: ({ it }: { it: FakeIssue }) => it.body },
      createdAt: { type: 'DateTime', resolve: ({ it }: { it: FakeIssue }) => iso(it.created_at) },
      updatedAt: { type: 'DateTime', resolve: ({ it }: { it: FakeIssue }) => iso(it.updated_at) },
      author: { type: 'Actor', resolve: ({ it }: { it: FakeIssue }) => actor(it.user) },
      // "The moment the editor made the last edit" / "The actor who edited the comment": null until edited.
      lastEditedAt: { type: 'DateTime', resolve: ({ it }: { it: FakeIssue }) => it.edits.at(-1)?.editedAt ?? null },
      editor: { type: 'Actor', resolve: ({ it }: { it: FakeIssue }) => actor(it.edits.at(-1)?.editor ?? null) },
      // "Check if this comment was edited and includes an edit with the creation data".
      includesCreatedEdit: { type: 'Boolean', resolve: ({ it }: { it: FakeIssue }) => it.edits.length > 0 },
      // "A list of edits to this content." Served newest first, like the web UI's "edited" menu. The order is
      // not documented; swarm's reader does not depend on it (it sorts, and reads the order from the data).
      userContentEdits: {
        type: 'UserContentEditConnection',
        args: { after: 'String', before: 'String', first: 'Int', last: 'Int' },
        resolve: ({ it }: { it: FakeIssue }, a) => {
          const b = bounds('userContentEdits', a, ['repository', 'issue', 'userContentEdits']);
          const newestFirst = [...it.edits].reverse();
          const rendered = newestFirst.map((e, i) => ({ e, prev: newestFirst[i + 1] ?? null }));
          const p = page(rendered, (x) => cursorOf(x.e), a, b);
          return { ...p, nodes: p.nodes.map(({ e, prev }) => ({ e, prev })) };
        },
      },
    },
    UserContentEditConnection: {
      nodes: { type: '[UserContentEdit]' },
      pageInfo: { type: 'PageInfo' },
      totalCount: { type: 'Int' },
    },
    UserContentEdit: {
      id: { type: 'ID', resolve: ({ e }: { e: FakeContentEdit }) => `UCE_${e.id}` },
      createdAt: { type: 'DateTime', resolve: ({ e }: { e: FakeContentEdit }) => e.editedAt },
      updatedAt: { type: 'DateTime', resolve: ({ e }: { e: FakeContentEdit }) => e.editedAt },
      editedAt: { type: 'DateTime', resolve: ({ e }: { e: FakeContentEdit }) => e.editedAt },
      editor: { type: 'Actor', resolve: ({ e }: { e: FakeContentEdit }) => actor(e.editor) },
      deletedAt: { type: 'DateTime', resolve: () => null },
      deletedBy: { type: 'Actor', resolve: () => null },
      diff: { type: 'String', resolve: ({ e, prev }: { e: FakeContentEdit; prev: FakeContentEdit | null }) => (prev ? `-${prev.body}\n+${e.body}` : e.body) },
    },
    // `interface Actor { avatarUrl(size: Int): URI!, login: String!, resourcePath: URI!, url: URI! }`: the
    // engine has no interfaces, so the fields every implementation shares are served as one object type.
    Actor: {
      login: { type: 'String' },
      url: { type: 'URI' },
      resourcePath: { type: 'URI' },
      avatarUrl: { type: 'URI', args: { size: 'Int' }, resolve: (x: { login: string }) => `https://avatars.githubusercontent.com/${x.login}` },
    },
    PageInfo: { hasNextPage: { type: 'Boolean' }, hasPreviousPage: { type: 'Boolean' }, startCursor: { type: 'String' }, endCursor: { type: 'String' } },
  };
}

/** The engine's (graphql-js worded) validation errors in GitHub's (graphql-ruby) words and codes. */
function githubWords(err: GqlError, op: Operation | null): GhError {
  const m = err.message;
  const opName = op?.name ? op.name : 'anonymous query';
  let x: RegExpExecArray | null;
  if ((x = /^Cannot query field "(\w+)" on type "(\w+)"\.$/.exec(m))) return { message: `Field '${x[1]}' doesn't exist on type '${x[2]}'`, extensions: { code: 'undefinedField', typeName: x[2], fieldName: x[1] } };
  if ((x = /^Unknown argument "(\w+)" on field "\w+\.(\w+)"\.$/.exec(m))) return { message: `Field '${x[2]}' doesn't accept argument '${x[1]}'`, extensions: { code: 'argumentNotAccepted', name: x[2], typeName: 'Field', argumentName: x[1] } };
  if ((x = /^Field "(\w+)" argument "(\w+)" of type "[^"]+" is required, but it was not provided\.$/.exec(m))) return { message: `Field '${x[1]}' is missing required arguments: ${x[2]}`, extensions: { code: 'missingRequiredArguments', className: 'Field', name: x[1], arguments: x[2] } };
  if ((x = /^Variable "\$(\w+)" is not defined/.exec(m))) return { message: `Variable $${x[1]} is used by ${opName} but not declared`, extensions: { code: 'variableNotDefined', variableName: x[1] } };
  if ((x = /^Variable "\$(\w+)" is never used/.exec(m))) return { message: `Variable $${x[1]} is declared by ${opName} but not used`, extensions: { code: 'variableNotUsed', variableName: x[1] } };
  if ((x = /^Variable "\$(\w+)" of type "([^"]+)" used in position expecting type "([^"]+)"\.$/.exec(m))) return { message: `Type mismatch on variable $${x[1]} and argument (${x[2]} / ${x[3]})`, extensions: { code: 'variableMismatch', variableName: x[1], typeName: x[2] } };
  if ((x = /^Variable "\$(\w+)" of required type "([^"]+)" was not provided\.$/.exec(m))) return { message: `Variable $${x[1]} of type ${x[2]} was provided invalid value`, extensions: { value: null, problems: [{ path: [], explanation: 'Expected value to not be null' }] } };
  if ((x = /^Field "(\w+)" of type "([^"]+)" must have a selection of subfields/.exec(m))) return { message: `Field must have selections (field '${x[1]}' returns ${x[2].replace(/[[\]!]/g, '')} but has no selections. Did you mean '${x[1]} { ... }'?)`, extensions: { code: 'selectionMismatch', nodeName: `field '${x[1]}'`, typeName: x[2] } };
  if ((x = /^Field "(\w+)" must not have a selection since type "([^"]+)"/.exec(m))) return { message: `Selections can't be made on scalars (field '${x[1]}' returns ${x[2]} but has selections [...])`, extensions: { code: 'selectionMismatch', nodeName: `field '${x[1]}'`, typeName: x[2] } };
  if (/^Syntax Error/.test(m)) return { message: `Parse error: ${m.replace(/^Syntax Error: /, '')}` };
  return { message: m, ...('problems' in err.extensions ? { extensions: err.extensions } : {}) };
}

/** Scalar variables must hold their type: `$number: Int!` given "12" is refused as GitHub refuses it. */
function checkScalars(op: Operation, variables: Record<string, unknown>): void {
  for (const v of op.variables) {
    const value = variables[v.name];
    if (value === undefined || value === null) continue;
    const base = v.type.replace(/!$/, '');
    const ok = base === 'Int' ? Number.isInteger(value) : base === 'String' ? typeof value === 'string' : base === 'Boolean' ? typeof value === 'boolean' : true;
    if (!ok) throw new GqlError(`Variable $${v.name} of type ${v.type} was provided invalid value`, { value, problems: [{ path: [], explanation: `Could not coerce value ${JSON.stringify(value)} to ${base}` }] });
  }
}

export interface FakeGitHubGraphql {
  /** Answer one POST /graphql body (already authenticated by the transport). */
  answer(body: unknown): GraphqlAnswer;
  /** Documents answered so far, by operation name (null for anonymous ones). */
  readonly operations: (string | null)[];
}

/** `lookup` finds a repository this fake serves by owner and name (case-insensitive), or null. */
export function createFakeGitHubGraphql(lookup: (owner: string, name: string) => FakeGitHubState | null, budget: GraphqlBudget = graphqlBudget()): FakeGitHubGraphql {
  const schema = schemaFor(lookup);
  const operations: (string | null)[] = [];
  return {
    operations,
    answer(raw) {
      const req = readEnvelope(raw, budget);
      if ('refused' in req) return req.refused;
      const { variables } = req;
      const headers = budget.headers;
      let op: Operation | null = null;
      try {
        op = parse(req.query, req.operationName);
        if (op.type !== 'query') throw new GqlError(`Schema is not configured for mutations`);
        validate(op, schema, variables);
        checkScalars(op, variables);
      } catch (err) {
        if (!(err instanceof GqlError)) throw err;
        return { status: 200, headers: headers(), body: { errors: [githubWords(err, op)] } };
      }
      operations.push(op.name);
      const { data, errors } = executeGuarded(op, schema, variables);
      return { status: 200, headers: headers(), body: errors.length > 0 ? { data, errors } : { data } };
    },
  };
}

/**
 * The GraphQL API's own primary limit, reported with x-ratelimit-resource: graphql (5,000 points an hour for
 * a user token; "Rate limits and node limits for the GraphQL API"). One budget for the one endpoint: the
 * queries and the auto-merge mutations (fake-github-automerge.ts) spend from the same one. Each document
 * costs 1 here.
 */
export function graphqlBudget() {
  const b = { limit: 5000, used: 0, reset: Math.floor(Date.now() / 1000) + 3600 };
  return {
    spend: () => void b.used++,
    headers: (): Record<string, string> => ({
      'x-ratelimit-limit': String(b.limit), 'x-ratelimit-remaining': String(b.limit - b.used),
      'x-ratelimit-used': String(b.used), 'x-ratelimit-reset': String(b.reset), 'x-ratelimit-resource': 'graphql',
    }),
  };
}
export type GraphqlBudget = ReturnType<typeof graphqlBudget>;

/** A POST /graphql body as GitHub reads it before parsing (one point spent), or its refusal. */
export function readEnvelope(raw: unknown, budget: GraphqlBudget): { refused: GraphqlAnswer } | { query: string; operationName: string | null; variables: Record<string, unknown> } {
  const body = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  budget.spend();
  if (typeof body.query !== 'string') return { refused: { status: 200, headers: budget.headers(), body: { errors: [{ message: 'A query attribute must be specified and must be a string.' }] } } };
  const variables = (typeof body.variables === 'object' && body.variables !== null ? body.variables : {}) as Record<string, unknown>;
  return { query: body.query, operationName: typeof body.operationName === 'string' ? body.operationName : null, variables };
}

/**
 * Execute `op`; a resolver's FieldError becomes partial data — the field is null and the error names its
 * path, as GitHub answers (also used by the auto-merge mutations, fake-github-automerge.ts).
 */
export function executeGuarded(op: Operation, schema: Schema, variables: Record<string, unknown>): { data: unknown; errors: GhError[] } {
  const fieldErrors: GhError[] = [];
  const guarded: Schema = Object.fromEntries(Object.entries(schema).map(([type, fields]) => [type, Object.fromEntries(Object.entries(fields).map(([name, def]) => [name, !def.resolve ? def : {
    ...def,
    resolve: (parent: unknown, args: Record<string, unknown>) => {
      try {
        return def.resolve!(parent, args);
      } catch (e) {
        if (!(e instanceof FieldError)) throw e;
        fieldErrors.push(e.error);
        return null;
      }
    },
  }]))]));
  const result = execute(op, guarded, {}, variables);
  return { data: result.data, errors: [...fieldErrors, ...result.errors.map((e) => ({ message: e.message, path: e.path }))] };
}
