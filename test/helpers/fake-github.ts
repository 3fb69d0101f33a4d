// A stateful fake GitHub REST API on 127.0.0.1 for the whole suite: Octokit runs unmodified against `url`.
// This file owns the transport (token check, request log, ETags and 304s, x-ratelimit-* headers, injected
// faults, which repository a path names) and the test-facing API; routes and data live in
// fake-github-routes/-state, the PR follow-through surface in fake-github-checks.

import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { route, type RouteResponse } from './fake-github-routes.js';
import { FakeGitHubState, type BaseRole, type FakeComment, type FakeEvent, type FakeIssue, type FakePull, type Permission } from './fake-github-state.js';
import { createFakeGitHubGraphql } from './fake-github-graphql.js';
import { FakeChecks, type CheckConclusion, type CheckStatus, type FakeCheckRun, type FakeReview, type FakeReviewComment, type FakeStatus, type ReviewState, type StatusState } from './fake-github-checks.js';

export type { BaseRole, CheckConclusion, CheckStatus, FakeCheckRun, FakeComment, FakeEvent, FakeIssue, FakePull, FakeReview, FakeReviewComment, FakeStatus, Permission, ReviewState, StatusState };

export type FaultKind = '502' | 'timeout' | 'secondary';

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
  setFaults(faults: Faults | null): void;
  /**
   * Requests that match are carried out at once but answered only after `delayMs` — after the client's
   * timeout, so the client never learns that its write landed (the first `limit` matches; default all).
   */
  setLateAnswers(late: LateAnswers | null): void;
  setRateLimit(remaining: number, resetEpochSec?: number): void;
  readonly rateLimitRemaining: number;
}

function mulberry32(seed: number): () => number {
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
  let tokens = [opts.token ?? FAKE_GITHUB_TOKEN];
  const [owner, repo] = (opts.repo ?? 'acme/widgets').split('/') as [string, string];
  const tokenUser = opts.tokenUser ?? 'swarm-bot';
  const defaultUser = opts.defaultUser ?? 'octocat';
  const newState = (o: string, r: string, id: number) => {
    const st = new FakeGitHubState(o, r, opts.defaultBranch ?? 'main', tokenUser, defaultUser, opts.defaultPermission ?? 'read', id);
    st.permissions.set(tokenUser.toLowerCase(), 'write');
    st.permissions.set(defaultUser.toLowerCase(), 'admin');
    st.dependencies = opts.dependencies ?? true;
    return st;
  };
  const s = newState(owner, repo, 1296269);
  const routeOpts = { gitDir: opts.gitDir ?? null, dependencies: opts.dependencies ?? true, checks: new FakeChecks(s, opts.gitDir ?? null) };
  // Other repositories (transfer destinations), by lower-case full name; each with its own options.
  const others = new Map<string, { s: FakeGitHubState; o: typeof routeOpts }>();
  const other = (fullName: string) => {
    const key = fullName.toLowerCase();
    let hit = others.get(key);
    if (!hit) {
      const [o, r] = fullName.split('/') as [string, string];
      const st = newState(o, r, s.repoId + 1 + others.size);
      st.apiBase = s.apiBase;
      hit = { s: st, o: { gitDir: null, dependencies: routeOpts.dependencies, checks: new FakeChecks(st, null) } };
      others.set(key, hit);
    }
    return hit;
  };
  /** The repository a path names (/repos/{owner}/{repo}/… or /repositories/{id}/…), with the path rewritten to /repos form. */
  const pick = (pathname: string): { s: FakeGitHubState; o: typeof routeOpts; pathname: string } | null => {
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
    return hit ? { ...hit, pathname } : null;
  };
  // POST /graphql (GitHub.com's place for it; see fake-github-graphql.ts), over every repository served here.
  const graphql = createFakeGitHubGraphql((o, r) => [s, ...[...others.values()].map((x) => x.s)].find((x) => x.fullName.toLowerCase() === `${o}/${r}`.toLowerCase()) ?? null);
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

  /** The accepted token the request carries, or null. */
  const authorized = (header: string | undefined): string | null => {
    const m = /^(?:token|bearer)\s+(.+)$/i.exec(header ?? '');
    return m !== null && tokens.includes(m[1]!) ? m[1]! : null;
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
      entry.responseHeaders = { ...(text !== '' ? { 'content-type': type } : {}), 'x-github-request-id': `FAKE:${requests.length}`, ...extra };
      res.writeHead(status, entry.responseHeaders);
      res.end(text);
    };

    const fault = pickFault(method, url.pathname);
    if (fault !== null) {
      entry.fault = fault;
      if (fault === 'timeout') return; // never answered: the client must time out
      if (fault === '502') return send(502, '<html><body><h1>502 Bad Gateway</h1></body></html>');
      return send(403, {
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      }, { ...rateHeaders(), 'retry-after': String(faults?.retryAfter ?? 1) });
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
    const caller = authorized(headers.authorization);
    if (caller === null) {
      return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    }
    if (limit.remaining <= 0) {
      return send(403, { message: 'API rate limit exceeded for user ID 1.', documentation_url: 'https://docs.github.com/rest' }, rateHeaders());
    }
    if (body !== null && typeof body === 'string') return send(400, { message: 'Problems parsing JSON' });
    if (url.pathname === '/graphql' && method === 'POST') {
      const answer = graphql.answer(body);
      return send(answer.status, answer.body, answer.headers);
    }
    const target = pick(url.pathname);
    const out: RouteResponse = target === null
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
      const etag = `"${createHash('sha1').update(caller).update('\n').update(JSON.stringify(out.body)).digest('hex')}"`;
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
  const headOf = async (n: number, sha?: string) => sha ?? (await checks.headSha(pull(n)));

  return {
    url,
    get token() {
      return tokens[0]!;
    },
    setTokens: (list) => {
      tokens = [...list];
    },
    tokenUser,
    owner,
    repo,
    fullName: s.fullName,
    requests,
    clearRequests: () => void requests.splice(0, requests.length),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    addIssue: (input) => s.createItem(input).number,
    editIssue: (n, patch, actor) => s.editIssue(n, patch, actor ?? s.item(n).user),
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
    addCommit: (n, o) => checks.addCommit(pull(n), o),
    addCheckRun: async (n, run) => checks.addCheckRun(await headOf(n, run.sha), run).id,
    addStatus: async (n, st) => checks.addStatus(await headOf(n, st.sha), st).id,
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
  };
}
