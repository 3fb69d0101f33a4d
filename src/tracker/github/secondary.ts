// Secondary rate limits, the way GitHub asks clients to handle them ("Troubleshooting the REST API", rate
// limit errors): a secondary limit answers 403 or 429 "and an error message that indicates that you
// exceeded a secondary rate limit". Then: "If the retry-after response header is present, you should not
// retry your request until after that many seconds has elapsed. … Otherwise, wait for at least one minute
// before retrying. If your request continues to fail due to a secondary rate limit, wait for an
// exponentially increasing amount of time between retries, and throw an error after a specific number of
// retries. Continuing to make requests while you are rate limited may result in the banning of your
// integration."
//
// So one backoff per client (per token): `retry-after` when GitHub sends it; otherwise 60 s, doubling with
// every further limit before a success (capped). Until the wait is over no request is sent at all: a short
// wait is sat out by every request that comes along meanwhile; a long one is answered at once with a
// SecondaryLimitWait, which the adapters map to `rate_limited` (the loop pauses its tracker work).

export interface SecondaryVerdict {
  /** Seconds to wait before the next request. */
  waitSec: number;
  /** Limits met in a row (no success in between), this one included. */
  streak: number;
}

/** Answered instead of sending a request while the backoff lasts; reads as a 429 with `retry-after`. */
export class SecondaryLimitWait extends Error {
  readonly status = 429;
  readonly response: { status: number; url: string; headers: Record<string, string>; data: unknown };
  constructor(readonly waitSec: number, url = '') {
    super(`GitHub secondary rate limit: swarm waits ${waitSec}s before sending more requests (GitHub asks for that, and bans clients that keep sending)`);
    this.name = 'SecondaryLimitWait';
    this.response = { status: 429, url, headers: { 'retry-after': String(waitSec) }, data: null };
  }
}

function statusOf(err: unknown): number | null {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : null;
}

function headersOf(err: unknown): Record<string, string | undefined> {
  return (err as { response?: { headers?: Record<string, string | undefined> } } | null)?.response?.headers ?? {};
}

/** GitHub's words for a secondary limit (403 and 429 bodies alike). */
export function saysSecondary(err: unknown): boolean {
  const message = err instanceof Error ? err.message : '';
  return /secondary rate limit|abuse detection/i.test(message);
}

export class SecondaryBackoff {
  private streak = 0;
  private until = 0;

  constructor(
    private readonly now: () => number,
    /** Milliseconds per second of wait (tests shrink it). */
    private readonly msPerSec = 1000,
    private readonly firstSec = 60,
    private readonly maxSec = 30 * 60,
  ) {}

  /** Seconds left of the current wait (0 when requests may go). */
  remainingSec(): number {
    const left = this.until - this.now();
    return left > 0 ? Math.ceil(left / this.msPerSec) : 0;
  }

  /** Milliseconds left of the current wait, on the scale of the sleeps (0 when requests may go). */
  remainingMs(): number {
    return Math.max(0, this.until - this.now());
  }

  /** A request got through: the streak is over. */
  success(): void {
    this.streak = 0;
  }

  /**
   * The wait after `err`, or null when it is not a secondary limit: another 403 (a permission), or the
   * primary limit (`x-ratelimit-remaining: 0` without the secondary wording), which waits for its reset.
   */
  onError(err: unknown): SecondaryVerdict | null {
    const status = statusOf(err);
    if (status !== 403 && status !== 429) return null;
    if (err instanceof SecondaryLimitWait) return null;
    const h = headersOf(err);
    const after = h['retry-after'];
    const retryAfter = after !== undefined && after !== '' && Number.isFinite(Number(after)) ? Math.max(0, Number(after)) : null;
    if (h['x-ratelimit-remaining'] === '0' && !saysSecondary(err)) return null; // the primary limit
    if (!saysSecondary(err) && retryAfter === null && status !== 429) return null; // a permission
    this.streak++;
    const waitSec = retryAfter ?? Math.min(this.maxSec, this.firstSec * 2 ** (this.streak - 1));
    this.until = Math.max(this.until, this.now() + waitSec * this.msPerSec);
    return { waitSec, streak: this.streak };
  }
}
