// Linear's static query complexity: one model, used by the fake Linear server (to answer x-complexity and
// to refuse what Linear refuses) and by the scoring test (every document swarm sends stays ≤ 5,000).
//
// Linear prices a document before running it, from its shape and page sizes only. The model:
// - a scalar field costs 0.1; an object costs 1 plus its fields;
// - a connection costs its page size times the cost of its children — one `nodes` item (an object), or one
//   `edges` item (an Edge object: 1 + its `node` object + `cursor`), plus `pageInfo` when selected;
// - the page size is `first`, else `last`, else 50 ("Defaults to 50" on every connection's first/last in
//   Linear's schema, packages/sdk/src/schema.graphql of github:linear/linear; "The first 50 results are
//   returned by default", linear.app/docs/api/pagination);
// - arguments cost nothing else: a filter that will match one row is still charged a full page.
// Sources: the model as Linear's rate-limiting page and third-party notes state it ("each property 0.1,
// each object 1, connections multiply children by first, default 50"), the per-query cap of 10,000 that
// Linear staff point to in linear/linear#302, and three scores Linear itself reported, reproduced by
// test/unit/linear-complexity.test.ts:
//   16,300 exactly: `teams(filter) { nodes { projects(first: 250) { nodes { id name description } } } }`
//     (a public Go client's test quoting "The query is too complex. Complexity: 16300. Maximum allowed
//     complexity: 10000.");
//   10,022 exactly: `teams(first: 20) { nodes { name issues(first: 200) { nodes { 4 scalars state { type } } } } }`
//     (a public agent note recording Linear's refusal);
//   13,470 for the edges/node query of linear/linear#302, which the reporter quotes as "13,415" (0.41 % high);
//   11,231 exactly: `team(id) { issues(first: 100, filter) { pageInfo {…} nodes { identifier relations {
//     nodes { type relatedIssue { identifier } } } } } }` (0x80/pick-linear-ticket, src/linear-cli.ts, quoting
//     Linear's refusal) — which also shows `pageInfo` is multiplied by the page size (priced once it would be
//     11,112.2).
// Not verified (no source found): what `__typename` costs (0.1 here); how a plain list of objects that is not
// a connection is priced (once here; swarm selects none).

import { parse, type Field, type Operation } from './fake-graphql.js';

/** Linear refuses any single document above this (HTTP 400, INPUT_ERROR "Query too complex"). */
export const LINEAR_MAX_COMPLEXITY = 10_000;
/** What swarm allows itself per document: half the cap, so a field added later does not tip it over. */
export const SWARM_COMPLEXITY_BUDGET = 5_000;
export const DEFAULT_PAGE = 50;

const CONNECTION_CHILDREN = new Set(['nodes', 'edges', 'pageInfo']);

/** A field is a connection when it selects `nodes`, `edges` or `pageInfo` (Relay's shape, which Linear uses). */
const isConnection = (f: Field) => f.selections?.some((s) => CONNECTION_CHILDREN.has(s.name)) ?? false;

function pageSize(f: Field, variables: Record<string, unknown>): number {
  for (const name of ['first', 'last']) {
    const v = f.args[name];
    if (!v) continue;
    const n = v.kind === 'var' ? variables[v.name] : v.kind === 'lit' ? v.value : undefined;
    if (typeof n === 'number') return n;
  }
  return DEFAULT_PAGE;
}

function fieldCost(f: Field, variables: Record<string, unknown>): number {
  if (!f.selections) return 0.1;
  let children = 0;
  for (const c of f.selections) children += fieldCost(c, variables);
  return isConnection(f) ? pageSize(f, variables) * children : 1 + children;
}

/** The complexity of a parsed operation (fragments already expanded), as Linear would score it. */
export function operationComplexity(op: Operation, variables: Record<string, unknown> = {}): number {
  let total = 0;
  for (const f of op.selections) total += fieldCost(f, variables);
  return total;
}

/** The complexity of a document text (one operation, or the one named). */
export function complexityOf(document: string, variables: Record<string, unknown> = {}, operationName?: string): number {
  return operationComplexity(parse(document, operationName), variables);
}
