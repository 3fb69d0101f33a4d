// A stateful fake of Linear's GraphQL API on 127.0.0.1 (port 0) for integration tests. Each behaviour swarm
// relies on names where it comes from; what could not be verified says so.
// - Validates every operation against the schema slice in fake-linear-schema.ts (unknown fields,
//   arguments, missing variables, filter fields and comparators per field type → a GraphQL validation
//   error, HTTP 400, like the real API).
// - Checks the personal API key: `Authorization: <key>`, no Bearer (Linear answers 400 "It looks like
//   you're trying to use an API key as a Bearer token" otherwise, as public agent notes record).
// - Prices every operation with Linear's static complexity model (linear-complexity.ts) before running it,
//   and refuses one above 10,000 exactly as Linear does (below).
// - Reports the budgets on every answer, as Linear's headers (a captured example: mre/rate-limits#8 —
//   x-complexity: 60, x-ratelimit-complexity-limit: 3000000, x-ratelimit-complexity-remaining, …-reset in
//   epoch ms, x-ratelimit-requests-limit: 1500, …-remaining, …-reset; the SDK reads the same names plus
//   retry-after, linear/linear#694). Linear refills both budgets continuously (a leaky bucket,
//   linear.app/developers/rate-limiting); the fake keeps a fixed window that ends at the reset time.
// - Answers RATELIMITED once a budget is spent or `setRateLimited(true)`.
// - Endpoint limits: some queries and mutations have lower limits of their own, reported on their answers
//   as X-RateLimit-Endpoint-Requests-Limit / -Remaining / -Reset and X-RateLimit-Endpoint-Name (Linear's
//   rate-limiting page, linear.app/developers/rate-limiting). Which operations have one is not published:
//   `endpointLimits` gives some root fields one, and an answer to them carries those headers.
// - Keeps time like Linear: every issue has createdAt/updatedAt on the real clock (strictly increasing), a
//   change to an issue (state, labels, through the API or the helpers below) moves its updatedAt ("the last
//   time at which the entity was meaningfully updated", schema.graphql), and every answer has a Date header
//   (node's http server sends one, as RFC 9110 §6.6.1 asks of an origin server with a clock).
//   `first` above 250 is refused, and up to 250 honoured (fake-linear-schema.ts).

import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { execute, GqlError, parse, validate } from './fake-graphql.js';
import { buildSchema, LINEAR_MAX_FIRST, type FakeState, type FIssue, type FState, type FTeam, type FUser, type RelationType, type StateType } from './fake-linear-schema.js';
import { labelDiff, recordChange, type Doer } from './fake-linear-history.js';
import { LINEAR_MAX_COMPLEXITY, operationComplexity } from './linear-complexity.js';
import { FakeLinearWebhooks, type FakeLinearWebhooksApi } from './fake-linear-webhooks.js';

export interface FakeLinearRequest {
  query: string;
  operationName: string | null;
  variables: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  status: number;
  /** What the complexity model scored the operation at (null when it did not parse or validate). */
  complexity: number | null;
  /** When it arrived (epoch ms). */
  at: number;
}

export interface Budget { limit: number; remaining: number; resetAt: number }

export interface AddIssueInput {
  title: string;
  team?: string;
  description?: string | null;
  /** Linear's scale: 0 none, 1 urgent, 2 high, 3 medium, 4 low. */
  priority?: number;
  state?: string;
  labels?: string[];
  project?: string;
  creator?: string;
  createdAt?: string;
  /** Linear's suggested git branch (default `<identifier>-<slug>`; Linear prefixes the user's name when set). */
  branchName?: string;
  /** Last meaningful change (default: createdAt), e.g. an old backlog that nobody touched for an hour. */
  updatedAt?: string;
}

export interface FakeIssueSnapshot {
  id: string; identifier: string; title: string; priority: number; state: string; labels: string[];
  comments: { id: string; body: string; user: string | null }[];
  attachments: { url: string; title: string }[];
}

/** Who makes a change through the test API: a user's name, or an integration (`{bot: "GitHub"}`). Default: the API key's user. */
export type FakeActor = string | { bot: string };

/** Workspace roles of a user (Linear's User.admin, owner, guest, app, active); default: an active member. */
export type FakeRoles = Partial<Pick<FUser, 'admin' | 'owner' | 'guest' | 'app' | 'active'>>;

