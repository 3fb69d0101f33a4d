// A stateful fake GitHub REST API on 127.0.0.1 for the whole suite: Octokit runs unmodified against `url`.
// This file owns the transport (token check, request log, ETags and 304s, x-ratelimit-* headers, injected
// faults, which repository a path names) and the test-facing API; routes and data live in
// fake-github-routes/-state, the PR follow-through surface in fake-github-checks.

import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { route, type RouteResponse } from './fake-github-routes.js';
import { FakeGitHubState, type BaseRole, type FakeComment, type FakeEvent, type FakeIssue, type FakePull, type Permission } from './fake-github-state.js';
import { FakeHooks, type FakeHook, type FakeHookDelivery, type FakeWebhooks } from './fake-github-hooks.js';
import { createFakeGitHubGraphql, graphqlBudget } from './fake-github-graphql.js';
import { FakeChecks, type CheckConclusion, type CheckStatus, type FakeCheckRun, type FakeReview, type FakeReviewComment, type FakeStatus, type ReviewState, type StatusState } from './fake-github-checks.js';
import { FakeAuth, type Caller, type FakeAppOptions, type Grants } from './fake-github-auth.js';
import { FakeActions, type FakeJobInput, type FakeWorkflowRun } from './fake-github-actions.js';
import { FakeMerges, type MergeMethod, type MergeSettings } from './fake-github-merges.js';
import { createFakeAutoMergeGraphql } from './fake-github-automerge.js';
import { parse } from './fake-graphql.js';

export type { FakeHook, FakeHookDelivery, FakeWebhooks };
export type { BaseRole, CheckConclusion, CheckStatus, FakeAppOptions, FakeCheckRun, FakeComment, FakeEvent, FakeIssue, FakeJobInput, FakePull, FakeReview, FakeReviewComment, FakeStatus, FakeWorkflowRun, Grants, Permission, ReviewState, StatusState };

/**
 * Injected faults. `secondary`: 403 + `retry-after`. GitHub also answers a secondary limit as 429, and
 * without `retry-after` ("you will receive a 403 Forbidden or 429 Too Many Requests response and an error
 * message that indicates that you exceeded a secondary rate limit … If the retry-after response header is
 * present …": REST docs, "Troubleshooting the REST API"): `secondary-429` (429, no retry-after) and
 * `secondary-bare` (403, no retry-after).
 */
export type FaultKind = '502' | 'timeout' | 'secondary' | 'secondary-429' | 'secondary-bare';

/**
 * The REST API versions the fake knows (`X-GitHub-Api-Version`): 2022-11-28 and 2026-03-10 (GitHub changelog
 * 2026-03-12). Any other value is refused with GitHub's 400 (its wording quoted in
 * expipiplus1/update-nix-fetchgit#79); no header at all means 2022-11-28.
 */
export const API_VERSIONS = ['2022-11-28', '2026-03-10'];

export interface Faults {
  /** Probability (0..1) that a request gets a fault. */
  rate: number;
  kinds: FaultKind[];
  seed?: number;
  /** Stop injecting after this many faults. */
  limit?: number;
  /** `retry-after` seconds sent with 'secondary'. Default 1. */
  retryAfter?: number;
  /** Only requests that match can get a fault (default: every request). */
  match?: (method: string, path: string) => boolean;
}

export interface LateAnswers {
  match: (method: string, path: string) => boolean;
  delayMs: number;
  limit?: number;
}

export interface LoggedRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: Record<string, string>;
  body: unknown;
  /** 0 while unanswered (or never, for a 'timeout' fault). */
  status: number;
  /** Headers of the answer (etag, x-ratelimit-*, link, …); empty while unanswered. */
  responseHeaders: Record<string, string>;
  fault: FaultKind | null;
  /** Carried out, answered only after the client's timeout (setLateAnswers). */
  late?: boolean;
  /** When the request arrived (epoch ms). */
  at: number;
}

