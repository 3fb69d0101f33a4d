// The fake GitHub's GraphQL mutations for native auto-merge — enablePullRequestAutoMerge and
// disablePullRequestAutoMerge — answered at POST /graphql (where GitHub.com serves GraphQL) by the shared
// strict engine (fake-graphql.ts). A separate module beside the query endpoint (fake-github-graphql.ts):
// fake-github.ts hands it every mutation document and the query endpoint every query; a query sent here
// anyway gets GitHub's "no such field" refusal.
//
// Schema slice (octokit/graphql-schema, schema.graphql, checked 2026-07): Mutation.enablePullRequestAutoMerge(
// input: EnablePullRequestAutoMergeInput!): EnablePullRequestAutoMergePayload — input {authorEmail: String,
// clientMutationId: String, commitBody: String, commitHeadline: String, expectedHeadOid: GitObjectID,
// mergeMethod: PullRequestMergeMethod = MERGE, pullRequestId: ID!}; Mutation.disablePullRequestAutoMerge(
// input: DisablePullRequestAutoMergeInput! {clientMutationId, pullRequestId: ID!}); both payloads {actor:
// Actor, clientMutationId: String, pullRequest: PullRequest}; enum PullRequestMergeMethod {MERGE REBASE
// SQUASH}; AutoMergeRequest {authorEmail, commitBody, commitHeadline, enabledAt, enabledBy: Actor,
// mergeMethod: PullRequestMergeMethod!, pullRequest: PullRequest!}.
//
// Refusals as GitHub answers them (HTTP 200, data.<mutation> null, errors [{type, path, locations, message}]):
// "Auto merge is not allowed for this repository" (type UNPROCESSABLE) while the repository's allow_auto_merge
// is off — checked before anything about the PR (a recorded gh 2.102 capture of `gh api graphql`, and
// AliceJump/ok-end-field#211); "Pull request Pull request is in clean status" when nothing is pending and the
// PR could be merged now (peter-evans/enable-pull-request-automerge#1118, atvirokodosprendimai/wgmesh#173);
// "Pull request Pull request is closed" (peter-evans/enable-pull-request-automerge#1060). A node id that
// names nothing: NOT_FOUND "Could not resolve to a node with the global id of '<id>'". Disabling auto-merge
// on a PR that has none is not documented: refused here, so a caller that relies on it is caught.
import { GqlError, parse, validate, type Operation, type Schema } from './fake-graphql.js';
import { executeGuarded, FieldError, graphqlBudget, readEnvelope, type GraphqlAnswer, type GraphqlBudget } from './fake-github-graphql.js';
import type { FakeGitHubState, FakePull } from './fake-github-state.js';
import type { FakeMerges, MergeMethod } from './fake-github-merges.js';

export interface AutoMergeRepo {
  s: FakeGitHubState;
  merges: FakeMerges;
}

const METHODS = ['MERGE', 'REBASE', 'SQUASH'];
const ENABLE_FIELDS = new Set(['authorEmail', 'clientMutationId', 'commitBody', 'commitHeadline', 'expectedHeadOid', 'mergeMethod', 'pullRequestId']);
const DISABLE_FIELDS = new Set(['clientMutationId', 'pullRequestId']);

export interface FakeAutoMergeGraphql {
  answer(body: unknown): Promise<GraphqlAnswer>;
  readonly operations: (string | null)[];
}

