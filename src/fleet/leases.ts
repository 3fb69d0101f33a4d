// What the loop needs from the other daemons sharing its tickets, and nothing about how: the embedded
// backend has none (every ticket is this daemon's), the PostgreSQL backend (`state.url`) answers from the
// database. The loop, the dispatcher, reconcile and the tracker sync ask this before they claim a ticket,
// write to the tracker for it, or start its agent; they never see SQL. Operator requests passed between
// daemons are control-relay.ts; who else is working, for status, is view.ts.
import type { Fence } from './fence.js';

/** A ticket taken over from a holder that is gone (its agent group may still run on this host). */
export interface Takeover {
  holder: string;
  host: string | null;
  agentPid: number | null;
  agentPidStart: string | null;
  /** The holder ran in this machine's boot and PID namespace: its orphaned agent group may be killed here. */
  local: boolean;
}

/** This daemon's claims on tickets: taken, renewed, confirmed before a write, let go. */
export interface Leases {
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
  /** Called with the keys whose leases were lost (partitioned, or taken over after a stall). */
  onLost(fn: (keys: string[]) => void): void;
}
