// What the loop needs from the other daemons sharing its tickets, and nothing about how: the embedded
// store has none (every ticket is this daemon's), fleet mode (`state.url`) answers from PostgreSQL. The
// loop, the dispatcher, reconcile and the tracker sync ask this before they claim a ticket, write to the
// tracker for it, or start its agent; they never see SQL.

import type { ControlResult, TicketControlKind } from '../core/controls.js';
import { NO_FENCE, type Fence } from './fence.js';
import type { FleetView } from '../core/views.js';

/** A ticket taken over from a holder that is gone (its agent group may still run on this host). */
export interface Takeover {
  holder: string;
  host: string | null;
  agentPid: number | null;
  agentPidStart: string | null;
  /** The holder ran in this machine's boot and PID namespace: its orphaned agent group may be killed here. */
  local: boolean;
}

/** Who else is working: shown by `swarm status` (snapshot), the dashboard and /metrics. */
export interface Coordinator {
  /** True when other daemons share the tickets (fleet mode). */
  readonly shared: boolean;
  /** Start of a poll: heartbeat, leases renewed, the shared picture folded into the state. Never throws. */
  refresh(): Promise<void>;
  /** Whether new claims may be made now (not while the database is unreachable). */
  canClaim(): boolean;
  /**
   * Take the ticket for this daemon. null: another live daemon holds it. A Takeover: it was held by a
   * daemon that is gone — kill its orphan (same host) and interrupt its attempt before running again.
   */
  acquire(key: string): Promise<Takeover | 'free' | null>;
  /** This daemon holds the ticket now (fleet: its lease was renewed within the ttl): it may start its agent. */
  holds(key: string): boolean;
  /**
   * The ticket is this daemon's as far as it knows (fleet: no answer from the database said otherwise, even
   * if none confirmed it lately): its agent keeps running, its records wait to be sent.
   */
  owns(key: string): boolean;
  /** Confirms the lease right before an irreversible external write (fence.ts); the embedded one never refuses. */
  readonly fence: Fence;
  /** The live daemon that holds `key`, when it is another one. */
  heldElsewhere(key: string): string | null;
  /** The ticket is settled and its tracker picture in sync: let go of it. */
  release(key: string): Promise<void>;
  /** Its agent started (recorded so a takeover on the same host can kill an orphan). */
  agentStarted(key: string, pid: number, pidStart: string | null): void;
  /** Right before a spawn: the shared pause as it is now. */
  beforeSpawn(): Promise<void>;
  /**
   * An operator request for a ticket another live daemon holds: ask it, wait up to `waitMs` for its
   * answer. null: no other daemon holds it (apply it here).
   */
  ask(key: string, kind: TicketControlKind, waitMs: number): Promise<ControlResult | null>;
  /** Who applies operator requests other daemons pass on for tickets this one holds (or nobody does). */
  onControl(fn: (c: { kind: string; key: string }) => Promise<ControlResult>): void;
  /** Called with the keys whose leases were lost (partitioned, or taken over after a stall). */
  onLost(fn: (keys: string[]) => void): void;
  /** Push what is pending and leave the fleet (daemon stopping). */
  close(): Promise<void>;
  /** For status: the fleet as last seen; null outside fleet mode. */
  view(): FleetView | null;
}

/** The embedded store: one daemon, every ticket its own. */
export class LocalCoordinator implements Coordinator {
  readonly shared = false;
  readonly fence = NO_FENCE;
  async refresh(): Promise<void> {}
  canClaim(): boolean {
    return true;
  }
  async acquire(): Promise<'free'> {
    return 'free';
  }
  holds(): boolean {
    return true;
  }
  owns(): boolean {
    return true;
  }
  heldElsewhere(): string | null {
    return null;
  }
  async release(): Promise<void> {}
  agentStarted(): void {}
  async beforeSpawn(): Promise<void> {}
  onLost(): void {}
  onControl(): void {}
  async ask(): Promise<null> {
    return null;
  }
  async close(): Promise<void> {}
  view(): FleetView | null {
    return null;
  }
}
