// The state of a repository swarm has never run in (or whose state file had to be moved aside).
import { STATE_VERSION, type SwarmState } from '../core/types.js';
import { emptyDaily } from '../core/records.js';

export function emptyState(now: number): SwarmState {
  return {
    version: STATE_VERSION,
    tickets: {},
    pause: null,
    canary: false,
    breaker: { recent: [], consecutive: 0, level: 0 },
    daily: emptyDaily(now),
  };
}
