// The Octokit instance swarm talks to GitHub through: retry (5xx, network, timeouts), optional throttling
// (write spacing), a per-request timeout, secondary-rate-limit backoff, an ETag cache so an unchanged poll
// costs a 304 that GitHub does not count against the rate limit, the pinned API version, the token of the
// auth source (auth.ts) and, when GitHub says the repository moved, its new name. Also the request/limit
// counters.
//
// Traps handled here (see the library notes): a 304 arrives as a thrown RequestError, so the cache lives in
// `hook.wrap('request')`; retries are configured with `retry: {retries}`, never `request: {retries}` (that
// would retry 304/404); the throttling plugin's groups are module-global, so tests turn it off.
//
// Redirects (transport.ts): GETs follow them; a write's 3xx is never followed. When a GET under
// /repos/{owner}/{repo} ends somewhere else, or a write answers 3xx, GitHub may be saying that the
// repository itself was renamed or transferred — or only that one issue moved to another repository. The
// repository is read again (`GET /repos/{owner}/{repo}`, followed): when its full name changed, every
// later request names the new one (the write is sent again there, once), and `onRepositoryMoved` tells the
// tracker. Otherwise the write's 3xx surfaces as a RedirectError, which the adapter reads as "gone from this
// repository". An issue's `repository_url` stays the tracker's guard against an issue that moved away.
//
// Tokens expire (a GitHub App installation token lasts an hour) and are rotated (`gh auth token`): the auth
// source refreshes ahead of expiry; on a 401 the client asks it once for a different token and retries with
// it. Only when that fails does the 401 surface.

import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { AuthSourceError, staticAuth, type GitHubAuth } from './auth.js';
import { API_VERSION, githubFetch, type TransportStats } from './transport.js';
import { SecondaryBackoff, SecondaryLimitWait } from './secondary.js';

export interface GitHubClientOptions {
  /** A fixed token (with `reauth` for a 401); ignored when `auth` is given. */
  token?: string;
  /** Where the token of each request comes from (auth.ts, app-auth.ts). */
  auth?: GitHubAuth;
  /** API base, e.g. https://api.github.com or https://HOST/api/v3 (tests: the fake's url). */
  apiUrl: string;
  /** Enable @octokit/plugin-throttling (spaces writes; module-global limiter). Off in tests. */
  throttle: boolean;
  /** Retries for 5xx, network errors and timeouts (exponential: (n+1)² × retryBaseMs). */
  retries: number;
  /** Per-request timeout, including reading the body. Default 30 s. */
  timeoutMs?: number;
  /** Base of the retry plugin's backoff. Default 1000 ms. */
  retryBaseMs?: number;
  /** How many times a secondary rate limit is waited out within one call. Default 3. */
  secondaryRetries?: number;
  /** Milliseconds per second of a rate-limit wait. Default 1000 (tests shrink it). */
  retryAfterBaseMs?: number;
  /** A secondary-limit wait longer than this (seconds) is not sat out inside the call: it surfaces. Default 60. */
  maxRetryAfterSec?: number;
  /** Called after every HTTP exchange (status 0 when no response arrived). */
  onRequest?: (info: { method: string; url: string; status: number }) => void;
  userAgent?: string;
  /**
   * With `token`: called after a 401 with the token that was rejected; the token source's current value, or
   * null when there is none (or it is the same).
   */
  reauth?: (rejected: string) => Promise<string | null>;
  /** GitHub says repository `from` (owner/name) is now `to`. */
  onRepositoryMoved?: (from: string, to: string) => void;
  now?: () => number;
}

export interface ClientStats extends TransportStats {
  /** Of those, answered 304 from the ETag cache. */
  notModified: number;
  /** Repositories GitHub redirected elsewhere: old owner/name (lower case) → new owner/name. */
  moved: Map<string, string>;
}

const SwarmOctokit = Octokit.plugin(retry, throttling);
export type GitHubClient = InstanceType<typeof SwarmOctokit> & { readonly swarm: ClientStats };

type Resp = { status: number; url: string; headers: Record<string, unknown>; data: unknown };
interface CachedResponse {
  etag: string;
  response: Resp;
}

