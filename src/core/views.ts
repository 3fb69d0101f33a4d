// The views a daemon keeps of the world beyond its own records, as state.json carries them for `swarm
// status`: the fleet (daemons, leases, the database), the webhook sources' health and the queue. Plain data.
import type { Lane } from './lanes.js';

export interface FleetView {
  /** This daemon's id (host:pid:start:instance). */
  self: string;
  db: { status: 'ok' | 'unreachable'; since: string; error: string | null };
  daemons: { id: string; host: string; pid: number; heartbeat_at: string; running: number; max_concurrent: number; draining: boolean; stopped: boolean; repo_dir: string | null }[];
  leases: { key: string; holder: string; expires_at: string; agent_pid: number | null }[];
  /**
   * This daemon's tickets whose lease no renewal has confirmed within the ttl (the database is not
   * answering): their agents run on; their pushes, PRs and tracker writes wait for the fence.
   */
  unconfirmed?: string[];
  refreshed_at: string;
  /** Statements this daemon has sent to the database so far (for /metrics and the bench). */
  db_round_trips?: number;
}

export type WebhookSource = 'github' | 'linear';

export type SourceHealth = 'off' | 'waiting' | 'healthy' | 'silent';

export interface WebhookView {
  github: { state: SourceHealth; last_at: string | null };
  linear: { state: SourceHealth; last_at: string | null };
  /** Where ticket changes come from (the tracker's source), null for the local tracker. */
  tickets_from: WebhookSource | null;
  /** The poll interval in force (ms) and the configured one it falls back to. */
  poll_interval_ms: number;
  polling_interval_ms: number;
  /** The PR watch interval in force (ms). */
  watch_interval_ms: number;
}

export type LaneName = 'urgent' | 'normal' | 'background';

/** A ticket that could run but waits for something other than a free slot or its retry time. */
export interface WaitingTicket {
  ticket: string;
  key: string;
  title: string;
  lane: LaneName;
  waiting_because: string;
}

export interface QueueView {
  /** Tickets that may run but wait for their lane, a pause or the budget, in queue order. */
  waiting: WaitingTicket[];
  /** The lane of every listed ticket, and why it waits when it waits for more than its retry time. */
  lanes: Record<string, { lane: Lane; waiting_because?: string }>;
  /** Tickets waiting to start, per lane: the waiting ones and the eligible ones without a free slot. */
  lane_queue: Record<Lane, number>;
  /** Labelled tickets refused by the trust check (tracker.trust), with why and what fixes it. */
  untrusted?: { ticket: string; key: string; title: string; reason: string; fix: string }[];
}

/**
 * What a fleet database outage means, in the words `swarm status`, the dashboard banner and the README
 * use: agents run on, their results wait, nothing new starts. (The behaviour: backend/postgres/leases.ts, fleet/fence.ts.)
 */
export function dbDownMeaning(unconfirmed: readonly string[] = []): string {
  const waiting = unconfirmed.length > 0 ? ` (waiting: ${unconfirmed.join(', ')})` : '';
  return `running agents continue; their pushes, pull requests and tracker updates wait until the database confirms their leases${waiting}; no new claims`;
}
