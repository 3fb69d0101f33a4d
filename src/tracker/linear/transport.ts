// The HTTP side of the Linear adapter: POST one GraphQL operation to tracker.api_url, read the
// X-RateLimit-* budgets (requests, complexity, per endpoint: budgets.ts) from every response, back off
// BEFORE one runs out, and map failures onto TrackerError kinds. The API key never appears in a message.
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
import { LinearBudgets, parseNum, type BudgetView } from './budgets.js';

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
  /** The same, with what the answer said besides its data: Linear's clock (its Date header) and the complexity charged. */
  requestMeta<T = Record<string, unknown>>(query: string, variables?: object): Promise<{ data: T; serverTime: number | null; complexity: number | null }>;
  rateLimit(): { remaining: number | null; resetAt: string | null };
  /** Every budget Linear reported: requests, complexity points, and per-endpoint requests. */
  budgets(): BudgetView;
  /** The complexity Linear charged for the last accepted document (its X-Complexity header), if any. */
  lastComplexity(): number | null;
  requestCount(): number;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

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

  const budgets = new LinearBudgets(reserve);
  let sent = 0;
  let complexity: number | null = null;
  const refused = new Map<string, TrackerError>(); // document + variables → Linear's "too complex"

  /** Retry-After when Linear sends one: seconds (the SDK's reading), or an HTTP date. */
  const retryAfterOf = (err: LinearError): { seconds: number | null; date: number | null } => {
    const header = (err.raw as { response?: { headers?: Headers } } | undefined)?.response?.headers?.get('retry-after') ?? null;
    const seconds = err instanceof RatelimitedLinearError && typeof err.retryAfter === 'number' ? err.retryAfter : null;
    const date = header !== null && !/^\s*\d+\s*$/.test(header) ? Date.parse(header) : NaN;
    return { seconds, date: Number.isFinite(date) ? date : null };
  };

  const checkBudget = (op: string) => {
    const hold = budgets.check(op, now());
    if (hold === null) return;
    const at = new Date(hold.until).toISOString();
    throw fail('rate_limited', `${hold.why}; backing off until ${at}`, at);
  };

  async function send<T>(query: string, variables: object = {}): Promise<{ data: T; serverTime: number | null; complexity: number | null }> {
    const key = `${query}\n${JSON.stringify(variables)}`;
    const known = refused.get(key);
    if (known) throw known;
    const op = /(?:query|mutation)\s+(\w+)/.exec(query)?.[1] ?? 'query';
    checkBudget(op);
    sent++;
    const client = new LinearGraphQLClient(url.href, { headers: { Authorization: opts.apiKey }, signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000) });
    try {
      const res = await client.rawRequest<T, Record<string, unknown>>(query, variables as Record<string, unknown>);
      let charged: number | null = null;
      let serverTime: number | null = null;
      if (res.headers) {
        budgets.record(res.headers, op);
        charged = parseNum(res.headers.get('x-complexity'));
        complexity = charged ?? complexity;
        const date = Date.parse(res.headers.get('date') ?? '');
        serverTime = Number.isFinite(date) ? date : null;
      }
      if (res.data === undefined || res.data === null || typeof res.data !== 'object') throw fail('unavailable', `Linear API answered HTTP ${res.status} to ${op} without data`);
      return { data: res.data, serverTime, complexity: charged };
    } catch (err) {
      if (err instanceof TrackerError) throw err;
      if (!(err instanceof LinearError)) {
        // fetch itself failed: refused, reset, DNS, or our timeout signal.
        const e = err as Error & { cause?: { code?: string } };
        const why = e.name === 'TimeoutError' ? 'no answer in time' : e.cause?.code ?? e.message;
        throw fail('unavailable', `Linear API unreachable at ${url.origin} (${why})`);
      }
      const headers = (err.raw as { response?: { headers?: Headers } } | undefined)?.response?.headers;
      if (headers) budgets.record(headers, op);
      switch (err.type) {
        case LinearErrorType.Ratelimited: {
          const after = retryAfterOf(err);
          const hold = budgets.ratelimited(op, now(), after.seconds, after.date);
          const at = new Date(hold.until).toISOString();
          throw fail('rate_limited', `Linear API rate limit exceeded (${hold.why}); retry after ${at}`, at);
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
  }

  return {
    rateLimit: () => {
      const r = budgets.view().requests;
      return { remaining: r.remaining, resetAt: r.resetAt === null ? null : new Date(r.resetAt).toISOString() };
    },
    budgets: () => budgets.view(),
    requestCount: () => sent,
    lastComplexity: () => complexity,
    async request<T>(query: string, variables: object = {}): Promise<T> {
      return (await send<T>(query, variables)).data;
    },
    requestMeta: send,
  };
}
