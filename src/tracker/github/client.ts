// The Octokit instance swarm talks to GitHub through: retry (5xx, network, timeouts), optional throttling
// (write spacing), a per-request timeout, secondary-rate-limit waits, and an ETag cache so an unchanged
// poll costs a 304 that GitHub does not count against the rate limit. Also the request/limit counters.
//
// Traps handled here (see the library notes): a 304 arrives as a thrown RequestError, so the cache lives in
// `hook.wrap('request')`; retries are configured with `retry: {retries}`, never `request: {retries}` (that
// would retry 304/404); the throttling plugin's groups are module-global, so tests turn it off.
//
// Redirects are never followed. GitHub answers 301 for an issue transferred to another repository (and for
// a renamed repository); fetch would follow it, turning a write meant for this repository's issue into a
// write on the issue in the other repository (DELETE and PATCH keep their method on a 301). The client asks
// fetch for `redirect: 'manual'` and turns any 3xx into a thrown error carrying status and Location, which
// the adapter reads as "gone from this repository".
//
// Tokens expire (a GitHub App installation token lasts an hour) and are rotated (`gh auth token`): on a 401
// the client asks `reauth` once for the token source's current value and, when it differs, retries with it
// and keeps it from then on. Only when that fails does the 401 surface.

import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';

export interface GitHubClientOptions {
  token: string;
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
  /** How many times a secondary rate limit (403/429 + retry-after) is waited out. Default 3. */
  secondaryRetries?: number;
  /** Multiplier for `retry-after` seconds. Default 1000 (tests shrink it). */
  retryAfterBaseMs?: number;
  /** A secondary limit asking for a longer wait than this is surfaced instead. Default 60 s. */
  maxRetryAfterSec?: number;
  /** Called after every HTTP exchange (status 0 when no response arrived). */
  onRequest?: (info: { method: string; url: string; status: number }) => void;
  userAgent?: string;
  /**
   * Called after a 401 with the token that was rejected: the token source's current value, or null when
   * there is none (or it is the same). Calls are shared: parallel 401s read the source once.
   */
  reauth?: (rejected: string) => Promise<string | null>;
}

export interface ClientStats {
  /** HTTP requests sent (each retry counts). */
  requests: number;
  /** Of those, answered 304 from the ETag cache. */
  notModified: number;
  rateLimitRemaining: number | null;
  /** Epoch seconds when the primary limit resets. */
  rateLimitReset: number | null;
}

const SwarmOctokit = Octokit.plugin(retry, throttling);
export type GitHubClient = InstanceType<typeof SwarmOctokit> & { readonly swarm: ClientStats };

interface CachedResponse {
  etag: string;
  response: { status: number; url: string; headers: Record<string, unknown>; data: unknown };
}

const CACHE_LIMIT = 1000;

type RequestFn = ((options: unknown) => Promise<unknown>) & {
  endpoint: { merge(route: string, parameters?: Record<string, unknown>): { headers: Record<string, string> } & Record<string, unknown> };
};
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** A 3xx answer, never followed: `status` and `response.headers.location` say where GitHub points. */
export class RedirectError extends Error {
  constructor(
    readonly status: number,
    readonly response: { status: number; url: string; headers: Record<string, unknown>; data: unknown },
  ) {
    super(`GitHub answered ${status} (moved)`);
    this.name = 'RedirectError';
  }
}

/** True when the response was served from the ETag cache because GitHub answered 304 Not Modified. */
export function isNotModified(response: { status: number }): boolean {
  return response.status === 304;
}

