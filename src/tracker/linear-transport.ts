// The HTTP side of the Linear adapter: POST one GraphQL operation to tracker.api_url, read the
// X-RateLimit-* budget from every response, back off BEFORE the budget runs out, and map failures onto
// TrackerError kinds. The API key never appears in a message.
//
// Why plain fetch and not `new LinearClient({apiKey, apiUrl}).client.rawRequest()`: @linear/sdk 98's
// rawRequest does return the response headers, but it always calls the global fetch (no injectable fetch)
// and has no per-request timeout or abort signal — one hung connection would stall the poll loop. This
// sends the same wire format as the SDK (POST JSON {query, variables}, `Authorization: <personal key>`),
// and classifies errors the way the SDK does (by the lower-case `extensions.type`, then HTTP status);
// the integration tests also run the real SDK against the same fake server.

import { TrackerError } from './types.js';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface LinearTransportOptions {
  apiUrl: string;
  apiKey: string;
  fetchImpl?: FetchLike;
  now?: () => number;
  timeoutMs?: number;
  /** Stop sending when fewer than this share of the budget is left (default 5 %). */
  reserve?: number;
}

export interface LinearTransport {
  request<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<T>;
  rateLimit(): { remaining: number | null; resetAt: string | null };
  requestCount(): number;
}

interface Budget { limit: number | null; remaining: number | null; resetAt: number | null }

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Linear reports resets as epoch milliseconds; accept epoch seconds too. */
function parseReset(v: string | null): number | null {
  if (v === null || v.trim() === '') return null;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) return null;
  return n < 1e12 ? n * 1000 : n;
}
function parseNum(v: string | null): number | null {
  if (v === null || v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

export function createLinearTransport(opts: LinearTransportOptions): LinearTransport {
  const doFetch: FetchLike = opts.fetchImpl ?? ((url, init) => fetch(url, init));
  const now = opts.now ?? Date.now;
  const reserve = opts.reserve ?? 0.05;
  const redact = (s: string) => (opts.apiKey ? s.split(opts.apiKey).join('[redacted]') : s);
  const fail = (kind: TrackerError['kind'], message: string, retryAt: string | null = null) =>
    new TrackerError(kind, redact(message), retryAt);

  let url: URL;
  try {
    url = new URL(opts.apiUrl);
  } catch {
    throw fail('config', `tracker.api_url "${opts.apiUrl}" is not a valid URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname)))
    throw fail('config', `tracker.api_url "${opts.apiUrl}" must use https:// (http is only allowed for localhost)`);
  if (!opts.apiKey) throw fail('auth', 'No Linear API key: set LINEAR_API_KEY or tracker.api_key');

  const budgets: Record<'requests' | 'complexity', Budget> = {
    requests: { limit: null, remaining: null, resetAt: null },
    complexity: { limit: null, remaining: null, resetAt: null },
  };
  let blockedUntil: number | null = null; // after a RATELIMITED answer
  let sent = 0;

  const record = (h: Headers) => {
    for (const name of ['requests', 'complexity'] as const) {
      const b = budgets[name];
      const limit = parseNum(h.get(`x-ratelimit-${name}-limit`));
      const remaining = parseNum(h.get(`x-ratelimit-${name}-remaining`));
      const resetAt = parseReset(h.get(`x-ratelimit-${name}-reset`));
      if (remaining !== null) Object.assign(b, { limit: limit ?? b.limit, remaining, resetAt: resetAt ?? b.resetAt });
    }
  };

  const checkBudget = () => {
    const t = now();
    if (blockedUntil !== null) {
      if (t < blockedUntil)
        throw fail('rate_limited', `Linear API rate limit reached; waiting until ${new Date(blockedUntil).toISOString()}`, new Date(blockedUntil).toISOString());
      blockedUntil = null;
    }
    for (const [name, b] of Object.entries(budgets)) {
      if (b.remaining === null || b.limit === null || b.resetAt === null) continue;
      if (t >= b.resetAt) { b.remaining = null; continue; } // window over: the next answer tells us anew
      if (b.remaining < Math.ceil(b.limit * reserve)) {
        const at = new Date(b.resetAt).toISOString();
        throw fail('rate_limited', `Linear API ${name} budget nearly spent (${b.remaining} of ${b.limit} left); backing off until ${at}`, at);
      }
    }
  };

  return {
    rateLimit: () => ({
      remaining: budgets.requests.remaining,
      resetAt: budgets.requests.resetAt === null ? null : new Date(budgets.requests.resetAt).toISOString(),
    }),
    requestCount: () => sent,
    async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      checkBudget();
      const op = /(?:query|mutation)\s+(\w+)/.exec(query)?.[1] ?? 'query';
      sent++;
      let res: Response;
      try {
        res = await doFetch(url.href, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: opts.apiKey },
          body: JSON.stringify({ query, variables }),
          signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
        });
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } };
        const why = e.name === 'TimeoutError' ? 'no answer in time' : e.cause?.code ?? e.message;
        throw fail('unavailable', `Linear API unreachable at ${url.origin} (${why})`);
      }
      record(res.headers);
      type Payload = { data?: unknown; errors?: { message?: string; extensions?: { type?: string; code?: string } }[] };
      const payload = (await res.json().catch(() => null)) as Payload | null;
      const errors = Array.isArray(payload?.errors) ? payload.errors : [];
      const first = errors[0];
      const type = String(first?.extensions?.type ?? '').toLowerCase();
      const code = String(first?.extensions?.code ?? '').toUpperCase();
      if (type === 'ratelimited' || code === 'RATELIMITED' || res.status === 429) {
        const reset = budgets.requests.resetAt ?? budgets.complexity.resetAt;
        const retry = reset !== null && reset > now() ? reset : now() + 60_000;
        blockedUntil = retry;
        const at = new Date(retry).toISOString();
        throw fail('rate_limited', `Linear API rate limit exceeded; retry after ${at}`, at);
      }
      if (type.startsWith('authentication') || code === 'AUTHENTICATION_ERROR' || res.status === 401)
        throw fail('auth', 'Linear rejected the API key: check LINEAR_API_KEY / tracker.api_key');
      if (type === 'forbidden' || code === 'FORBIDDEN' || res.status === 403)
        throw fail('auth', `Linear refused ${op}: the API key lacks access (${first?.message ?? `HTTP ${res.status}`})`);
      if (first) {
        const msg = String(first.message ?? 'unknown error');
        if (/entity not found/i.test(msg)) throw fail('not_found', `Linear: ${msg} (${op})`);
        throw fail('unavailable', `Linear API error in ${op}: ${msg}`);
      }
      if (!res.ok || !payload || payload.data === null || typeof payload.data !== 'object')
        throw fail('unavailable', `Linear API answered HTTP ${res.status} to ${op} without data`);
      return payload.data as T;
    },
  };
}