export interface FakeLinear {
  url: string;
  requests: FakeLinearRequest[];
  viewer: { id: string; name: string; email: string };
  addIssue(input: AddIssueInput): string;
  /** Move the issue (a history entry by `actor`, default the API key's user). */
  setState(identifier: string, stateName: string, actor?: FakeActor): void;
  /** `blocker` blocks `blocked` (type blocks), or another relation type from `blocker` to `blocked`. */
  addRelation(blocker: string, blocked: string, type?: RelationType): void;
  /** Replace the issue's labels (a history entry with the added and removed label ids, by `actor`). */
  setLabels(identifier: string, labels: string[], actor?: FakeActor): void;
  /**
   * `actor` renames the issue and/or edits its description (a history entry: fromTitle/toTitle,
   * updatedDescription + descriptionUpdatedBy). `merge` folds it into the newest entry, as Linear groups a run of edits.
   */
  editIssue(identifier: string, patch: { title?: string; description?: string }, actor: FakeActor, opts?: { merge?: boolean }): void;
  addLabel(name: string, team?: string): void;
  addProject(name: string, slugId: string): void;
  /** A workspace user (an active member unless `roles` says otherwise); returns the user's id. */
  addUser(name: string, email?: string, roles?: FakeRoles): string;
  /** A comment by `userName` (default: the viewer); null = an integration's comment with no user; `{bot}` one with a botActor. */
  addComment(identifier: string, body: string, userName?: string | null | { bot: string }): void;
  issue(identifier: string): FakeIssueSnapshot;
  /** Answer RATELIMITED; `budget` says which one the headers show as spent, `retryAfter` (s) adds Retry-After. */
  setRateLimited(on: boolean, opts?: { budget?: 'requests' | 'complexity'; retryAfter?: number }): void;
  setRequestBudget(budget: Partial<Budget>): void;
  setComplexityBudget(budget: Partial<Budget>): void;
  /**
   * The per-document cap (Linear's is 10,000 today). Lowering it plays a Linear that prices or caps documents
   * differently than when swarm's page-size limit was set: the refusal path of a poll that used to pass.
   */
  setMaxComplexity(points: number): void;
  /** The budget of one endpoint named in `endpointLimits` (its name, as sent in X-RateLimit-Endpoint-Name). */
  setEndpointBudget(name: string, budget: Partial<Budget>): void;
  /** Webhooks: the API's webhook fields, and signed deliveries of issue and comment changes (fake-linear-webhooks.ts). */
  readonly webhooks: FakeLinearWebhooksApi;
  close(): Promise<void>;
}

export interface FakeLinearOptions {
  apiKey: string;
  /** Maximum `first` honoured per page (default 250, Linear's maximum; a smaller one forces pagination in a test). */
  pageSize?: number;
  /** Team keys to create, each with the default workflow. Default: ["ENG"]. */
  teams?: string[];
  /** Workspace labels. Default: agent, blocked, agent:failed, bug. */
  labels?: string[];
  requestLimit?: number;
  /** The hourly complexity budget (default 3,000,000, the limit in the captured headers of mre/rate-limits#8). */
  complexityLimit?: number;
  /** Root fields (e.g. `commentCreate`) with a lower limit of their own: the endpoint's name and hourly requests. */
  endpointLimits?: Record<string, { name: string; limit: number }>;
}

// A new team's workflow, plus the native duplicate state (type `duplicate`, in Linear's schema since 2026-03).
// Not verified: that Linear names that state "Duplicate" and lists it last.
const DEFAULT_STATES: [string, StateType][] = [
  ['Backlog', 'backlog'], ['Todo', 'unstarted'], ['In Progress', 'started'],
  ['In Review', 'started'], ['Done', 'completed'], ['Canceled', 'canceled'], ['Duplicate', 'duplicate'],
];

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);

