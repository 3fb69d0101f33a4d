// PURE: what a finished run does — hand off, retry after a backoff, fail for good,
// pause the account or the login, or stop as cancelled — and the circuit breaker that turns a run of
// infrastructure failures into a pause. No I/O and no clock reads: `now` and the jitter are passed in.
import type { Config } from '../config/types.js';
import type { Classification } from '../agent/types.js';
import type { PauseState } from './types.js';
import { backoffMs } from './policy.js';
import { formatMs } from '../util/format.js';
import { limitFamily } from './limits.js';

export type Effect =
  | { kind: 'handoff' }
  | { kind: 'retry'; at: number; reason: string }
  | { kind: 'failed'; reason: string }
  | { kind: 'pause'; pause: PauseState; retryAt: number | null }
  /** A weekly limit on one model family: this ticket (whose attempt ran on it) waits; nothing else is paused. */
  | { kind: 'model_wait'; family: string; limit: Omit<PauseState, 'since' | 'kind'> & { until: string }; retryAt: number }
  | { kind: 'cancelled' };

export interface BreakerState {
  recent: boolean[];
  consecutive: number;
  level: number;
}

const BREAKER_BASE_MS = 5 * 60_000;
const BREAKER_MAX_MS = 60 * 60_000;
/** Default pause for a limit that did not say when it resets (API-key 429). */
const UNKNOWN_RESET_MS = 5 * 60_000;

/** What a finished attempt does. `failuresAfter` already includes this attempt if it counted. */
export function effectOf(cls: Classification, failuresAfter: number, config: Config, now: number, jitter: number): Effect {
  const a = config.agent;
  switch (cls.outcome) {
    case 'pr_opened':
    case 'pr_auto_opened':
      return { kind: 'handoff' };
    case 'cancelled':
      return { kind: 'cancelled' };
    case 'rate_limited': {
      const until = (cls.resetAt !== null && cls.resetAt > now ? cls.resetAt : now + UNKNOWN_RESET_MS) + jitter;
      const family = limitFamily(cls.limitType);
      if (family !== null) return { kind: 'model_wait', family, limit: { reason: cls.reason, until: iso(until), limit_type: cls.limitType }, retryAt: until };
      const pause: PauseState = { kind: 'rate_limit', reason: cls.reason, since: iso(now), until: iso(until), limit_type: cls.limitType};
      return { kind: 'pause', pause, retryAt: until };
    }
    case 'auth_failed': {
      const pause: PauseState = { kind: 'auth', reason: cls.reason, since: iso(now), until: null, limit_type: null };
      return { kind: 'pause', pause, retryAt: null };
    }
    case 'infra_failed':
      return { kind: 'retry', at: now + a.retry_backoff, reason: cls.reason };
    default:
      if (cls.final === true || failuresAfter >= a.max_attempts) return { kind: 'failed', reason: cls.reason };
      return { kind: 'retry', at: now + backoffMs(failuresAfter, a.retry_backoff, a.max_retry_backoff), reason: cls.reason };
  }
}

/**
 * Feed one finished run into the circuit breaker. `infra` = the run was an infra failure (fast-fail,
 * startup error, 5xx). Returns the new breaker and, when it trips, the pause to apply.
 */
export function breakerStep(b: BreakerState, infra: boolean, now: number): { breaker: BreakerState; pause: PauseState | null } {
  const recent = [...b.recent, infra].slice(-5);
  const consecutive = infra ? b.consecutive + 1 : 0;
  const failedRecent = recent.filter(Boolean).length;
  const trips = infra && (consecutive >= 3 || (recent.length >= 5 && failedRecent / recent.length >= 0.8));
  if (!trips) return { breaker: { recent, consecutive, level: infra ? b.level : 0 }, pause: null };
  const ms = Math.min(BREAKER_MAX_MS, BREAKER_BASE_MS * 2 ** b.level);
  return {
    breaker: { recent: [], consecutive: 0, level: b.level + 1 },
    pause: {
      kind: 'breaker',
      reason: `circuit breaker: ${consecutive >= 3 ? `${consecutive} infrastructure failures in a row` : `${failedRecent} of the last ${recent.length} runs failed on infrastructure`}; pausing ${formatMs(ms)}`,
      since: iso(now),
      until: iso(now + ms),
      limit_type: null,
    },
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