const CACHE_LIMIT = 1000;
/** A repository found where it was is not read again for this long (an issue transferred away, read often). */
const MOVE_CHECK_MS = 10 * 60_000;

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** A 3xx answer to a write (or a log download), never followed: `status` and `response.headers.location` say where GitHub points. */
export class RedirectError extends Error {
  constructor(
    readonly status: number,
    readonly response: Resp,
  ) {
    super(`GitHub answered ${status} (moved)`);
    this.name = 'RedirectError';
  }
}

/** True when the response was served from the ETag cache because GitHub answered 304 Not Modified. */
export function isNotModified(response: { status: number }): boolean {
  return response.status === 304;
}

type Opts = Record<string, unknown> & { method?: string; headers?: Record<string, string>; request?: Record<string, unknown>; owner?: unknown; repo?: unknown };

export function createOctokit(opts: GitHubClientOptions): GitHubClient {
  const stats: ClientStats = { requests: 0, notModified: 0, rateLimitRemaining: null, rateLimitReset: null, moved: new Map() };
  const now = opts.now ?? Date.now;
  const msPerSec = opts.retryAfterBaseMs ?? 1000;
  const maxInlineSec = opts.maxRetryAfterSec ?? 60;
  const secondaryRetries = opts.secondaryRetries ?? 3;
  const auth = opts.auth ?? staticAuth(opts.token ?? '', { reread: opts.reauth });
  const backoff = new SecondaryBackoff(now, msPerSec);

  const octokit = new SwarmOctokit({
    baseUrl: opts.apiUrl.replace(/\/+$/, ''),
    userAgent: opts.userAgent ?? 'swarm',
    log: silent,
    request: { fetch: githubFetch({ timeoutMs: opts.timeoutMs ?? 30_000, stats, onRequest: opts.onRequest }) },
    retry: {
      retries: opts.retries,
      retryAfterBaseValue: opts.retryBaseMs ?? 1000,
      // 403/429 are rate limits: waited out below (secondary) or surfaced (primary), never blindly retried.
      doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451],
    },
    throttle: opts.throttle
      ? { onRateLimit: () => false, onSecondaryRateLimit: () => false }
      : { enabled: false, onRateLimit: () => false, onSecondaryRateLimit: () => false },
  }) as GitHubClient;
  Object.defineProperty(octokit, 'swarm', { value: stats, enumerable: false });

  const cache = new Map<string, CachedResponse>();
  const checked = new Map<string, number>();
  const checking = new Map<string, Promise<boolean>>();
  const repoKey = (owner: unknown, repo: unknown) => (typeof owner === 'string' && typeof repo === 'string' ? `${owner}/${repo}`.toLowerCase() : null);

  /** Whether `owner/repo` moved (then recorded); read at most every MOVE_CHECK_MS per name. */
  const checkMoved = (owner: string, repo: string): Promise<boolean> => {
    const key = `${owner}/${repo}`.toLowerCase();
    if (stats.moved.has(key)) return Promise.resolve(true);
    if (now() - (checked.get(key) ?? Number.NEGATIVE_INFINITY) < MOVE_CHECK_MS) return Promise.resolve(false);
    let p = checking.get(key);
    if (!p) {
      p = octokit.request('GET /repos/{owner}/{repo}', { owner, repo, request: { swarmMoveCheck: true } }).then(
        (res) => {
          checked.set(key, now());
          const full = typeof res.data.full_name === 'string' ? res.data.full_name : '';
          if (full === '' || full.toLowerCase() === key || !full.includes('/')) return false;
          stats.moved.set(key, full);
          opts.onRepositoryMoved?.(`${owner}/${repo}`, full);
          return true;
        },
        () => false,
      ).finally(() => checking.delete(key));
      checking.set(key, p);
    }
    return p;
  };
  /** Requests naming a moved repository name the new one. */
  const rename = (options: Opts): void => {
    const key = repoKey(options.owner, options.repo);
    const to = key !== null ? stats.moved.get(key) : undefined;
    if (to === undefined) return;
    const [owner, repo] = to.split('/') as [string, string];
    options.owner = owner;
    options.repo = repo;
  };

  octokit.hook.wrap('request', async (request, raw) => {
    const options = raw as unknown as Opts;
    rename(options);
    const method = String(options.method ?? 'GET').toUpperCase();
    const url = octokit.request.endpoint.parse(options as Parameters<typeof octokit.request.endpoint.parse>[0]).url;
    // A secondary limit is in force: nothing is sent until it is over (sat out here when short).
    const wait = backoff.remainingSec();
    if (wait > maxInlineSec) throw new SecondaryLimitWait(wait, url);
    if (wait > 0) await new Promise((r) => setTimeout(r, backoff.remainingMs()));
    const key = method === 'GET' ? url : null;
    const cached = key !== null ? cache.get(key) : undefined;
    options.headers = { ...options.headers, 'x-github-api-version': API_VERSION, ...(cached ? { 'if-none-match': cached.etag } : {}) };
    const moveCheck = options.request?.swarmMoveCheck === true;
    let reauthed = false;
    let resent = false;
    for (let attempt = 0; ; attempt++) {
      const sentWith = await auth.token();
      options.headers.authorization = `token ${sentWith}`;
      try {
        const response = (await request(options as Parameters<typeof request>[0])) as Resp;
        backoff.success();
        if (response.status >= 300 && response.status < 400) {
          const owner = options.owner;
          const repo = options.repo;
          if (method !== 'GET' && !resent && !moveCheck && typeof owner === 'string' && typeof repo === 'string' && (await checkMoved(owner, repo))) {
            resent = true;
            rename(options);
            continue;
          }
          throw new RedirectError(response.status, response);
        }
        if (method === 'GET' && !moveCheck && typeof options.owner === 'string' && typeof options.repo === 'string' && endedElsewhere(url, response.url)) {
          await checkMoved(options.owner, options.repo);
        }
        const etag = response.headers.etag;
        if (key !== null && typeof etag === 'string' && etag !== '') {
          cache.delete(key);
          cache.set(key, { etag, response });
          if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
        }
        return response as Awaited<ReturnType<typeof request>>;
      } catch (err) {
        if (err instanceof RedirectError) throw err;
        if (cached && key !== null && statusOf(err) === 304) {
          stats.notModified++;
          cache.delete(key); // refresh LRU position
          cache.set(key, cached);
          return { ...cached.response, status: 304 } as Awaited<ReturnType<typeof request>>;
        }
        if (statusOf(err) === 401 && !reauthed) {
          reauthed = true;
          // A source that cannot produce a token (a failing command, a refused App key) says why, not the 401.
          if ((await auth.renew(sentWith).catch((e: unknown) => { if (e instanceof AuthSourceError) throw e; return null; })) !== null) continue;
        }
        const verdict = backoff.onError(err);
        if (verdict !== null) {
          if (verdict.waitSec <= maxInlineSec && attempt < secondaryRetries) {
            await new Promise((r) => setTimeout(r, verdict.waitSec * msPerSec));
            continue;
          }
          // Longer than we block a call for: the caller learns when to come back (`retry-after`).
          if (!headerOf(err, 'retry-after')) throw new SecondaryLimitWait(verdict.waitSec, url);
        }
        throw err;
      }
    }
  });
  return octokit;
}

/** A GET answered from another path than the one asked (a followed redirect). */
function endedElsewhere(asked: string, answered: string | undefined): boolean {
  if (!answered) return false;
  try {
    return new URL(asked).pathname.toLowerCase() !== new URL(answered).pathname.toLowerCase();
  } catch {
    return false;
  }
}

function statusOf(err: unknown): number | null {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : null;
}

function headerOf(err: unknown, name: string): string | undefined {
  const v = headersOf(err)[name];
  return v !== undefined && v !== '' ? v : undefined;
}

export function headersOf(err: unknown): Record<string, string | undefined> {
  const h = (err as { response?: { headers?: Record<string, string | undefined> } } | null)?.response?.headers;
  return h ?? {};
}