export function createFakeAutoMergeGraphql(repos: () => AutoMergeRepo[], headSha: (r: AutoMergeRepo, p: FakePull) => Promise<string>, budget: GraphqlBudget = graphqlBudget()): FakeAutoMergeGraphql {
  const operations: (string | null)[] = [];
  const headers = budget.headers;
  // Resolvers run synchronously in the engine; the async part (the head, required checks) is done before.
  type Pending = { r: AutoMergeRepo; p: FakePull; pending: string[] } | null;
  let facts = new Map<string, Pending>();

  const find = (id: unknown, path: string[]): { r: AutoMergeRepo; p: FakePull } => {
    const hit = typeof id === 'string' ? facts.get(id) : undefined;
    if (!hit) throw new FieldError({ type: 'NOT_FOUND', path, message: `Could not resolve to a node with the global id of '${String(id)}'` });
    return hit;
  };
  const input = (a: Record<string, unknown>, known: Set<string>, field: string, type: string): Record<string, unknown> => {
    const v = a.input;
    const bad = typeof v !== 'object' || v === null || Object.keys(v).some((k) => !known.has(k)) || typeof (v as Record<string, unknown>).pullRequestId !== 'string';
    if (bad) throw new GqlError(`Argument 'input' on Field '${field}' has an invalid value (${JSON.stringify(v)}). Expected type '${type}!'.`, { code: 'argumentLiteralsIncompatible', typeName: 'Field', argumentName: 'input' });
    return v as Record<string, unknown>;
  };
  const prJson = (p: FakePull, s: FakeGitHubState) => ({ p, s });
  const schema: Schema = {
    Mutation: {
      enablePullRequestAutoMerge: {
        type: 'EnablePullRequestAutoMergePayload',
        args: { input: 'EnablePullRequestAutoMergeInput!' },
        resolve: (_root, a) => {
          const path = ['enablePullRequestAutoMerge'];
          const i = input(a, ENABLE_FIELDS, 'enablePullRequestAutoMerge', 'EnablePullRequestAutoMergeInput');
          const method = i.mergeMethod === undefined || i.mergeMethod === null ? 'MERGE' : String(i.mergeMethod);
          if (!METHODS.includes(method)) throw new GqlError(`Argument 'mergeMethod' on InputObject 'EnablePullRequestAutoMergeInput' has an invalid value (${method}). Expected type 'PullRequestMergeMethod'.`);
          const { r, p } = find(i.pullRequestId, path);
          if (!r.merges.settings.allow_auto_merge) throw new FieldError({ type: 'UNPROCESSABLE', path, message: 'Auto merge is not allowed for this repository' });
          if (p.state !== 'open') throw new FieldError({ type: 'UNPROCESSABLE', path, message: 'Pull request Pull request is closed' });
          if (facts.get(String(i.pullRequestId))!.pending.length === 0) throw new FieldError({ type: 'UNPROCESSABLE', path, message: 'Pull request Pull request is in clean status' });
          p.auto_merge = { merge_method: method.toLowerCase() as MergeMethod, enabled_by: r.s.tokenUser, commit_title: typeof i.commitHeadline === 'string' ? i.commitHeadline : null, commit_message: typeof i.commitBody === 'string' ? i.commitBody : null };
          return { actor: { login: r.s.tokenUser }, clientMutationId: i.clientMutationId ?? null, pullRequest: prJson(p, r.s) };
        },
      },
      disablePullRequestAutoMerge: {
        type: 'DisablePullRequestAutoMergePayload',
        args: { input: 'DisablePullRequestAutoMergeInput!' },
        resolve: (_root, a) => {
          const path = ['disablePullRequestAutoMerge'];
          const i = input(a, DISABLE_FIELDS, 'disablePullRequestAutoMerge', 'DisablePullRequestAutoMergeInput');
          const { r, p } = find(i.pullRequestId, path);
          if (p.auto_merge === null) throw new FieldError({ type: 'UNPROCESSABLE', path, message: 'Pull request Auto merge is not enabled for this pull request' });
          p.auto_merge = null;
          return { actor: { login: r.s.tokenUser }, clientMutationId: i.clientMutationId ?? null, pullRequest: prJson(p, r.s) };
        },
      },
    },
    EnablePullRequestAutoMergePayload: { actor: { type: 'Actor' }, clientMutationId: { type: 'String' }, pullRequest: { type: 'PullRequest' } },
    DisablePullRequestAutoMergePayload: { actor: { type: 'Actor' }, clientMutationId: { type: 'String' }, pullRequest: { type: 'PullRequest' } },
    PullRequest: {
      id: { type: 'ID', resolve: ({ p }: { p: FakePull }) => `PR_${p.number}` },
      number: { type: 'Int', resolve: ({ p }: { p: FakePull }) => p.number },
      title: { type: 'String', resolve: ({ p }: { p: FakePull }) => p.title },
      state: { type: 'PullRequestState', resolve: ({ p }: { p: FakePull }) => (p.merged_at ? 'MERGED' : p.state === 'open' ? 'OPEN' : 'CLOSED') },
      isDraft: { type: 'Boolean', resolve: ({ p }: { p: FakePull }) => p.draft },
      url: { type: 'URI', resolve: ({ p, s }: { p: FakePull; s: FakeGitHubState }) => `https://github.com/${s.fullName}/pull/${p.number}` },
      autoMergeRequest: {
        type: 'AutoMergeRequest',
        resolve: ({ p, s }: { p: FakePull; s: FakeGitHubState }) => p.auto_merge && {
          mergeMethod: p.auto_merge.merge_method.toUpperCase(), enabledBy: { login: p.auto_merge.enabled_by }, enabledAt: p.updated_at,
          commitHeadline: p.auto_merge.commit_title, commitBody: p.auto_merge.commit_message, authorEmail: null, pullRequest: { p, s },
        },
      },
    },
    AutoMergeRequest: {
      mergeMethod: { type: 'PullRequestMergeMethod' }, enabledAt: { type: 'DateTime' }, enabledBy: { type: 'Actor' }, commitHeadline: { type: 'String' },
      commitBody: { type: 'String' }, authorEmail: { type: 'String' }, pullRequest: { type: 'PullRequest' },
    },
    Actor: { login: { type: 'String' } },
  };

  return {
    operations,
    async answer(raw) {
      const req = readEnvelope(raw, budget);
      if ('refused' in req) return req.refused;
      const { variables } = req;
      let op: Operation | null = null;
      try {
        op = parse(req.query, req.operationName);
        // Queries belong to the GitHub GraphQL query endpoint (see the header): this slice has none.
        if (op.type !== 'mutation') throw new GqlError(`Field '${op.selections[0]?.name ?? ''}' doesn't exist on type 'Query'`, { code: 'undefinedField', typeName: 'Query', fieldName: op.selections[0]?.name ?? '' });
        validate(op, schema, variables);
        for (const v of op.variables) {
          if (v.type.replace(/!$/, '') === 'PullRequestMergeMethod' && variables[v.name] != null && !METHODS.includes(String(variables[v.name]))) {
            throw new GqlError(`Variable $${v.name} of type ${v.type} was provided invalid value`, { value: variables[v.name], problems: [{ path: [], explanation: `Expected "${String(variables[v.name])}" to be one of: ${METHODS.join(', ')}` }] });
          }
        }
      } catch (err) {
        if (!(err instanceof GqlError)) throw err;
        return { status: 200, headers: headers(), body: { errors: [{ message: err.message, ...(Object.keys(err.extensions).length > 0 && !('type' in err.extensions) ? { extensions: err.extensions } : {}) }] } };
      }
      operations.push(op.name);
      // The facts the synchronous resolvers need: every PR by node id, with its pending required checks.
      facts = new Map();
      for (const r of repos()) {
        for (const p of r.s.pulls.values()) facts.set(`PR_${p.number}`, facts.get(`PR_${p.number}`) ?? { r, p, pending: p.state === 'open' ? await r.merges.pendingRequired(p, await headSha(r, p)) : [] });
      }
      const { data, errors } = executeGuarded(op, schema, variables);
      return { status: 200, headers: headers(), body: errors.length > 0 ? { data, errors } : { data } };
    },
  };
}
