// Linear's static complexity model (test/helpers/linear-complexity.ts) against the scores Linear itself
// reported, and every GraphQL document swarm can send to Linear scored with it: none may cost more than
// 5,000 points (half of Linear's 10,000 cap) with realistic variables and the default page size.
import { describe, expect, it } from 'vitest';
import * as Q from '../../src/tracker/linear/queries.js';
import { LINEAR_DEFAULT_PAGE_SIZE, LINEAR_MAX_PAGE_SIZE } from '../../src/config/linear-limits.js';
import { CHANGES_FIRST_PAGE } from '../../src/tracker/linear/poll.js';
import * as TQ from '../../src/tracker/linear/trust-queries.js';
import { complexityOf, LINEAR_MAX_COMPLEXITY, SWARM_COMPLEXITY_BUDGET } from '../helpers/linear-complexity.js';
import { parse, validate } from '../helpers/fake-graphql.js';
import { buildSchema } from '../helpers/fake-linear-schema.js';

describe('the complexity model reproduces scores Linear reported', () => {
  it('16,300 for an unbounded teams connection around projects(first: 250) (quoted in a public Go client test)', () => {
    const q = `query($team: String!) { teams(filter: {key: {eq: $team}}) { nodes { projects(first: 250) { nodes { id name description } } } } }`;
    expect(complexityOf(q, { team: 'WND' })).toBeCloseTo(16_300, 6);
  });

  it('10,022 for teams(first: 20) around issues(first: 200) (recorded in a public agent note)', () => {
    const q = `{ teams(first: 20) { nodes { name issues(first: 200) { nodes { identifier title priority updatedAt state { type } } } } } }`;
    expect(complexityOf(q)).toBeCloseTo(10_022, 6);
  });

  it('11,231 for issues(first: 100) around relations { nodes { type relatedIssue { identifier } } } (0x80/pick-linear-ticket, src/linear-cli.ts)', () => {
    // The reporter's words: "`first: 100` is rejected outright (\"Complexity: 11231. Maximum allowed complexity:
    // 10000\")". The same shape as swarm's own nested relations, and it settles how pageInfo is priced: inside
    // the page-size product (1 + 100 × 112.3); priced once outside it would be 11,112.2.
    const q = `query { team(id: "t") { issues(first: 100, filter: { state: { type: { in: ["unstarted", "backlog", "started"] } } }) {
      pageInfo { hasNextPage endCursor } nodes { identifier relations { nodes { type relatedIssue { identifier } } } } } } }`;
    expect(complexityOf(q)).toBeCloseTo(11_231, 6);
  });

  it('13,470 for the edges/node query of linear/linear#302, reported there as "13,415" (within 0.5 %)', () => {
    const q = `query Query { issues { edges { node { title description creator { email } labels { edges { node { name } } }
      assignee { email } comments { edges { node { user { email } body } } } } } } }`;
    const score = complexityOf(q);
    expect(score).toBeCloseTo(13_470, 6);
    expect(Math.abs(score - 13_415) / 13_415).toBeLessThan(0.005);
  });
});

// Realistic variables for every document in queries.ts, keyed by operation name, typed like the adapter's.
const filter: Q.Vars['candidates']['filter'] = {
  team: { key: { eq: 'ENG' } },
  state: { name: { in: ['Todo', 'In Progress'] } },
  and: [{ labels: { some: { name: { eq: 'agent' } } } }, { labels: { some: { name: { eq: 'backend' } } } }],
  project: { id: { eq: '5b0c4b9e-0000-4000-8000-000000000000' } },
};
const id = 'a1b2c3d4-0000-4000-8000-000000000001';
const VARIABLES: Record<string, object> = {
  SwarmResolve: { team: 'ENG' } satisfies Q.Vars['resolve'],
  SwarmTeamKeys: {},
  SwarmLabels: { team: 'ENG', after: 'cursor' } satisfies Q.Vars['labels'],
  SwarmProject: { project: 'Website' } satisfies Q.Vars['project'],
  SwarmCandidates: { filter, first: LINEAR_DEFAULT_PAGE_SIZE, after: 'cursor' } satisfies Q.Vars['candidates'],
  SwarmChanges: { filter: { team: { key: { eq: 'ENG' } }, updatedAt: { gt: '2026-12-06T10:00:00.000Z' } }, first: CHANGES_FIRST_PAGE, after: null } satisfies Q.Vars['changes'],
  SwarmIssue: { id: 'ENG-123' } satisfies Q.Vars['issue'],
  SwarmIssueLabels: { id, after: 'cursor' } satisfies Q.Vars['issuePage'],
  SwarmIssueRelations: { id, after: 'cursor' } satisfies Q.Vars['issuePage'],
  SwarmComments: { id, after: null } satisfies Q.Vars['issuePage'],
  SwarmIssueUpdate: { id, input: { stateId: id, removedLabelIds: [id] } } satisfies Q.Vars['issueUpdate'],
  SwarmAddLabel: { id, labelId: id } satisfies Q.Vars['addLabel'],
  SwarmCommentCreate: { input: { issueId: id, body: '<!-- swarm:status -->\nclaimed' } } satisfies Q.Vars['commentCreate'],
  SwarmCommentUpdate: { id, input: { body: '<!-- swarm:status -->\nrunning' } } satisfies Q.Vars['commentUpdate'],
  SwarmLinkUrl: { issueId: id, url: 'https://github.com/acme/app/pull/7', title: 'Pull request #7' } satisfies Q.Vars['linkUrl'],
  SwarmIssueTrust: { id, after: 'cursor' } satisfies TQ.TrustVars['issueTrust'],
  SwarmTrustedComments: { id } satisfies TQ.TrustVars['comments'],
};

