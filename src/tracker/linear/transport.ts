// The HTTP side of the Linear adapter: POST one GraphQL operation to tracker.api_url, read the
// X-RateLimit-* budgets (requests and complexity) from every response, back off BEFORE either runs out,
// and map failures onto TrackerError kinds. The API key never appears in a message.
//
// Two answers are not transient: a RATELIMITED one waits for the budget that ran out (Retry-After when
// Linear sends one), and "Query too complex" is permanent — Linear prices a document statically, so the
// same document is refused every time: it is never sent again by this transport (a changed
// tracker.page_size builds a new tracker).
//
// Requests go through @linear/sdk's raw GraphQL client with hand-written queries (its lazy models would
// cost a request per field access). The SDK client spreads its options into fetch, so a client made per
// request carries its own timeout signal: one hung connection can never stall the poll loop.

import { LinearError, LinearErrorType, LinearGraphQLClient, RatelimitedLinearError } from '@linear/sdk';
import { TrackerError } from '../../errors.js';

export interface LinearTransportOptions {
  apiUrl: string;
  apiKey: string;
  now?: () => number;
  timeoutMs?: number;
  /** Stop sending when fewer than this share of the budget is left (default 5 %). */
  reserve?: number;
}

export interface LinearTransport {
  request<T = Record<string, unknown>>(query: string, variables?: object): Promise<T>;
  rateLimit(): { remaining: number | null; resetAt: string | null };
  /** The complexity Linear charged for the last accepted document (its X-Complexity header), if any. */
  lastComplexity(): number | null;
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
  let complexity: number | null = null;
  const refused = new Map<string, TrackerError>(); // document + variables → Linear's "too complex"

  const record = (h: Headers) => {
    for (const name of ['requests', 'complexity'] as const) {
      const b = budgets[name];
      const limit = parseNum(h.get(`x-ratelimit-${name}-limit`));
      const remaining = parseNum(h.get(`x-ratelimit-${name}-remaining`));
      const resetAt = parseReset(h.get(`x-ratelimit-${name}-reset`));
      if (remaining !== null) Object.assign(b, { limit: limit ?? b.limit, remaining, resetAt: resetAt ?? b.resetAt });
    }
  };

  /**
   * When to try again after RATELIMITED: Retry-After when Linear sends it (seconds, or an HTTP date), else
   * the reset of the budget that ran out — the one with the smallest share left in this answer's headers
   * (a complexity budget can run out while requests remain) — else 60 s.
   */
  const retryAfterLimit = (err: LinearError): { at: number; why: string } => {
    const t = now();
    const header = (err.raw as { response?: { headers?: Headers } } | undefined)?.response?.headers?.get('retry-after') ?? null;
    const seconds = err instanceof RatelimitedLinearError && typeof err.retryAfter === 'number' ? err.retryAfter : null;
    if (seconds !== null && seconds > 0) return { at: t + seconds * 1000, why: `Retry-After ${seconds}s` };
    const date = header !== null && !/^\s*\d+\s*$/.test(header) ? Date.parse(header) : NaN;
    if (Number.isFinite(date) && date > t) return { at: date, why: 'Retry-After' };
    const spent = (Object.entries(budgets) as [string, Budget][])
      .filter(([, b]) => b.remaining !== null && b.resetAt !== null && b.resetAt > t)
      .map(([name, b]) => ({ name, b, share: b.limit ? b.remaining! / b.limit : b.remaining! <= 0 ? 0 : 1 }))
      .sort((a, b) => a.share - b.share || b.b.resetAt! - a.b.resetAt!)[0];
    if (spent) return { at: spent.b.resetAt!, why: `${spent.name} budget: ${spent.b.remaining}${spent.b.limit !== null ? ` of ${spent.b.limit}` : ''} left` };
    return { at: t + 60_000, why: 'no reset time given' };
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
    lastComplexity: () => complexity,
    async request<T>(query: string, variables: object = {}): Promise<T> {
      const key = `${query}\n${JSON.stringify(variables)}`;
      const known = refused.get(key);
      if (known) throw known;
      checkBudget();
      const op = /(?:query|mutation)\s+(\w+)/.exec(query)?.[1] ?? 'query';
      sent++;
      const client = new LinearGraphQLClient(url.href, { headers: { Authorization: opts.apiKey }, signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000) });
      try {
        const res = await client.rawRequest<T, Record<string, unknown>>(query, variables as Record<string, unknown>);
        if (res.headers) {
          record(res.headers);
          complexity = parseNum(res.headers.get('x-complexity')) ?? complexity;
        }
        if (res.data === undefined || res.data === null || typeof res.data !== 'object') throw fail('unavailable', `Linear API answered HTTP ${res.status} to ${op} without data`);
        return res.data;
      } catch (err) {
        if (err instanceof TrackerError) throw err;
        if (!(err instanceof LinearError)) {
          // fetch itself failed: refused, reset, DNS, or our timeout signal.
          const e = err as Error & { cause?: { code?: string } };
          const why = e.name === 'TimeoutError' ? 'no answer in time' : e.cause?.code ?? e.message;
          throw fail('unavailable', `Linear API unreachable at ${url.origin} (${why})`);
        }
        const headers = (err.raw as { response?: { headers?: Headers } } | undefined)?.response?.headers;
        if (headers) record(headers);
        switch (err.type) {
          case LinearErrorType.Ratelimited: {
            const { at: retry, why } = retryAfterLimit(err);
            blockedUntil = retry;
            const at = new Date(retry).toISOString();
            throw fail('rate_limited', `Linear API rate limit exceeded (${why}); retry after ${at}`, at);
          }
          case LinearErrorType.AuthenticationError:
            throw fail('auth', 'Linear rejected the API key: check LINEAR_API_KEY / tracker.api_key');
          case LinearErrorType.Forbidden:
            throw fail('auth', `Linear refused ${op}: the API key lacks access (${err.errors?.[0]?.message ?? `HTTP ${err.status}`})`);
        }
        const msg = err.errors?.[0]?.message ?? err.message;
        // HTTP 400, extensions {type: "invalid input", code: "INPUT_ERROR"}, message "Query too complex",
        // userPresentableMessage "The query is too complex. Complexity: N. Maximum allowed complexity: 10000."
        // (the SDK shows the latter).
        if (err.type === LinearErrorType.InvalidInput && /too complex/i.test(`${msg} ${err.message}`)) {
          const m = /Complexity: ([\d.]+)\. Maximum allowed complexity: ([\d.]+)/.exec(msg);
          const why = m ? `${Math.ceil(Number(m[1])).toLocaleString('en-US')} points, at most ${Number(m[2]).toLocaleString('en-US')} allowed` : msg;
          const e = fail('too_complex', `Linear refuses ${op} as too complex (${why})`);
          refused.set(key, e);
          throw e;
        }
        // The SDK shows Linear's user-facing text ("Could not find referenced Issue.") for "Entity not found".
        if (/entity not found|could not find referenced/i.test(`${msg} ${err.message}`)) throw fail('not_found', `Linear: ${msg} (${op})`);
        throw fail('unavailable', `Linear API error in ${op}: ${msg}`);
      }
    },
  };
}
