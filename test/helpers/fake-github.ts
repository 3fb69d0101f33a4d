// A stateful fake GitHub REST API on 127.0.0.1 for the whole suite: Octokit runs unmodified against `url`.
// This file owns the transport (token check, request log, strong ETags and 304s, x-ratelimit-* headers,
// injected faults) and the test-facing API; routes and data live in fake-github-routes/-state.

import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { route, type RouteResponse } from './fake-github-routes.js';
import { FakeGitHubState, type FakeComment, type FakeEvent, type FakeIssue, type FakePull, type Permission } from './fake-github-state.js';

export type { FakeComment, FakeEvent, FakeIssue, FakePull, Permission };

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
  token: string;
  tokenUser: string;
  owner: string;
  repo: string;
  fullName: string;
  requests: LoggedRequest[];
  clearRequests(): void;
  close(): Promise<void>;
  addIssue(input: { title: string; body?: string; labels?: string[]; user?: string; labeledBy?: string; state?: 'open' | 'closed' }): number;
  editIssue(n: number, patch: { title?: string; body?: string }): void;
  setLabels(n: number, labels: string[], actor?: string): void;
  closeIssue(n: number, actor?: string): void;
  reopenIssue(n: number, actor?: string): void;
  addComment(n: number, comment: { user: string; body: string }): number;
  deleteComment(id: number): void;
  setPermission(user: string, permission: Permission): void;
  setBlockedBy(n: number, blockers: number[]): void;
  /** A PR as if opened elsewhere (no git checks). Shares the issue number sequence. */
  addPull(input: { head: string; base?: string; title?: string; body?: string; user?: string; draft?: boolean }): number;
  mergePull(n: number): void;
  labelsOf(n: number): string[];
  readonly issues: FakeIssue[];
  readonly pulls: FakePull[];
  readonly comments: FakeComment[];
  readonly events: FakeEvent[];
  readonly repoLabels: string[];
  setFaults(faults: Faults | null): void;
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
  const token = opts.token ?? FAKE_GITHUB_TOKEN;
  const [owner, repo] = (opts.repo ?? 'acme/widgets').split('/') as [string, string];
  const tokenUser = opts.tokenUser ?? 'swarm-bot';
  const defaultUser = opts.defaultUser ?? 'octocat';
  const s = new FakeGitHubState(owner, repo, opts.defaultBranch ?? 'main', tokenUser, defaultUser, opts.defaultPermission ?? 'read');
  s.permissions.set(tokenUser.toLowerCase(), 'write');
  s.permissions.set(defaultUser.toLowerCase(), 'admin');
  const routeOpts = { gitDir: opts.gitDir ?? null, dependencies: opts.dependencies ?? true };
  const requests: LoggedRequest[] = [];
  let limit = { total: opts.rateLimit ?? 5000, remaining: opts.rateLimit ?? 5000, reset: Math.floor(Date.now() / 1000) + 3600 };
  let faults: (Faults & { random: () => number; injected: number }) | null = null;

  const rateHeaders = (): Record<string, string> => ({
    'x-ratelimit-limit': String(limit.total),
    'x-ratelimit-remaining': String(limit.remaining),
    'x-ratelimit-reset': String(limit.reset),
    'x-ratelimit-used': String(limit.total - limit.remaining),
    'x-ratelimit-resource': 'core',
  });

  const pickFault = (): FaultKind | null => {
    if (!faults || faults.kinds.length === 0) return null;
    if (faults.limit !== undefined && faults.injected >= faults.limit) return null;
    if (faults.random() >= faults.rate) return null;
    faults.injected++;
    return faults.kinds[Math.floor(faults.random() * faults.kinds.length)] ?? null;
  };

  const authorized = (header: string | undefined): boolean => {
    const m = /^(?:token|bearer)\s+(.+)$/i.exec(header ?? '');
    return m !== null && m[1] === token;
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
    const entry: LoggedRequest = { method, path: `${url.pathname}${url.search}`, headers, body, status: 0, responseHeaders: {}, fault: null };
    requests.push(entry);
    const send = (status: number, payload: unknown, extra: Record<string, string> = {}) => {
      entry.status = status;
      const text = payload === undefined ? '' : typeof payload === 'string' ? payload : JSON.stringify(payload);
      const type = typeof payload === 'string' ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8';
      entry.responseHeaders = { ...(text !== '' ? { 'content-type': type } : {}), 'x-github-request-id': `FAKE:${requests.length}`, ...extra };
      res.writeHead(status, entry.responseHeaders);
      res.end(text);
    };

    const fault = pickFault();
    if (fault !== null) {
      entry.fault = fault;
      if (fault === 'timeout') return; // never answered: the client must time out
      if (fault === '502') return send(502, '<html><body><h1>502 Bad Gateway</h1></body></html>');
      return send(403, {
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      }, { ...rateHeaders(), 'retry-after': String(faults?.retryAfter ?? 1) });
    }
    if (!authorized(headers.authorization)) {
      return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    }
    if (limit.remaining <= 0) {
      return send(403, { message: 'API rate limit exceeded for user ID 1.', documentation_url: 'https://docs.github.com/rest' }, rateHeaders());
    }
    if (body !== null && typeof body === 'string') return send(400, { message: 'Problems parsing JSON' });
    const out: RouteResponse = await route({ method, pathname: url.pathname, query: url.searchParams, body }, s, routeOpts);
    if (method === 'GET' && out.status === 200) {
      const etag = `"${createHash('sha1').update(JSON.stringify(out.body)).digest('hex')}"`;
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

  return {
    url,
    token,
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
    editIssue: (n, patch) => {
      const it = s.item(n);
      if (patch.title !== undefined) it.title = patch.title;
      if (patch.body !== undefined) it.body = patch.body;
      it.updated_at = s.tick();
    },
    setLabels: (n, labels, actor) => s.setLabels(n, labels, actor ?? defaultUser),
    closeIssue: (n, actor) => s.setState(n, 'closed', actor ?? defaultUser),
    reopenIssue: (n, actor) => s.setState(n, 'open', actor ?? defaultUser),
    addComment: (n, c) => s.addComment(n, c.user, c.body).id,
    deleteComment: (id) => {
      const i = s.comments.findIndex((c) => c.id === id);
      if (i >= 0) s.comments.splice(i, 1);
    },
    setPermission: (user, permission) => void s.permissions.set(user.toLowerCase(), permission),
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
