// POST /api/v1/refresh asks for a poll now. Each poll costs tracker requests (GitHub's secondary limits
// punish bursts), so the API grants at most one extra poll per polling interval: the first request in a
// window rings the loop, the rest are told when the next one may (429 + Retry-After). Pure over `now`.
import type { RefreshAnswer } from './api.js';

export class RefreshGate {
  private grantedAt = Number.NEGATIVE_INFINITY;

  /** Grant an extra poll at `now` if none was granted within the last `intervalMs`. */
  take(now: number, intervalMs: number): RefreshAnswer {
    const next = this.grantedAt + intervalMs;
    if (now < next) return { ok: false, retryAfterMs: next - now, intervalMs };
    this.grantedAt = now;
    return { ok: true };
  }
}