const documents = [...Object.entries(Q as Record<string, unknown>), ...Object.entries(TQ as Record<string, unknown>)]
  .filter((e): e is [string, string] => typeof e[1] === 'string' && /^\s*(query|mutation)\s/m.test(e[1]))
  .map(([name, text]) => ({ name, text, op: /(?:query|mutation)\s+(\w+)/.exec(text)![1]! }));

describe('every document swarm sends to Linear', () => {
  it('is scored here (a new document needs realistic variables in this table)', () => {
    expect(documents.length).toBeGreaterThanOrEqual(15);
    expect(documents.map((d) => d.op).sort()).toEqual(Object.keys(VARIABLES).sort());
  });

  it.each(documents)('$op costs at most 5,000 points and validates against the fake schema', ({ text, op }) => {
    const vars = VARIABLES[op] as Record<string, unknown>;
    validate(parse(text), buildSchema({ viewer: null as never, users: [], teams: [], labels: [], projects: [], issues: [], relations: [], pageSize: 50, now: () => '' }), vars);
    const score = complexityOf(text, vars);
    expect(score, `${op} scores ${score}`).toBeLessThanOrEqual(SWARM_COMPLEXITY_BUDGET);
  });

  it('prices the candidates page by tracker.page_size: the default is well inside, 250 is refused by Linear', () => {
    const at = (first: number) => complexityOf(Q.CANDIDATES_QUERY, { filter, first, after: null });
    expect(at(LINEAR_DEFAULT_PAGE_SIZE)).toBeLessThan(4_000);
    expect(at(250)).toBeGreaterThan(LINEAR_MAX_COMPLEXITY); // what the e2e test sets to be refused on purpose
    // The largest page sizes under half the cap and under the cap, as docs/linear.md states them.
    const largest = (cap: number) => { let n = 1; while (at(n + 1) <= cap) n++; return n; };
    expect([largest(SWARM_COMPLEXITY_BUDGET), largest(LINEAR_MAX_COMPLEXITY)]).toEqual([67, 135]);
    // The configuration's cap is exactly the largest page Linear accepts (tracker.page_size above it is a config error).
    expect(LINEAR_MAX_PAGE_SIZE).toBe(largest(LINEAR_MAX_COMPLEXITY));
  });

  it('an idle poll is one small page: the changes query at its first page size costs under 500 points, with room for the model\'s error', () => {
    const vars = VARIABLES.SwarmChanges as Record<string, unknown>;
    const idle = complexityOf(Q.CHANGES_QUERY, vars);
    // The largest gap between this model and a score Linear reported is 0.41 % (linear/linear#302): allow 1 %.
    expect(idle * 1.01).toBeLessThan(500);
    // And the sweep page next to it, for the docs' figures: ~74 points per issue.
    expect(complexityOf(Q.CANDIDATES_QUERY, { filter, first: LINEAR_DEFAULT_PAGE_SIZE, after: null }) / LINEAR_DEFAULT_PAGE_SIZE).toBeCloseTo(idle / CHANGES_FIRST_PAGE, 0);
  });

  it('types the variables with @linear/sdk, so inputs Linear does not have fail tsc', () => {
    // @ts-expect-error IssueFilter has no `identifier` (schema.graphql: input IssueFilter)
    const a: Q.Vars['candidates']['filter'] = { identifier: { eq: 'ENG-1' } };
    // @ts-expect-error StringComparator (TeamFilter.key) has no `null`; only Nullable* comparators do
    const b: Q.Vars['candidates']['filter'] = { team: { key: { null: true } } };
    // @ts-expect-error a comparator has no `some`; only collection filters (IssueFilter.labels) do
    const c: Q.Vars['candidates']['filter'] = { state: { name: { some: { eq: 'Todo' } } } };
    // @ts-expect-error IssueUpdateInput has no `state` (it is stateId)
    const d: Q.Vars['issueUpdate'] = { id, input: { state: 'Done' } };
    expect([a, b, c, d]).toHaveLength(4);
  });
});
