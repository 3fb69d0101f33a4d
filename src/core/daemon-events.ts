// The daemon's operational events (its lifecycle, surfaces, errors, fleet and account notices): logged to
// `.swarm/events.jsonl` like every event, but they change no ticket record, so a replay has nothing to fold.
// DAEMON_DECODERS sits beside the union and is keyed by every one of its types: a daemon event added here
// without its line does not compile (events.ts spreads it into the table decodeEvent() reads).
import type { PauseKind } from './types.js';

interface At {
  /** ISO time of the transition. */
  at: string;
}

export type DaemonEvent =
  | (At & { type: 'daemon_started'; pid: number; mode: string; tracker: string; max_concurrent: number })
  | (At & { type: 'daemon_stopped'; code: number })
  | (At & { type: 'draining'; running: number })
  | (At & { type: 'recovered'; interrupted: number })
  | (At & { type: 'orphan_killed'; ticket: string | null; pid: number; found_by: 'state' | 'environment' })
  | (At & { type: 'state_moved_aside'; moved_to: string; message: string })
  | (At & { type: 'state_rebuilt'; tickets: number; events: number; counted_failures: number; pause: PauseKind | null; file: string })
  | (At & { type: 'config_error'; error: string })
  | (At & { type: 'config_ok'; file: string })
  | (At & { type: 'poll_error'; error: string })
  | (At & { type: 'tracker_error'; error: string })
  /** The tracker refuses the poll itself (Linear: too complex): permanent, logged once per message. */
  | (At & { type: 'tracker_refused'; error: string })
  | (At & { type: 'sync_failed'; ticket: string; key: string; error: string })
  | (At & { type: 'ignored'; ticket: string; reason: string })
  /**
   * Someone swarm does not trust made a change that would be an operator's order (took failed_label or
   * pr.needs_human_label off, moved a Linear issue out of failed_state): not obeyed, the mark is put back.
   */
  | (At & { type: 'control_refused'; ticket: string; key: string; by: string; change: string; reason: string })
  | (At & { type: 'gc'; removed: string[]; kept: { path: string; reason: string }[]; transcripts_deleted: number; bytes_freed: number; errors: string[] })
  | (At & { type: 'server_started'; url: string })
  /** Fleet mode: the database became unreachable, or reachable again. */
  | (At & { type: 'fleet_db'; status: 'ok' | 'unreachable'; error: string | null })
  /** Fleet mode: this daemon's lease on a ticket is gone (another daemon holds it): its agent stops, it writes nothing more for it. */
  | (At & { type: 'lease_lost'; ticket: string; key: string })
  /**
   * Fleet mode: an external write for a ticket (`what`: git push, pull request, tracker update) was not
   * sent — `lost`: another daemon holds the lease now (this run is interrupted, not recorded here);
   * `unreachable`: the database cannot confirm the lease yet (publication waits for it).
   */
  | (At & { type: 'fenced'; ticket: string; key: string; what: string; verdict: 'lost' | 'unreachable' })
  /** Fleet mode: this daemon took a ticket over from a holder that stopped renewing its lease. */
  | (At & { type: 'taken_over'; ticket: string; key: string; from: string })
  /** This daemon joined the shared Claude account (`where`: its file, or the fleet database). */
  | (At & { type: 'account_joined'; account: string; from: string; where: string; others: number })
  /** This daemon's agent hit the account's usage limit: every daemon on the account waits until `until`. */
  /** `model_family`: a weekly limit scoped to one model family (seven_day_opus): only attempts on it wait. */
  | (At & { type: 'account_limit'; account: string; until: string; reason: string; model_family?: string })
  /** The account's one canary run after a limit: taken by this daemon, passed, or given back unproven. */
  | (At & { type: 'account_canary'; account: string; change: 'claimed' | 'passed' | 'released'; ticket: string })
  /** The shared account record could not be read or written (logged once per message). */
  | (At & { type: 'account_error'; error: string })
  /** The disk (or the file-size limit) refused a write of state.json or events.jsonl: dispatch pauses, the old file is kept. */
  | (At & { type: 'disk_full'; file: string; error: string })
  /** swarm could write its files again: the disk-full pause ended (`unwritten`: event lines held in memory meanwhile, now written). */
  | (At & { type: 'disk_recovered'; since: string; file: string; unwritten: number })
  /** An operator's message delivered into a running agent's session (the console or the API). */
  | (At & { type: 'operator_message'; ticket: string; key: string; attempt: number; text: string })
  /** The Claude account's usage window as an agent's stream reported it (sampled: on a change, or every few minutes). */
  | (At & { type: 'account_window'; status: string; utilization: number | null; limit_type: string | null; resets_at: string | null })
  /**
   * A request on a webhook route: what was received and what became of it (`result`; `event` is null when
   * the request was not verified, as its headers are then only the sender's word).
   */
  | (At & { type: 'webhook'; source: 'github' | 'linear'; event: string | null; action: string | null; delivery: string | null; result: string; status: number; detail: string })
  /** Webhooks of a source became healthy (a verified delivery) or went silent: the poll interval in force changes. */
  | (At & { type: 'webhooks_health'; source: 'github' | 'linear'; state: 'healthy' | 'silent'; poll_interval_ms: number; detail: string });

/** Operational events: a replay has nothing to fold, so a logged one decodes to nothing. */
const operational = (): null => null;

export const DAEMON_DECODERS: { [K in DaemonEvent['type']]: typeof operational } = {
  daemon_started: operational,
  daemon_stopped: operational,
  draining: operational,
  recovered: operational,
  orphan_killed: operational,
  state_moved_aside: operational,
  state_rebuilt: operational,
  config_error: operational,
  config_ok: operational,
  poll_error: operational,
  tracker_error: operational,
  tracker_refused: operational,
  sync_failed: operational,
  ignored: operational,
  gc: operational,
  server_started: operational,
  fleet_db: operational,
  lease_lost: operational,
  taken_over: operational,
  account_joined: operational,
  account_limit: operational,
  account_canary: operational,
  account_error: operational,
  disk_full: operational,
  disk_recovered: operational,
  // A refused control (an untrusted user took a mark off) only re-syncs the tracker; a fenced write was not
  // sent (the attempt's own finished/interrupted event says what became of it); webhooks only wake the loop.
  control_refused: operational,
  fenced: operational,
  webhook: operational,
  webhooks_health: operational,
  // An operator's message reached a running agent (its transcript keeps it); the account window is the shared record's.
  operator_message: operational,
  account_window: operational,
};