/** The token the fake expects when a test does not choose one. */
export const FAKE_GITHUB_TOKEN = 'ghp_fakeGitHubTestToken0000';

export interface FakeGitHubOptions {
  /** Requests must carry it (`token X` or `bearer X`), else 401. Default FAKE_GITHUB_TOKEN. */
  token?: string;
  /** owner/name. Default "acme/widgets". Other repositories answer 404. */
  repo?: string;
  defaultBranch?: string;
  /** The authenticated user. Default "swarm-bot" (permission: write). */
  tokenUser?: string;
  /** Author and labeler when a test does not say. Default "octocat" (permission: admin). */
  defaultUser?: string;
  /** Permission of users never given one. Default "read" (a public repository). */
  defaultPermission?: Permission;
  /** Bare repository: POST /pulls checks that head and base branches exist there. */
  gitDir?: string;
  /** Serve the native dependencies endpoint (false → 404, like older GitHub Enterprise). Default true. */
  dependencies?: boolean;
  /** Primary rate limit budget. Default 5000. */
  rateLimit?: number;
  /** A private repository (fine-grained tokens then need their read permissions too). Default false. */
  private?: boolean;
  /** A GitHub App the fake knows (JWT-signed requests, installation tokens): see fake-github-auth.ts. */
  app?: FakeAppOptions;
  /** The fake's clock for token expiry, JWT checks and the Date header. Default Date.now. */
  now?: () => number;
}