export function createOctokit(opts: GitHubClientOptions): GitHubClient {
  const stats: ClientStats = { requests: 0, notModified: 0, rateLimitRemaining: null, rateLimitReset: null };
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const retryAfterBaseMs = opts.retryAfterBaseMs ?? 1000;
  const maxRetryAfterSec = opts.maxRetryAfterSec ?? 60;
  const secondaryRetries = opts.secondaryRetries ?? 3;

  const timedFetch: typeof fetch = async (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const method = init?.method ?? 'GET';
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    stats.requests++;
    let res: Response;
    try {
      res = await fetch(input, { ...init, signal, redirect: 'manual' });
    } catch (err) {
      opts.onRequest?.({ method, url, status: 0 });
      throw err;
    }
    const remaining = res.headers.get('x-ratelimit-remaining');
    const reset = res.headers.get('x-ratelimit-reset');
    if (remaining !== null && remaining !== '' && Number.isFinite(Number(remaining))) {
      stats.rateLimitRemaining = Number(remaining);
    }
    if (reset !== null && reset !== '' && Number.isFinite(Number(reset))) stats.rateLimitReset = Number(reset);
    opts.onRequest?.({ method, url, status: res.status });
    return res;
  };

  // The token in use, replaced when reauth finds a new one. Read on every request (retries included).
  let token = opts.token;
  const authStrategy = () => {
    const auth = async () => ({ type: 'token', token, tokenType: 'oauth' });
    auth.hook = (request: RequestFn, route: unknown, parameters?: unknown) => {
      const endpoint = request.endpoint.merge(route as string, parameters as Record<string, unknown>);
      endpoint.headers.authorization = `token ${token}`;
      return request(endpoint);
    };
    return auth;
  };
  let refreshing: Promise<string | null> | null = null;
  const refresh = async (rejected: string): Promise<string | null> => {
    if (token !== rejected) return token; // another request already moved on
    if (!opts.reauth) return null;
    refreshing ??= opts.reauth(rejected).then(
      (next) => {
        if (next !== null && next !== '' && next !== rejected) token = next;
        return token !== rejected ? token : null;
      },
      () => null,
    ).finally(() => {
      refreshing = null;
    });
    return refreshing;
  };

  const octokit = new SwarmOctokit({
    authStrategy,
    baseUrl: opts.apiUrl.replace(/\/+$/, ''),
    userAgent: opts.userAgent ?? 'swarm',
    log: silent,
    request: { fetch: timedFetch },
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

  octokit.hook.wrap('request', async (request, options) => {
    const method = String(options.method ?? 'GET').toUpperCase();
    const key = method === 'GET' ? octokit.request.endpoint.parse(options).url : null;
    const cached = key !== null ? cache.get(key) : undefined;
    if (cached) options.headers = { ...options.headers, 'if-none-match': cached.etag };
    let reauthed = false;
    for (let attempt = 0; ; attempt++) {
      const sentWith = token;
      try {
        const response = await request(options);
        if (response.status >= 300 && response.status < 400) {
          throw new RedirectError(response.status, response as CachedResponse['response']);
        }
        const etag = response.headers.etag;
        if (key !== null && typeof etag === 'string' && etag !== '') {
          cache.delete(key);
          cache.set(key, { etag, response: response as CachedResponse['response'] });
          if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
        }
        return response;
      } catch (err) {
        if (cached && key !== null && statusOf(err) === 304) {
          stats.notModified++;
          cache.delete(key); // refresh LRU position
          cache.set(key, cached);
          return { ...cached.response, status: 304 } as Awaited<ReturnType<typeof request>>;
        }
        if (statusOf(err) === 401 && !reauthed) {
          reauthed = true;
          if ((await refresh(sentWith)) !== null) continue;
        }
        const wait = secondaryWaitSec(err, maxRetryAfterSec);
        if (wait !== null && attempt < secondaryRetries) {
          await new Promise((r) => setTimeout(r, wait * retryAfterBaseMs));
          continue;
        }
        throw err;
      }
    }
  });
  return octokit;
}

function statusOf(err: unknown): number | null {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : null;
}

export function headersOf(err: unknown): Record<string, string | undefined> {
  const h = (err as { response?: { headers?: Record<string, string | undefined> } } | null)?.response?.headers;
  return h ?? {};
}

/**
 * Seconds to wait before retrying a secondary rate limit, or null when this is not one (or is a primary
 * limit, which waits for the hourly reset and must be surfaced, or asks for longer than we will block).
 */
export function secondaryWaitSec(err: unknown, maxSec: number): number | null {
  const status = statusOf(err);
  if (status !== 403 && status !== 429) return null;
  const headers = headersOf(err);
  const message = err instanceof Error ? err.message : '';
  const retryAfter = headers['retry-after'];
  const isSecondary = /secondary rate limit/i.test(message) || (retryAfter !== undefined && retryAfter !== '');
  if (!isSecondary) return null;
  if (headers['x-ratelimit-remaining'] === '0' && !/secondary rate limit/i.test(message)) return null;
  const seconds = retryAfter !== undefined && retryAfter !== '' && Number.isFinite(Number(retryAfter))
    ? Math.max(0, Number(retryAfter))
    : 60;
  return seconds <= maxSec ? seconds : null;
}
