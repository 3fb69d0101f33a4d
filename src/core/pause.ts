// The pause rules, for every kind of pause swarm keeps: the scope's own (rate limit, dead login, breaker,
// operator, tracker), the shared account's usage-limit pause and its per-model-family weekly limits.
// Two rules, each in one place: when a pause is in force, and that a pause in force is never shortened —
// a later limit with an earlier reset, or a breaker shorter than a usage limit, leaves it as it is, and an
// open-ended one (`until: null`, lifted only by a human) is never replaced by a timed one. Pure.

/** Anything that pauses until a moment (ISO), or until someone lifts it (null). */
export interface Until {
  until: string | null;
}

/** The pause still in force at `now` (an open-ended one always is), or null. */
export function pauseInForce<P extends Until>(pause: P | null | undefined, now: number): P | null {
  if (!pause) return null;
  if (pause.until !== null && Date.parse(pause.until) <= now) return null;
  return pause;
}

/** Whether `held`, a pause in force, stands against `next`: it is open-ended, or ends no earlier. */
export function outlasts(held: Until | null, next: Until): boolean {
  return held !== null && (held.until === null || (next.until !== null && Date.parse(held.until) >= Date.parse(next.until)));
}

/** The pause that stands when `next` arrives at `now`: the one in force if it outlasts `next`, else `next`. */
export function mergePause<P extends Until>(current: P | null, next: P, now: number): P {
  const held = pauseInForce(current, now);
  return held !== null && outlasts(held, next) ? held : next;
}