export interface FakeGitHub {
  url: string;
  /** The first accepted token. */
  readonly token: string;
  /** Accept exactly these tokens from now on (others: 401 "Bad credentials"): a rotation or an expiry. */
  setTokens(tokens: string[]): void;
  tokenUser: string;
  owner: string;
  repo: string;
  fullName: string;
  requests: LoggedRequest[];
  clearRequests(): void;
  close(): Promise<void>;
  addIssue(input: { title: string; body?: string; labels?: string[]; user?: string; labeledBy?: string; state?: 'open' | 'closed' }): number;
  /** `actor` (default: the issue's author) renames it (a `renamed` event) and/or edits its body (edit history for GraphQL). */
  editIssue(n: number, patch: { title?: string; body?: string }, actor?: string): void;
  /** Give `login` this account id (default: derived from the login): a login recycled by a new account. */
  setUserId(login: string, id: number): void;
  /** Report `login`'s author_association as this (e.g. NONE for a private organization member with write access). */
  setAssociation(login: string, association: string): void;
  setLabels(n: number, labels: string[], actor?: string): void;
  closeIssue(n: number, actor?: string): void;
  reopenIssue(n: number, actor?: string): void;
  addComment(n: number, comment: { user: string; body: string }): number;
  deleteComment(id: number): void;
  setPermission(user: string, permission: Permission): void;
  /** A custom repository role: `permission` answers its base level (maintain → write, triage → read), `role_name` its name. */
  setCustomRole(user: string, roleName: string, base: BaseRole): void;
  /** Native "blocked by" dependencies of issue `n` (numbers in this repository). */
  setBlockedBy(n: number, blockers: number[]): void;
  /**
   * Transfer issue `n` to another repository (default "<owner>/elsewhere", created on first use and served at
   * /repos/… and /repositories/{id}/…). The old number then answers 301. Returns the number it got there.
   */
  transferIssue(n: number, to?: string): number;
  /** Another repository this fake serves (e.g. a transfer destination; created on first use), for setup and assertions. */
  repository(fullName: string): { readonly issues: FakeIssue[]; readonly comments: FakeComment[]; readonly events: FakeEvent[]; addIssue(input: { title: string; body?: string; labels?: string[] }): number };
  /** A PR as if opened elsewhere (no git checks). Shares the issue number sequence. */
  addPull(input: { head: string; base?: string; title?: string; body?: string; user?: string; draft?: boolean }): number;
  mergePull(n: number): void;
  labelsOf(n: number): string[];
  readonly issues: FakeIssue[];
  readonly pulls: FakePull[];
  readonly comments: FakeComment[];
  readonly events: FakeEvent[];
  readonly repoLabels: string[];
  // --- PR follow-through (head commit = the PR branch's tip in the bare origin `gitDir`, when given) ---
  /** The PR's current head sha. */
  headSha(pr: number): Promise<string>;
  /** Push a commit onto the PR's head branch (in `gitDir`; synthetic without one); returns the new head sha. */
  addCommit(pr: number, opts?: { message?: string; file?: string; content?: string; author?: string; email?: string }): Promise<string>;
  /** A check run on the PR's head (or `sha`). App "github-actions" (default) also has a job of the same id whose log is `log`. */
  addCheckRun(pr: number, run: { name: string; status?: CheckStatus; conclusion?: CheckConclusion | null; title?: string; summary?: string; text?: string; app?: string; log?: string; sha?: string }): Promise<number>;
  /** A commit status on the PR's head (or `sha`). */
  addStatus(pr: number, status: { context: string; state: StatusState; description?: string; target_url?: string; sha?: string }): Promise<number>;
  /** A submitted review on the PR's head (or `commitId`). */
  addReview(pr: number, review: { user: string; state: ReviewState; body?: string; commitId?: string }): Promise<number>;
  /** A review comment on a line of the PR's head (or `commitId`). */
  addReviewComment(pr: number, comment: { user: string; body: string; path: string; line: number; side?: 'LEFT' | 'RIGHT'; commitId?: string; review?: number; inReplyTo?: number }): Promise<number>;
  readonly checkRuns: FakeCheckRun[];
  readonly statuses: FakeStatus[];
  readonly reviews: FakeReview[];
  readonly reviewComments: FakeReviewComment[];
  /** `token` becomes a fine-grained personal access token with these grants (fake-github-auth.ts). */
  grant(token: string, grants: Grants): void;
  /** Installation tokens minted so far (App mode). */
  readonly minted: readonly { token: string; at: number; expiresAt: number }[];
  /**
   * The repository is renamed (or transferred): the old name answers 301 to GETs (`getStatus: 307` for a
   * temporary redirect, which GitHub's "Follow redirects" guidance also asks clients to follow), 307 to
   * other methods.
   */
  renameRepository(fullName: string, opts?: { getStatus?: 301 | 307 }): void;
  /** Required checks of the default branch: branch protection's contexts (null: unprotected) and rulesets'. */
  setRequiredChecks(req: { protection?: string[] | null; rulesets?: string[] }): void;
  /** Issue `n`'s sub-issues (numbers in this repository): `sub_issues_summary` counts them. */
  setSubIssues(n: number, children: number[]): void;
  /** A GitHub Actions workflow run on the PR's head (or `sha`), each job also a github-actions check run. */
  addWorkflowRun(pr: number, run: { name: string; event?: string; status?: CheckStatus; conclusion?: CheckConclusion | null; jobs?: FakeJobInput[]; sha?: string }): Promise<FakeWorkflowRun>;
  setFaults(faults: Faults | null): void;
  /**
   * Requests that match are carried out at once but answered only after `delayMs` — after the client's
   * timeout, so the client never learns that its write landed (the first `limit` matches; default all).
   */
  setLateAnswers(late: LateAnswers | null): void;
  setRateLimit(remaining: number, resetEpochSec?: number): void;
  readonly rateLimitRemaining: number;
  // --- merges and auto-merge (fake-github-merges.ts, fake-github-automerge.ts) ---
  /** Merge PR `n` as a person would (PUT …/pulls/{n}/merge): real commits in the bare origin. Resolves with GitHub's answer. */
  mergePullRequest(n: number, opts?: { method?: MergeMethod; by?: string; sha?: string }): Promise<{ status: number; body: any }>;
  /** The repository's merge settings (allow_merge_commit, allow_squash_merge, allow_rebase_merge, allow_auto_merge). */
  setMergeSettings(settings: Partial<MergeSettings>): void;
  /** Merges carried out (by the endpoint, a person, or auto-merge), in order. */
  readonly merges: readonly { pr: number; method: MergeMethod; sha: string; by: string }[];
  /** A check run / commit status on any commit (e.g. of the base branch). */
  addCommitCheckRun(sha: string, run: { name: string; status?: CheckStatus; conclusion?: CheckConclusion | null; title?: string; summary?: string; text?: string; app?: string; log?: string }): Promise<number>;
  addCommitStatus(sha: string, status: { context: string; state: StatusState; description?: string; target_url?: string }): Promise<number>;
  /** Operation names of the GraphQL documents answered so far. */
  readonly graphqlOperations: readonly (string | null)[];
  /** Repository webhooks: hooks CRUD over the API, and signed deliveries of state changes (fake-github-hooks.ts). */
  readonly webhooks: FakeWebhooks;
}

