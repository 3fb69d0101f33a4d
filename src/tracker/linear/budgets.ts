// Linear's rate-limit budgets as its answers report them, for the transport to back off BEFORE one runs
// out and to wait for the right one after a RATELIMITED answer. Three kinds, each read from every answer
// (Linear's rate-limiting page, linear.app/developers/rate-limiting; resets are epoch milliseconds):
// - requests per key: X-RateLimit-Requests-Limit / -Remaining / -Reset;
// - complexity points per key: X-RateLimit-Complexity-Limit / -Remaining / -Reset (and X-Complexity, what
//   the answered document cost);
// - per endpoint: some queries and mutations have lower limits of their own, reported on their answers as
//   X-RateLimit-Endpoint-Requests-Limit / -Remaining / -Reset with X-RateLimit-Endpoint-Name. swarm learns
//   which of its operations belongs to which endpoint from those answers and holds back only that
//   operation when its endpoint's budget runs low.

export interface Budget {
  limit: number | null;
  remaining: number | null;
  /** Epoch ms. */
  resetAt: number | null;
}

export interface BudgetView {
  requests: Budget;
  complexity: Budget;
  /** Per endpoint name, as Linear names them. */
  endpoints: Record<string, Budget>;
}

/** Why a request must not go now, and until when (epoch ms). */
export interface Hold {
  until: number;
  why: string;
}

/** Linear reports resets as epoch milliseconds; accept epoch seconds too. */
export function parseReset(v: string | null): number | null {
  if (v === null || v.trim() === '') return null;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) return null;
  return n < 1e12 ? n * 1000 : n;
}

export function parseNum(v: string | null): number | null {
  if (v === null || v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

const empty = (): Budget => ({ limit: null, remaining: null, resetAt: null });
const copy = (b: Budget): Budget => ({ ...b });

export class LinearBudgets {
  private readonly requests = empty();
  private readonly complexity = empty();
  private readonly endpoints = new Map<string, Budget>();
  /** Operation name → the endpoint Linear said it belongs to. */
  private readonly endpointOf = new Map<string, string>();
  /** After a RATELIMITED answer: everything waits (null key), or one endpoint's operations. */
  private readonly blocked = new Map<string | null, number>();

  constructor(private readonly reserve: number) {}

  /** Read every budget an answer reports; `op` is the operation it answered. */
  record(h: Headers, op: string): void {
    update(this.requests, h, 'requests');
    update(this.complexity, h, 'complexity');
    const name = h.get('x-ratelimit-endpoint-name');
    const remaining = parseNum(h.get('x-ratelimit-endpoint-requests-remaining'));
    if (name && remaining !== null) {
      this.endpointOf.set(op, name);
      const b = this.endpoints.get(name) ?? empty();
      b.limit = parseNum(h.get('x-ratelimit-endpoint-requests-limit')) ?? b.limit;
      b.remaining = remaining;
      b.resetAt = parseReset(h.get('x-ratelimit-endpoint-requests-reset')) ?? b.resetAt;
      this.endpoints.set(name, b);
    }
  }

  /** Whether `op` may be sent at `now`; a hold says until when not. */
  check(op: string, now: number): Hold | null {
    const endpoint = this.endpointOf.get(op) ?? null;
    for (const key of endpoint === null ? [null] : [null, endpoint]) {
      const until = this.blocked.get(key);
      if (until === undefined) continue;
      if (now < until) return { until, why: key === null ? 'Linear API rate limit reached' : `Linear endpoint ${key} rate limit reached` };
      this.blocked.delete(key);
    }
    const named: [string, Budget][] = [['requests', this.requests], ['complexity', this.complexity]];
    if (endpoint !== null && this.endpoints.has(endpoint)) named.push([`endpoint ${endpoint} requests`, this.endpoints.get(endpoint)!]);
    for (const [name, b] of named) {
      if (b.remaining === null || b.limit === null || b.resetAt === null) continue;
      if (now >= b.resetAt) {
        b.remaining = null; // window over: the next answer tells us anew
        continue;
      }
      if (b.remaining < Math.ceil(b.limit * this.reserve)) {
        return { until: b.resetAt, why: `Linear API ${name} budget nearly spent (${b.remaining} of ${b.limit} left)` };
      }
    }
    return null;
  }

  /**
   * After a RATELIMITED answer to `op`: when to try again, and whether only its endpoint waits. Retry-After
   * when Linear sends one; else the reset of the budget that ran out — the one with the smallest share left
   * (the complexity budget can run out while requests remain; an endpoint's own budget while both remain);
   * else 60 s. An endpoint that ran out holds only its own operations.
   */
  ratelimited(op: string, now: number, retryAfterS: number | null, retryAfterDate: number | null): Hold {
    const endpoint = this.endpointOf.get(op) ?? null;
    let hold: Hold & { key: string | null };
    if (retryAfterS !== null && retryAfterS > 0) hold = { until: now + retryAfterS * 1000, why: `Retry-After ${retryAfterS}s`, key: null };
    else if (retryAfterDate !== null && retryAfterDate > now) hold = { until: retryAfterDate, why: 'Retry-After', key: null };
    else {
      const named: [string, Budget, string | null][] = [['requests', this.requests, null], ['complexity', this.complexity, null]];
      if (endpoint !== null && this.endpoints.has(endpoint)) named.push([`endpoint ${endpoint} requests`, this.endpoints.get(endpoint)!, endpoint]);
      const spent = named
        .filter(([, b]) => b.remaining !== null && b.resetAt !== null && b.resetAt > now)
        .map(([name, b, key]) => ({ name, b, key, share: b.limit ? b.remaining! / b.limit : b.remaining! <= 0 ? 0 : 1 }))
        .sort((a, b) => a.share - b.share || b.b.resetAt! - a.b.resetAt!)[0];
      hold = spent
        ? { until: spent.b.resetAt!, why: `${spent.name} budget: ${spent.b.remaining}${spent.b.limit !== null ? ` of ${spent.b.limit}` : ''} left`, key: spent.key }
        : { until: now + 60_000, why: 'no reset time given', key: null };
    }
    this.blocked.set(hold.key, Math.max(hold.until, this.blocked.get(hold.key) ?? 0));
    return { until: hold.until, why: hold.why };
  }

  view(): BudgetView {
    return { requests: copy(this.requests), complexity: copy(this.complexity), endpoints: Object.fromEntries([...this.endpoints].map(([k, b]) => [k, copy(b)])) };
  }
}

function update(b: Budget, h: Headers, name: 'requests' | 'complexity'): void {
  const limit = parseNum(h.get(`x-ratelimit-${name}-limit`));
  const remaining = parseNum(h.get(`x-ratelimit-${name}-remaining`));
  const resetAt = parseReset(h.get(`x-ratelimit-${name}-reset`));
  if (remaining !== null) Object.assign(b, { limit: limit ?? b.limit, remaining, resetAt: resetAt ?? b.resetAt });
}