export async function startFakeLinear(opts: FakeLinearOptions): Promise<FakeLinear> {
  // The real clock, strictly increasing (two changes in one millisecond still get distinct times).
  let clock = 0;
  const now = () => new Date((clock = Math.max(Date.now(), clock + 1))).toISOString();
  const viewer = { id: randomUUID(), name: 'Swarm Bot', displayName: 'swarm', email: 'swarm@example.com' };
  const state: FakeState = {
    viewer, users: [viewer], teams: [], labels: [], projects: [], issues: [], relations: [],
    pageSize: opts.pageSize ?? LINEAR_MAX_FIRST, now,
  };
  for (const key of opts.teams ?? ['ENG']) {
    const team: FTeam = { id: randomUUID(), key, name: `${key} team`, states: [] };
    team.states = DEFAULT_STATES.map(([name, type], position): FState => ({ id: randomUUID(), name, type, position, teamId: team.id }));
    state.teams.push(team);
  }
  for (const name of opts.labels ?? ['agent', 'blocked', 'agent:failed', 'bug']) state.labels.push({ id: randomUUID(), name, teamId: null });
  const schema = buildSchema(state);
  const webhooks = new FakeLinearWebhooks(state);
  webhooks.extend(schema);
  const requests: FakeLinearRequest[] = [];
  let rateLimited: { budget: 'requests' | 'complexity'; retryAfter: number | null } | null = null;
  const budget: Budget = { limit: opts.requestLimit ?? 1500, remaining: opts.requestLimit ?? 1500, resetAt: Date.now() + 3_600_000 };
  const points: Budget = { limit: opts.complexityLimit ?? 3_000_000, remaining: opts.complexityLimit ?? 3_000_000, resetAt: Date.now() + 3_600_000 };
  let maxComplexity = LINEAR_MAX_COMPLEXITY;
  const endpoints = new Map<string, Budget>();
  for (const e of Object.values(opts.endpointLimits ?? {})) endpoints.set(e.name, { limit: e.limit, remaining: e.limit, resetAt: Date.now() + 3_600_000 });
  const endpointHeaders = (name: string): Record<string, string> => {
    const b = endpoints.get(name)!;
    return {
      'x-ratelimit-endpoint-name': name, 'x-ratelimit-endpoint-requests-limit': String(b.limit),
      'x-ratelimit-endpoint-requests-remaining': String(Math.max(0, b.remaining)), 'x-ratelimit-endpoint-requests-reset': String(b.resetAt),
    };
  };

  const findIssue = (identifier: string): FIssue => {
    const i = state.issues.find((x) => x.identifier === identifier || x.id === identifier);
    if (!i) throw new Error(`fake-linear: no issue ${identifier}`);
    return i;
  };
  const findTeam = (key: string) => {
    const t = state.teams.find((x) => x.key === key);
    if (!t) throw new Error(`fake-linear: no team ${key}`);
    return t;
  };
  const labelIds = (names: string[]) => names.map((n) => {
    const l = state.labels.find((x) => x.name === n);
    if (!l) throw new Error(`fake-linear: no label ${n}`);
    return l.id;
  });
  const stateId = (team: FTeam, name: string) => {
    const s = team.states.find((x) => x.name === name);
    if (!s) throw new Error(`fake-linear: no state ${name} in ${team.key}`);
    return s.id;
  };

  const botOf = (name: string) => ({ id: `bot-${slug(name)}`, type: slug(name), name });
  const doer = (actor: FakeActor | undefined): Doer => {
    if (actor === undefined) return { userId: viewer.id };
    if (typeof actor === 'object') return { bot: botOf(actor.bot) };
    const u = state.users.find((x) => x.name === actor);
    if (!u) throw new Error(`fake-linear: no user ${actor}`);
    return { userId: u.id };
  };

  const send = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) => {
    const spent = rateLimited?.budget;
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'x-ratelimit-requests-limit': String(budget.limit),
      'x-ratelimit-requests-remaining': String(spent === 'requests' ? 0 : Math.max(0, budget.remaining)),
      'x-ratelimit-requests-reset': String(budget.resetAt),
      'x-ratelimit-complexity-limit': String(points.limit),
      'x-ratelimit-complexity-remaining': String(spent === 'complexity' ? 0 : Math.max(0, Math.floor(points.remaining))),
      'x-ratelimit-complexity-reset': String(points.resetAt),
      ...extra,
    });
    res.end(JSON.stringify(body));
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: { query?: unknown; variables?: unknown; operationName?: unknown } = {};
      try { body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'); } catch { /* answered below */ }
      const entry: FakeLinearRequest = {
        query: typeof body.query === 'string' ? body.query : '',
        operationName: typeof body.operationName === 'string' ? body.operationName : null,
        variables: (body.variables && typeof body.variables === 'object' ? body.variables : {}) as Record<string, unknown>,
        headers: req.headers,
        status: 0,
        complexity: null,
        at: Date.now(),
      };
      requests.push(entry);
      const reply = (status: number, payload: unknown, extra: Record<string, string> = {}) => { entry.status = status; send(res, status, payload, extra); };
      if (req.method !== 'POST' || req.url !== '/graphql') return reply(404, { errors: [{ message: 'Not found' }] });
      if (req.headers.authorization !== opts.apiKey)
        return reply(401, { errors: [{ message: 'Authentication required, not authenticated', extensions: { type: 'authentication error', code: 'AUTHENTICATION_ERROR', userPresentableMessage: 'You need to authenticate to access this operation.' } }] });
      // RATELIMITED arrives as HTTP 400 with extensions {type: "ratelimited", code: "RATELIMITED", statusCode:
      // 429} (vanillagreencom/kendex#1018 observed it live; the SDK keys on the lower-case type). Retry-After:
      // read by the SDK (linear/linear#694); not verified that Linear sends it — the fake sends it only when told.
      if (rateLimited || budget.remaining <= 0 || points.remaining <= 0) {
        const extra: Record<string, string> = rateLimited?.retryAfter ? { 'retry-after': String(rateLimited.retryAfter) } : {};
        return reply(400, { errors: [{ message: 'Rate limit exceeded', extensions: { type: 'ratelimited', code: 'RATELIMITED', statusCode: 429 } }] }, extra);
      }
      budget.remaining--;
      if (!entry.query) return reply(400, { errors: [{ message: 'Must provide query string.', extensions: { type: 'graphql error', code: 'BAD_REQUEST' } }] });
      try {
        const op = parse(entry.query, entry.operationName);
        validate(op, schema, entry.variables);
        // Priced before it runs; over the cap it is refused with nothing executed. Body exactly as Linear's
        // current answer (mvanhorn/printing-press-library#946, 2026: "Query too complex", type "invalid
        // input", code INPUT_ERROR, statusCode 400, userError, userPresentableMessage "The query is too
        // complex. Complexity: N. Maximum allowed complexity: 10000.", http.status 400; the 2024 form in
        // contentful-labs/gqli.rb#23 lacks statusCode/http). Not verified: whether a refused document is
        // charged against the complexity budget (the fake does not) or carries x-complexity (it does not).
        const complexity = operationComplexity(op, entry.variables);
        entry.complexity = complexity;
        // An operation on a root field with a limit of its own: that endpoint's budget, on its answer.
        const limited = op.selections.map((f) => opts.endpointLimits?.[f.name]?.name).find((n) => n !== undefined);
        if (limited !== undefined) {
          const e = endpoints.get(limited)!;
          if (e.remaining <= 0) {
            return reply(400, { errors: [{ message: 'Rate limit exceeded', extensions: { type: 'ratelimited', code: 'RATELIMITED', statusCode: 429 } }] }, endpointHeaders(limited));
          }
          e.remaining--;
        }
        const extraHeaders = limited !== undefined ? endpointHeaders(limited) : {};
        if (complexity > maxComplexity) {
          return reply(400, { errors: [{ message: 'Query too complex', extensions: {
            type: 'invalid input', code: 'INPUT_ERROR', statusCode: 400, userError: true,
            userPresentableMessage: `The query is too complex. Complexity: ${complexity}. Maximum allowed complexity: ${maxComplexity}.`,
            http: { status: 400 },
          } }] });
        }
        points.remaining -= complexity;
        const result = execute(op, schema, {}, entry.variables);
        const payload = result.errors.length ? { data: result.data, errors: result.errors } : { data: result.data };
        // x-complexity is an integer on the wire (mre/rate-limits#8); rounded up here (a third-party note says
        // "then round up"; not verified).
        reply(200, payload, { 'x-complexity': String(Math.ceil(complexity)), ...extraHeaders });
      } catch (err) {
        if (!(err instanceof GqlError)) {
          reply(500, { errors: [{ message: `fake-linear crashed: ${(err as Error).message}`, extensions: { type: 'internal error' } }] });
          return;
        }
        reply(400, { errors: [{ message: err.message, extensions: err.extensions }] });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/graphql`,
    requests,
    viewer,
    addIssue(input) {
      const team = findTeam(input.team ?? 'ENG');
      const number = state.issues.filter((i) => i.teamId === team.id).length + 1;
      const identifier = `${team.key}-${number}`;
      const creator = input.creator ? state.users.find((u) => u.name === input.creator) : undefined;
      if (input.creator && !creator) throw new Error(`fake-linear: no user ${input.creator}`);
      const project = input.project ? state.projects.find((p) => p.name === input.project) : undefined;
      if (input.project && !project) throw new Error(`fake-linear: no project ${input.project}`);
      const created = input.createdAt ?? now();
      state.issues.push({
        id: randomUUID(), identifier, number, teamId: team.id, title: input.title,
        description: input.description === undefined ? `Body of ${identifier}` : input.description,
        priority: input.priority ?? 0, url: `https://linear.app/acme/issue/${identifier}/${slug(input.title)}`,
        branchName: input.branchName ?? `${identifier.toLowerCase()}-${slug(input.title)}`, createdAt: created, updatedAt: input.updatedAt ?? created,
        stateId: stateId(team, input.state ?? 'Todo'), labelIds: labelIds(input.labels ?? ['agent']),
        projectId: project?.id ?? null, creatorId: (creator ?? viewer).id, comments: [], attachments: [], history: [],
      });
      webhooks.changed('Issue', 'create', state.issues.at(-1)!);
      return identifier;
    },
    setState(identifier, name, actor) {
      const i = findIssue(identifier);
      const to = stateId(state.teams.find((t) => t.id === i.teamId)!, name);
      if (to === i.stateId) return;
      i.updatedAt = now();
      recordChange(i.history, i.id, { fromStateId: i.stateId, toStateId: to }, doer(actor), i.updatedAt);
      i.stateId = to;
      webhooks.changed('Issue', 'update', i);
    },
    addRelation(blocker, blocked, type = 'blocks') {
      state.relations.push({ id: randomUUID(), type, issueId: findIssue(blocker).id, relatedIssueId: findIssue(blocked).id });
    },
    setLabels(identifier, labels, actor) {
      const i = findIssue(identifier);
      const next = labelIds(labels);
      const diff = labelDiff(i.labelIds, next);
      i.labelIds = next;
      if (diff.addedLabelIds!.length === 0 && diff.removedLabelIds!.length === 0) return;
      i.updatedAt = now();
      recordChange(i.history, i.id, diff, doer(actor), i.updatedAt);
      webhooks.changed('Issue', 'update', i);
    },
    editIssue(identifier, patch, actor, o = {}) {
      const i = findIssue(identifier);
      i.updatedAt = now();
      const title = patch.title !== undefined && patch.title !== i.title ? { fromTitle: i.title, toTitle: patch.title } : {};
      recordChange(i.history, i.id, { ...title, description: patch.description !== undefined && patch.description !== i.description }, doer(actor), i.updatedAt, o.merge);
      if (patch.title !== undefined) i.title = patch.title;
      if (patch.description !== undefined) i.description = patch.description;
      webhooks.changed('Issue', 'update', i);
    },
    addLabel(name, team) { state.labels.push({ id: randomUUID(), name, teamId: team ? findTeam(team).id : null }); },
    addProject(name, slugId) { state.projects.push({ id: randomUUID(), name, slugId }); },
    addUser(name, email, roles = {}) {
      const id = randomUUID();
      state.users.push({ id, name, displayName: name, email: email ?? `${slug(name)}@example.com`, ...roles });
      return id;
    },
    addComment(identifier, body, userName) {
      const i = findIssue(identifier);
      // Comment.user: "Null for comments created by integrations or bots without a user association" (schema.graphql).
      const bot = typeof userName === 'object' && userName !== null ? botOf(userName.bot) : null;
      const u = userName === null || bot ? null : userName ? state.users.find((x) => x.name === userName) : viewer;
      if (u === undefined) throw new Error(`fake-linear: no user ${String(userName)}`);
      const at = now();
      const c = { id: randomUUID(), body, userId: u?.id ?? null, createdAt: at, updatedAt: at, issueId: i.id, bot };
      i.comments.push(c);
      webhooks.changed('Comment', 'create', c);
    },
    issue(identifier) {
      const i = findIssue(identifier);
      return {
        id: i.id, identifier: i.identifier, title: i.title, priority: i.priority,
        state: state.teams.flatMap((t) => t.states).find((x) => x.id === i.stateId)!.name,
        labels: i.labelIds.map((id) => state.labels.find((l) => l.id === id)!.name),
        comments: i.comments.map((c) => ({ id: c.id, body: c.body, user: state.users.find((u) => u.id === c.userId)?.name ?? null })),
        attachments: i.attachments.map((a) => ({ url: a.url, title: a.title })),
      };
    },
    setRateLimited(on, o = {}) { rateLimited = on ? { budget: o.budget ?? 'requests', retryAfter: o.retryAfter ?? null } : null; },
    setRequestBudget(b) { Object.assign(budget, Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined))); },
    setComplexityBudget(b) { Object.assign(points, Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined))); },
    setMaxComplexity(points) { maxComplexity = points; },
    setEndpointBudget(name, b) {
      const e = endpoints.get(name);
      if (!e) throw new Error(`fake-linear: no endpoint ${name} in endpointLimits`);
      Object.assign(e, Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined)));
    },
    webhooks,
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    }),
  };
}
