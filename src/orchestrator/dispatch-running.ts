// The agents the dispatcher runs (one entry per ticket from claim to end), and what the claim
// (dispatch-claim.ts) and the attempt (dispatch-attempt.ts) are handed by the Dispatcher that owns them.
import type { Ticket } from '../tracker/types.js';
import type { EligibilityContext } from '../core/policy.js';
import { laneOf } from '../core/lanes.js';
import type { Inbox } from '../agent/inbox.js';
import type { UntrustedTickets } from './untrusted.js';
import type { DispatcherDeps } from './dispatcher-deps.js';

export interface Running {
  ac: AbortController;
  ticket: Ticket;
  done: Promise<void>;
  /** The agent process was started (a claim still preparing is not). */
  spawned: boolean;
  /** Fleet mode: this daemon lost the ticket's lease; it writes nothing more for it. */
  lost: boolean;
  /** This run is the shared account's one canary after a usage limit; `proved`: it passed. */
  canary: { held: boolean; proved: boolean };
  /** The live session's operator inbox (null before the spawn). */
  inbox: Inbox | null;
  /** Why it is being stopped, when swarm or an operator stopped it: the attempt's recorded reason. */
  stopReason: string | null;
}

export interface DispatchHost {
  d: DispatcherDeps;
  running: ReadonlyMap<string, Running>;
  /** Tickets whose text tracker.trust() refused (untrusted.ts). */
  untrusted: UntrustedTickets;
  /**
   * Branch → when swarm last prepared or ran an attempt for it (Infinity while it does): ref-guard.ts puts
   * back refs an agent changed in its branch's folder, except the branches swarm itself was working on.
   */
  branchActivity: Map<string, number>;
  context(): EligibilityContext;
  /** Run the ticket's attempt in a queue slot. */
  dispatch(ticket: Ticket): void;
}

/** Background-lane agents running or being prepared, other than `key`'s. */
export function background(h: DispatchHost, key: string | null): number {
  const cfg = h.d.settings.wf.config;
  let n = 0;
  for (const [k, r] of h.running) if (k !== key && laneOf(r.ticket, cfg) === 'background') n++;
  return n;
}

/** Agents that were actually started, other than `key`'s. */
export function live(h: DispatchHost, key: string): number {
  let n = 0;
  for (const [k, r] of h.running) if (k !== key && r.spawned) n++;
  return n;
}