/** Whether a GraphQL request body is a mutation (the auto-merge module's); anything unparsable goes to the query endpoint, which refuses it in GitHub's words. */
function isMutation(body: unknown): boolean {
  const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  if (typeof b.query !== 'string') return false;
  try {
    return parse(b.query, typeof b.operationName === 'string' ? b.operationName : null).type === 'mutation';
  } catch {
    return false;
  }
}

/** A small seeded PRNG (mulberry32): the fake's faults, and tests' seeded plans. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || bare(t) === bare(etag));
}

export async function startFakeGitHub(opts: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const now = opts.now ?? Date.now;
  const auth = new FakeAuth([opts.token ?? FAKE_GITHUB_TOKEN], now, opts.app ?? null);
  const [owner, repo] = (opts.repo ?? 'acme/widgets').split('/') as [string, string];
  // An App's installation acts as `<slug>[bot]` (its comments and labels carry that login).
  const tokenUser = opts.tokenUser ?? (opts.app ? `${opts.app.slug}[bot]` : 'swarm-bot');
  const defaultUser = opts.defaultUser ?? 'octocat';
  const newState = (o: string, r: string, id: number) => {
    const st = new FakeGitHubState(o, r, opts.defaultBranch ?? 'main', tokenUser, defaultUser, opts.defaultPermission ?? 'read', id);
    st.permissions.set(tokenUser.toLowerCase(), 'write');
    st.permissions.set(defaultUser.toLowerCase(), 'admin');
    st.dependencies = opts.dependencies ?? true;
    return st;
  };
  const s = newState(owner, repo, 1296269);
  s.isPrivate = opts.private ?? false;
  const mainChecks = new FakeChecks(s, opts.gitDir ?? null);
  const routeOpts = { gitDir: opts.gitDir ?? null, dependencies: opts.dependencies ?? true, checks: mainChecks, actions: new FakeActions(s, mainChecks), merges: new FakeMerges(s, mainChecks, opts.gitDir ?? null) };
  const hooks = new FakeHooks(s, routeOpts.checks);
  // Other repositories (transfer destinations), by lower-case full name; each with its own options.
  const others = new Map<string, { s: FakeGitHubState; o: typeof routeOpts }>();
  const other = (fullName: string) => {
    const key = fullName.toLowerCase();
    let hit = others.get(key);
    if (!hit) {
      const [o, r] = fullName.split('/') as [string, string];
      const st = newState(o, r, s.repoId + 1 + others.size);
      st.apiBase = s.apiBase;
      const checks = new FakeChecks(st, null);
      hit = { s: st, o: { gitDir: null, dependencies: routeOpts.dependencies, checks, actions: new FakeActions(st, checks), merges: new FakeMerges(st, checks, null) } };
      others.set(key, hit);
    }
    return hit;
  };
  /** The repository a path names (/repos/{owner}/{repo}/… or /repositories/{id}/…), with the path rewritten to /repos form. */
  const pick = (pathname: string): { s: FakeGitHubState; o: typeof routeOpts; pathname: string; formerly?: string } | null => {
    const all = [{ s, o: routeOpts }, ...others.values()];
    const byId = /^\/repositories\/(\d+)(\/.*)?$/.exec(pathname);
    if (byId) {
      const hit = all.find((x) => x.s.repoId === Number(byId[1]));
      return hit ? { ...hit, pathname: `/repos/${hit.s.fullName}${byId[2] ?? ''}` } : null;
    }
    const byName = /^\/repos\/([^/]+)\/([^/]+)(?:\/|$)/.exec(pathname);
    if (!byName) return { s, o: routeOpts, pathname }; // /user, /rate_limit, …
    const name = `${decodeURIComponent(byName[1]!)}/${decodeURIComponent(byName[2]!)}`.toLowerCase();
    const hit = all.find((x) => x.s.fullName.toLowerCase() === name);
    if (hit) return { ...hit, pathname };
    const moved = all.find((x) => x.s.formerNames.some((f) => f.toLowerCase() === name));
    return moved ? { ...moved, pathname, formerly: name } : null;
  };
  // POST /graphql (GitHub.com's place for it): queries to fake-github-graphql.ts, the auto-merge mutations to
  // fake-github-automerge.ts, over every repository served here.
  const graphqlPoints = graphqlBudget(); // one GraphQL limit, whatever the document does
  const graphqlQueries = createFakeGitHubGraphql((o, r) => [s, ...[...others.values()].map((x) => x.s)].find((x) => x.fullName.toLowerCase() === `${o}/${r}`.toLowerCase()) ?? null, graphqlPoints);
  const graphql = createFakeAutoMergeGraphql(() => [{ s, merges: routeOpts.merges }, ...[...others.values()].map((x) => ({ s: x.s, merges: x.o.merges }))], (r, p) => (r.s === s ? mainChecks : others.get(r.s.fullName.toLowerCase())!.o.checks).headSha(p), graphqlPoints);
  const requests: LoggedRequest[] = [];
  let limit = { total: opts.rateLimit ?? 5000, remaining: opts.rateLimit ?? 5000, reset: Math.floor(Date.now() / 1000) + 3600 };
  let faults: (Faults & { random: () => number; injected: number }) | null = null;
  let late: (LateAnswers & { used: number }) | null = null;

  const rateHeaders = (): Record<string, string> => ({
    'x-ratelimit-limit': String(limit.total),
    'x-ratelimit-remaining': String(limit.remaining),
    'x-ratelimit-reset': String(limit.reset),
    'x-ratelimit-used': String(limit.total - limit.remaining),
    'x-ratelimit-resource': 'core',
  });

  const pickFault = (method: string, path: string): FaultKind | null => {
    if (!faults || faults.kinds.length === 0) return null;
    if (faults.match && !faults.match(method, path)) return null;
    if (faults.limit !== undefined && faults.injected >= faults.limit) return null;
    if (faults.random() >= faults.rate) return null;
    faults.injected++;
    return faults.kinds[Math.floor(faults.random() * faults.kinds.length)] ?? null;
  };


  /** The App's own routes, answered only to its JWT (REST description: apps/get-authenticated, apps/get-repo-installation, apps/create-installation-access-token). */
  const appRoute = (method: string, pathname: string, caller: Caller): RouteResponse | null => {
    const app = opts.app;
    if (!app || caller.kind !== 'jwt') return null;
    if (method === 'GET' && pathname === '/app') {
      return { status: 200, body: { id: app.id, slug: app.slug, node_id: `A_${app.id}`, name: app.slug, owner: s.userJson(s.owner), permissions: app.permissions ?? {}, events: [] } };
    }
    if (method === 'GET' && /^\/repos\/[^/]+\/[^/]+\/installation$/.test(pathname)) {
      return { status: 200, body: { id: app.installationId, app_id: app.id, app_slug: app.slug, account: s.userJson(s.owner), target_type: 'Organization', repository_selection: 'all', permissions: app.permissions ?? {} } };
    }
    const mint = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(pathname);
    if (method === 'POST' && mint) return auth.mint(Number(mint[1]));
    return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    let body: unknown = null;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    const entry: LoggedRequest = { method, path: `${url.pathname}${url.search}`, headers, body, status: 0, responseHeaders: {}, fault: null, at: Date.now() };
    requests.push(entry);
    const send = (status: number, payload: unknown, extra: Record<string, string> = {}) => {
      entry.status = status;
      const text = payload === undefined ? '' : typeof payload === 'string' ? payload : JSON.stringify(payload);
      const type = typeof payload === 'string' ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8';
      // GitHub's own clock in the Date header (@octokit/auth-app corrects a JWT's clock skew from it).
      entry.responseHeaders = { ...(text !== '' ? { 'content-type': type } : {}), date: new Date(now()).toUTCString(), 'x-github-request-id': `FAKE:${requests.length}`, ...extra };
      res.writeHead(status, entry.responseHeaders);
      res.end(text);
    };

    const version = headers['x-github-api-version'];
    if (version !== undefined && !API_VERSIONS.includes(version)) {
      return send(400, {
        message: `The version you specified in the "X-GitHub-API-Version" request header, "${version}", is not a supported version. The following versions are currently supported: ${API_VERSIONS.map((v) => `"${v}"`).join(', ')}.`,
        documentation_url: 'https://docs.github.com/rest/about-the-rest-api/api-versions',
      });
    }
    const fault = pickFault(method, url.pathname);
    if (fault !== null) {
      entry.fault = fault;
      if (fault === 'timeout') return; // never answered: the client must time out
      if (fault === '502') return send(502, '<html><body><h1>502 Bad Gateway</h1></body></html>');
      const secondary = {
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      };
      if (fault === 'secondary-429') return send(429, secondary, rateHeaders());
      if (fault === 'secondary-bare') return send(403, secondary, rateHeaders());
      return send(403, secondary, { ...rateHeaders(), 'retry-after': String(faults?.retryAfter ?? 1) });
    }
    // A job log's download URL is pre-signed and needs no token (see fake-github-checks).
    const blob = url.pathname.startsWith('/_fake-blob/') && method === 'GET' ? routeOpts.checks.blob(url.pathname) : null;
    if (blob !== null) {
      entry.status = 200;
      entry.responseHeaders = { 'content-type': 'text/plain; charset=utf-8' };
      res.writeHead(200, entry.responseHeaders);
      res.end(blob);
      return;
    }
    const who = auth.identify(headers.authorization);
    if (who === null) {
      return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    }
    if ('status' in who) return send(who.status, who.body, who.headers);
    const caller: Caller = who;
    if (limit.remaining <= 0) {
      return send(403, { message: 'API rate limit exceeded for user ID 1.', documentation_url: 'https://docs.github.com/rest' }, rateHeaders());
    }
    if (body !== null && typeof body === 'string') return send(400, { message: 'Problems parsing JSON' });
    if (url.pathname === '/graphql' && method === 'POST') {
      const answer = isMutation(body) ? await graphql.answer(body) : graphqlQueries.answer(body);
      return send(answer.status, answer.body, answer.headers);
    }
    const target = pick(url.pathname);
    if (target?.formerly !== undefined) {
      // A renamed or transferred repository: its old name redirects, "either a 301 or 307 HTTP redirect,
      // depending on the type of request being made" (GitHub, 2015 repository-redirects announcement), to
      // the repository by id (gidgethub/gidgethub#214), with GitHub's body naming the same place.
      const rest = url.pathname.replace(/^\/repos\/[^/]+\/[^/]+/, '');
      const location = `${s.apiBase}/repositories/${target.s.repoId}${rest}${url.search}`;
      const get = method === 'GET' || method === 'HEAD';
      const code = get ? target.s.renamedGetStatus : 307;
      return send(code, { message: code === 301 ? 'Moved Permanently' : 'Temporary Redirect', url: location, documentation_url: 'https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects' }, { location });
    }
    const refused = auth.gate(caller, method, target?.pathname ?? url.pathname, !(target?.s.isPrivate ?? s.isPrivate));
    if (refused) return send(refused.status, refused.body, { ...rateHeaders(), ...refused.headers });
    const app = appRoute(method, target?.pathname ?? url.pathname, caller);
    const hooked = target !== null && target.s === s ? hooks.route(method, target.pathname, url.searchParams, body) : null;
    const out: RouteResponse = app !== null ? app
      : hooked !== null ? hooked
      : target === null
        ? { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } }
        : await route({ method, pathname: target.pathname, query: url.searchParams, body }, target.s, target.o);
    if (late && late.match(method, url.pathname) && (late.limit === undefined || late.used < late.limit)) {
      late.used++;
      entry.late = true;
      // Done on our side; the answer comes after the caller gave up (its socket may be gone by then).
      await new Promise((r) => setTimeout(r, late!.delayMs));
      if (res.destroyed) return;
    }
    if (method === 'GET' && out.status === 200) {
      // ETags depend on the token: a response cached under one token is a 200 for another ("It's currently
      // expected for ETags to be auth token specific", GitHub support quoted in eclipse-csi/otterdog#201;
      // github/docs#34689). Conditional requests work on every GET here, as on GitHub.
      const etag = `"${createHash('sha1').update(caller.kind === 'jwt' ? `app:${caller.appId}` : caller.token).update('\n').update(JSON.stringify(out.body)).digest('hex')}"`;
      if (etagMatches(headers['if-none-match'], etag)) {
        return send(304, undefined, { etag, ...rateHeaders(), ...(out.headers ?? {}) }); // 304s are free
      }
      limit.remaining--;
      return send(200, out.body, { etag, ...rateHeaders(), ...(out.headers ?? {}) });
    }
    limit.remaining--;
    return send(out.status, out.body, { ...rateHeaders(), ...(out.headers ?? {}) });
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: `fake-github crashed: ${String(err)}` }));
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  s.apiBase = url;

  const pull = (n: number): FakePull => {
    const p = s.pulls.get(n);
    if (!p) throw new Error(`fake-github: no pull request #${n}`);
    return p;
  };
  const checks = routeOpts.checks;
  // A check that passes may complete an armed auto-merge (GitHub merges once the requirements are met).
  const withSweep = async (id: number) => {
    await routeOpts.merges.sweepAutoMerge();
    return id;
  };
  const headOf = async (n: number, sha?: string) => sha ?? (await checks.headSha(pull(n)));

  return {
    url,
    get token() {
      return auth.first;
    },
    setTokens: (list) => auth.setTokens(list),
    grant: (token, grants) => auth.grant(token, grants),
    get minted() {
      return auth.minted;
    },
    renameRepository: (fullName, o) => {
      s.renamedGetStatus = o?.getStatus ?? 301;
      s.rename(fullName);
    },
    setRequiredChecks: (req) => {
      s.required = { protection: req.protection === undefined ? s.required.protection : req.protection, rulesets: req.rulesets ?? s.required.rulesets };
    },
    setSubIssues: (n, children) => {
      s.item(n).subIssues = [...children];
    },
    addWorkflowRun: async (n, run) => routeOpts.actions.addRun(await headOf(n, run.sha), run),
    tokenUser,
    get owner() {
      return s.owner;
    },
    get repo() {
      return s.repo;
    },
    get fullName() {
      return s.fullName;
    },
    requests,
    clearRequests: () => void requests.splice(0, requests.length),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    addIssue: (input) => s.createItem(input).number,
    editIssue: (n, patch, actor) => {
      s.editIssue(n, patch, actor ?? s.item(n).user);
      hooks.edited(n);
    },
    setUserId: (login, id) => void s.userIds.set(login.toLowerCase(), id),
    setAssociation: (login, association) => void s.associations.set(login.toLowerCase(), association),
    setLabels: (n, labels, actor) => s.setLabels(n, labels, actor ?? defaultUser),
    closeIssue: (n, actor) => s.setState(n, 'closed', actor ?? defaultUser),
    reopenIssue: (n, actor) => s.setState(n, 'open', actor ?? defaultUser),
    addComment: (n, c) => s.addComment(n, c.user, c.body).id,
    deleteComment: (id) => {
      const i = s.comments.findIndex((c) => c.id === id);
      if (i >= 0) s.comments.splice(i, 1);
    },
    setPermission: (user, permission) => {
      s.customRoles.delete(user.toLowerCase());
      s.permissions.set(user.toLowerCase(), permission);
    },
    setCustomRole: (user, roleName, base) => void s.customRoles.set(user.toLowerCase(), { name: roleName, base }),
    transferIssue: (n, to) => s.transferTo(n, other(to ?? `${s.owner}/elsewhere`).s),
    repository: (fullName) => {
      if (fullName.toLowerCase() === s.fullName.toLowerCase()) throw new Error('fake-github: repository() is for other repositories');
      const hit = other(fullName);
      return {
        get issues() { return [...hit.s.items.values()].filter((it) => !it.isPull); },
        get comments() { return [...hit.s.comments]; },
        get events() { return [...hit.s.events]; },
        addIssue: (input) => hit.s.createItem(input).number,
      };
    },
    headSha: (n) => checks.headSha(pull(n)),
    addCommit: async (n, o) => {
      const sha = await checks.addCommit(pull(n), o);
      hooks.synchronized(n, o?.author ?? defaultUser);
      return sha;
    },
    addCheckRun: async (n, run) => withSweep(checks.addCheckRun(await headOf(n, run.sha), run).id),
    addStatus: async (n, st) => withSweep(checks.addStatus(await headOf(n, st.sha), st).id),
    addCommitCheckRun: async (sha, run) => withSweep(checks.addCheckRun(sha, run).id),
    addCommitStatus: async (sha, st) => withSweep(checks.addStatus(sha, st).id),
    mergePullRequest: async (n, o) => routeOpts.merges.merge(n, { method: o?.method ?? 'merge', sha: o?.sha ?? null, by: o?.by ?? defaultUser }) as Promise<{ status: number; body: any }>,
    setMergeSettings: (x) => void Object.assign(routeOpts.merges.settings, x),
    get merges() {
      return [...routeOpts.merges.merged];
    },
    get graphqlOperations() {
      return [...graphql.operations];
    },
    addReview: async (n, r) => checks.addReview(pull(n).number, { ...r, commit_id: await headOf(n, r.commitId) }).id,
    addReviewComment: async (n, c) =>
      checks.addReviewComment(pull(n).number, { ...c, commit_id: await headOf(n, c.commitId), review: c.review, in_reply_to: c.inReplyTo }).id,
    get checkRuns() {
      return [...checks.runs];
    },
    get statuses() {
      return [...checks.statuses];
    },
    get reviews() {
      return [...checks.reviews];
    },
    get reviewComments() {
      return [...checks.reviewComments];
    },
    setBlockedBy: (n, blockers) => {
      s.item(n).blockedBy = [...blockers];
    },
    addPull: (input) => s.createPull(input).number,
    mergePull: (n) => s.mergePull(n),
    labelsOf: (n) => [...s.item(n).labels],
    get issues() {
      return [...s.items.values()].filter((it) => !it.isPull);
    },
    get pulls() {
      return [...s.pulls.values()];
    },
    get comments() {
      return [...s.comments];
    },
    get events() {
      return [...s.events];
    },
    get repoLabels() {
      return s.labels.map((l) => l.name);
    },
    setLateAnswers: (l) => {
      late = l === null ? null : { ...l, used: 0 };
    },
    setFaults: (f) => {
      faults = f === null ? null : { ...f, random: mulberry32(f.seed ?? 1), injected: 0 };
    },
    setRateLimit: (remaining, resetEpochSec) => {
      limit = { ...limit, remaining, reset: resetEpochSec ?? limit.reset };
    },
    get rateLimitRemaining() {
      return limit.remaining;
    },
    webhooks: hooks,
  };
}
