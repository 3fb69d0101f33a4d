// The fake GitHub's GraphQL endpoint is as strict as GitHub's: Octokit's graphql reaches it unmodified at
// POST /graphql, swarm's one document is answered, and what GitHub would refuse is refused in GitHub's words.
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ISSUE_EDITS_QUERY } from '../../src/tracker/github/history.js';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';

let gh: FakeGitHub;
let octokit: Octokit;
beforeAll(async () => {
  gh = await startFakeGitHub();
  octokit = new Octokit({ auth: gh.token, baseUrl: gh.url });
});
afterAll(async () => { await gh.close(); });

/** The raw answer (status and body) to a document, past Octokit's error handling. */
async function raw(query: string, variables: Record<string, unknown> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${gh.url}/graphql`, { method: 'POST', headers: { authorization: `bearer ${gh.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return { status: res.status, body: await res.json() };
}

describe('fake GitHub GraphQL', () => {
  it("answers swarm's edit-history document through octokit.graphql, newest edit first, with the creation entry once edited", async () => {
    const n = gh.addIssue({ title: 'x', body: 'v1', user: 'alice' });
    const never = await octokit.graphql<any>(ISSUE_EDITS_QUERY, { owner: 'acme', name: 'widgets', number: n, after: null });
    expect(never.repository.issue).toMatchObject({ lastEditedAt: null, editor: null, includesCreatedEdit: false, userContentEdits: { totalCount: 0, nodes: [] } });
    gh.editIssue(n, { body: 'v2' }, 'bob');
    gh.editIssue(n, { body: 'v3' }, 'carol');
    const data = await octokit.graphql<any>(ISSUE_EDITS_QUERY, { owner: 'acme', name: 'widgets', number: n, after: null });
    const issue = data.repository.issue;
    expect(issue.editor).toEqual({ login: 'carol' });
    expect(issue.includesCreatedEdit).toBe(true);
    expect(issue.userContentEdits.nodes.map((e: any) => e.editor.login)).toEqual(['carol', 'bob', 'alice']);
    expect(issue.userContentEdits.nodes.at(-1).editedAt).toBe(issue.createdAt);
    expect(issue.lastEditedAt).toBe(issue.userContentEdits.nodes[0].editedAt);
    expect(gh.requests.at(-1)).toMatchObject({ method: 'POST', path: '/graphql', status: 200 });
  });

  it('refuses unknown fields and arguments in GitHub\'s words (HTTP 200, errors, no data)', async () => {
    const unknownField = await raw('query { repository(owner: "acme", name: "widgets") { issue(number: 1) { bodyHistory } } }');
    expect(unknownField).toEqual({ status: 200, body: { errors: [{ message: "Field 'bodyHistory' doesn't exist on type 'Issue'", extensions: { code: 'undefinedField', typeName: 'Issue', fieldName: 'bodyHistory' } }] } });
    const unknownArg = await raw('query { repository(owner: "acme", name: "widgets") { issue(number: 1, state: OPEN) { title } } }');
    expect(unknownArg.body.errors[0].message).toBe("Field 'issue' doesn't accept argument 'state'");
    const missing = await raw('query { repository(owner: "acme", name: "widgets") { issue { title } } }');
    expect(missing.body.errors[0].message).toBe("Field 'issue' is missing required arguments: number");
    const noSelection = await raw('query { repository(owner: "acme", name: "widgets") { issue(number: 1) { editor } } }');
    expect(noSelection.body.errors[0].extensions.code).toBe('selectionMismatch');
    await expect(octokit.graphql('query { viewer { login } }')).rejects.toThrow("Field 'viewer' doesn't exist on type 'Query'");
  });

  it('checks variables: declared, used, of the right type, and given when required', async () => {
    const q = 'query($n: Int!) { repository(owner: "acme", name: "widgets") { issue(number: $n) { title } } }';
    expect((await raw(q, { n: '1' })).body.errors[0]).toEqual({ message: 'Variable $n of type Int! was provided invalid value', extensions: { value: '1', problems: [{ path: [], explanation: 'Could not coerce value "1" to Int' }] } });
    expect((await raw(q, {})).body.errors[0].message).toBe('Variable $n of type Int! was provided invalid value');
    expect((await raw('query($n: Int!, $unused: String) { repository(owner: "acme", name: "widgets") { issue(number: $n) { title } } }', { n: 1 })).body.errors[0]).toMatchObject({ extensions: { code: 'variableNotUsed' } });
  });

  it('needs first or last (1..100) on a connection, as GitHub does', async () => {
    const n = gh.addIssue({ title: 'y' });
    const none = await raw(`query { repository(owner: "acme", name: "widgets") { issue(number: ${n}) { userContentEdits { totalCount } } } }`);
    expect(none.body.errors[0]).toMatchObject({ type: 'MISSING_PAGINATION_BOUNDARIES', message: 'You must provide a `first` or `last` value to properly paginate the `userContentEdits` connection.' });
    const many = await raw(`query { repository(owner: "acme", name: "widgets") { issue(number: ${n}) { userContentEdits(first: 101) { totalCount } } } }`);
    expect(many.body.errors[0]).toMatchObject({ type: 'EXCESSIVE_PAGINATION', message: 'Requesting 101 records on the `userContentEdits` connection exceeds the `first` limit of 100 records.' });
  });

  it('answers NOT_FOUND with partial data for a missing issue, a pull request number, or another repository', async () => {
    const pr = gh.addPull({ head: 'feature' });
    for (const [owner, name, number] of [['acme', 'widgets', 99_999], ['acme', 'widgets', pr]] as const) {
      const res = await raw(`query { repository(owner: "${owner}", name: "${name}") { issue(number: ${number}) { title } } }`);
      expect(res.body).toEqual({ data: { repository: { issue: null } }, errors: [{ type: 'NOT_FOUND', path: ['repository', 'issue'], message: `Could not resolve to an Issue with the number of ${number}.` }] });
    }
    const other = await raw('query { repository(owner: "acme", name: "nope") { name } }');
    expect(other.body).toMatchObject({ data: { repository: null }, errors: [{ type: 'NOT_FOUND' }] });
  });

  it('wants the token like every other route, and reports the graphql rate-limit resource', async () => {
    const res = await fetch(`${gh.url}/graphql`, { method: 'POST', body: JSON.stringify({ query: '{ repository(owner: "acme", name: "widgets") { name } }' }) });
    expect(res.status).toBe(401);
    const ok = await fetch(`${gh.url}/graphql`, { method: 'POST', headers: { authorization: `bearer ${gh.token}` }, body: JSON.stringify({ query: '{ repository(owner: "acme", name: "widgets") { name } }' }) });
    expect(ok.headers.get('x-ratelimit-resource')).toBe('graphql');
    // One GraphQL limit per token: a mutation spends from the same points as the queries.
    const used = Number(ok.headers.get('x-ratelimit-used'));
    const mutation = await fetch(`${gh.url}/graphql`, { method: 'POST', headers: { authorization: `bearer ${gh.token}` }, body: JSON.stringify({ query: 'mutation { disablePullRequestAutoMerge(input: {pullRequestId: "PR_404"}) { clientMutationId } }' }) });
    expect(Number(mutation.headers.get('x-ratelimit-used'))).toBe(used + 1);
    const query = await fetch(`${gh.url}/graphql`, { method: 'POST', headers: { authorization: `bearer ${gh.token}` }, body: JSON.stringify({ query: '{ repository(owner: "acme", name: "widgets") { name } }' }) });
    expect(Number(query.headers.get('x-ratelimit-used'))).toBe(used + 2);
  });
});
