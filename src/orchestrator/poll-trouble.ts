// What a poll meets that is not a ticket: a poll that throws, a tracker that fails (a pause, a refusal that
// retrying cannot fix, or a plain error) and the code host's standing problems. Each is logged once when it appears and
// kept in the daemon's view (for `swarm status`) while it lasts.
import { TrackerError } from '../errors.js';
import { isDiskFull } from '../util/atomic-file.js';
import { pause } from '../core/lifecycle.js';
import { activePause, trackerPause } from '../core/policy.js';
import type { DaemonInfo } from '../core/types.js';
import type { Logger } from '../log/logger.js';
import type { Ledger } from '../state/ledger.js';

/**
 * A poll that threw (a bug, a full disk) must not take the fleet down: said once per distinct message, and
 * polled again later. A full disk is its own pause (disk_full, logged by the ledger), not a poll error.
 * Returns the message, for the next comparison.
 */
export function pollFailed(err: unknown, last: string | null, log: Logger): string {
  const message = (err as Error)?.message ?? String(err);
  if (message !== last && !isDiskFull(err)) log.event({ type: 'poll_error', error: message });
  return message;
}

/** The code host's standing problems (a permission the token lacks, a repository that moved), refreshed. */
export function noteCodeHost(daemon: DaemonInfo, notes: string[], log: Logger): void {
  const before = daemon.notes ?? [];
  for (const n of notes) if (!before.includes(n)) log.warn(n);
  if (JSON.stringify(before) !== JSON.stringify(notes)) daemon.notes = notes;
}

/**
 * The tracker failed a poll: a pause when the failure says so (a rate limit, a dead token), a standing
 * refusal when retrying cannot help (Linear: the poll is too complex), else one log line.
 */
export async function trackerTrouble(d: { ledger: Ledger; daemon: DaemonInfo; log: Logger; now: number; pollInterval: number }, err: unknown): Promise<void> {
  const { now } = d;
  const message = err instanceof Error ? err.message : String(err);
  const p = trackerPause({ kind: err instanceof TrackerError ? err.kind : undefined, message, retryAt: err instanceof TrackerError ? err.retryAt : null }, now);
  if (p) {
    if (!activePause(d.ledger.state.pause, now)) await d.ledger.commit(pause(p, now));
    return;
  }
  if (err instanceof TrackerError && err.kind === 'too_complex') {
    // Permanent (the adapter never resends a refused document): one log line per distinct message, and a
    // record in the daemon's view (reported at the end of the poll), kept alive by each refused poll and gone a few polls after the last.
    const last = d.daemon.tracker_error;
    const known = last && last.message === message && Date.parse(last.until) > now ? last : null;
    if (!known) d.log.event({ type: 'tracker_refused', error: message });
    const until = new Date(now + 3 * d.pollInterval + 5_000).toISOString();
    d.daemon.tracker_error = { message, since: known?.since ?? new Date(now).toISOString(), until };
    return;
  }
  d.log.event({ type: 'tracker_error', error: message });
}
