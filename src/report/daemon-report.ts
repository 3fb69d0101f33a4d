// `.swarm/daemon.json`: what the running daemon reports — as soon as its control endpoint listens, at the
// end of every poll, and whenever a view changes between polls — its pid and where it can be reached, the configuration in force (so a WORKFLOW.md edit shows at the next poll), configuration and
// tracker errors, the code host's standing problems, and its views of the webhooks, the fleet, the shared
// account and the queue. `swarm status`, `swarm explain` and the dashboard read the ticket records from
// state.json and the rest from here (state.json carries none of it); a report from a daemon that is not the
// lock's live holder is ignored. It replaces `.swarm/control.json`: the control client finds the socket here.
import { readFileSync } from 'node:fs';
import type { Workflow } from '../config/types.js';
import type { AccountSeen, SwarmState, ViewedState } from '../core/types.js';
import type { FleetView, QueueView, WebhookView } from '../core/views.js';
import { isObj, num, numOrNull, str, strOrNull } from '../util/json.js';
import { writeFileAtomic } from '../util/atomic-file.js';

export const REPORT_VERSION = 1;

export interface DaemonReport {
  version: number;
  pid: number;
  /** When this report was written. */
  at: string;
  /** When the daemon started (its lock's start time). */
  started_at: string;
  /** Draining: no new work, running agents finish. */
  draining: boolean;
  workflow: string;
  /** The control socket and the dashboard URL (server.port), when this daemon has them. */
  socket: string | null;
  url: string | null;
  /** The configuration in force: WORKFLOW.md as last loaded without error. */
  config: { max_attempts: number; max_concurrent: number; models: string[]; max_followups: number; sandbox: 'on' | 'unconfined'; poll_interval_ms: number };
  config_error: string | null;
  tracker_error: { message: string; since: string; until: string } | null;
  notes: string[];
  webhooks: WebhookView | null;
  fleet: FleetView | null;
  account: AccountSeen | null;
  queue: QueueView | null;
}

/** The report of a daemon whose view is `v` and whose configuration in force is `wf` (pure). */
export function reportOf(v: Omit<ViewedState, keyof SwarmState>, wf: Workflow, o: { pid: number; now: number; workflow: string; socket: string | null; url: string | null }): DaemonReport {
  const c = wf.config;
  const d = v.daemon;
  return {
    version: REPORT_VERSION,
    pid: o.pid,
    at: new Date(o.now).toISOString(),
    started_at: d?.started_at ?? '',
    draining: d?.draining === true,
    workflow: o.workflow,
    socket: o.socket,
    url: o.url,
    config: {
      max_attempts: c.agent.max_attempts,
      max_concurrent: c.agent.max_concurrent,
      models: [...c.agent.models],
      max_followups: c.pr.max_followups,
      sandbox: c.agent.sandbox.enabled ? 'on' : 'unconfined',
      poll_interval_ms: c.polling.interval,
    },
    config_error: d?.config_error ?? null,
    tracker_error: d?.tracker_error ?? null,
    notes: [...(d?.notes ?? [])],
    webhooks: d?.webhooks ?? null,
    fleet: v.fleet ?? null,
    account: v.account ?? null,
    queue: v.queue ?? null,
  };
}

/** Written whole or not at all (a reader never sees half a report). */
export function writeReport(file: string, report: DaemonReport): void {
  writeFileAtomic(file, JSON.stringify(report) + '\n');
}

/** The report on disk, read leniently (a missing or malformed file, or another version's: null). */
export function readReport(file: string): DaemonReport | null {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  if (!isObj(raw) || raw.version !== REPORT_VERSION || numOrNull(raw.pid) === null || !isObj(raw.config)) return null;
  const c = raw.config;
  const te = isObj(raw.tracker_error) ? raw.tracker_error : null;
  return {
    version: REPORT_VERSION,
    pid: num(raw.pid),
    at: str(raw.at),
    started_at: str(raw.started_at),
    draining: raw.draining === true,
    workflow: str(raw.workflow),
    socket: strOrNull(raw.socket),
    url: strOrNull(raw.url),
    config: {
      max_attempts: num(c.max_attempts, 3),
      max_concurrent: num(c.max_concurrent, 1),
      models: Array.isArray(c.models) ? c.models.filter((m): m is string => typeof m === 'string') : [],
      max_followups: num(c.max_followups),
      sandbox: c.sandbox === 'unconfined' ? 'unconfined' : 'on',
      poll_interval_ms: num(c.poll_interval_ms),
    },
    config_error: strOrNull(raw.config_error),
    tracker_error: te && typeof te.message === 'string' ? { message: te.message, since: str(te.since), until: str(te.until) } : null,
    notes: Array.isArray(raw.notes) ? raw.notes.filter((n): n is string => typeof n === 'string') : [],
    // Views are shown, never acted on: taken as written by the daemon that wrote them.
    webhooks: isObj(raw.webhooks) ? (raw.webhooks as unknown as WebhookView) : null,
    fleet: isObj(raw.fleet) ? (raw.fleet as unknown as FleetView) : null,
    account: isObj(raw.account) && isObj(raw.account.record) ? (raw.account as unknown as AccountSeen) : null,
    queue: isObj(raw.queue) ? (raw.queue as unknown as QueueView) : null,
  };
}

/**
 * The records with the view the report of their daemon gives (pure): its configuration in force, errors,
 * notes and views. No report (no live daemon, or not yet written): the records alone, with no view — and,
 * from `last` (the report a stopped daemon left), the configuration it ran with, its account and its fleet view.
 */
export function withReport(state: SwarmState, report: DaemonReport | null, last: DaemonReport | null = null): ViewedState {
  if (!report) {
    const c = last?.config;
    // What outlives the daemon, as state.json showed it before the report existed: the shared account this
    // clone runs on (its file is read again, so the figures are fresh: seenAccount()) and the fleet as last
    // seen (its refreshed_at and heartbeat ages say how old; a daemon in another PID namespace — a container
    // — is not a live holder from here). Errors, notes, draining and the queue were the daemon's: not shown.
    return {
      ...state,
      daemon: null,
      configured: c ? { max_attempts: c.max_attempts, max_concurrent: c.max_concurrent, models: c.models, max_followups: c.max_followups } : null,
      account: last?.account ?? null,
      fleet: last?.fleet ?? null,
    };
  }
  const c = report.config;
  return {
    ...state,
    daemon: {
      pid: report.pid,
      started_at: report.started_at,
      heartbeat_at: report.at,
      draining: report.draining,
      config_error: report.config_error,
      workflow: report.workflow,
      max_attempts: c.max_attempts,
      max_concurrent: c.max_concurrent,
      models: c.models,
      max_followups: c.max_followups,
      sandbox: c.sandbox,
      tracker_error: report.tracker_error,
      notes: report.notes,
      webhooks: report.webhooks,
    },
    fleet: report.fleet,
    account: report.account,
    queue: report.queue,
  };
}

/** The report of the live daemon that holds `lock`, or null: a report left by a dead daemon, or by another pid, is ignored. */
export function liveReport(file: string, holder: { pid: number } | null): DaemonReport | null {
  if (!holder) return null;
  const r = readReport(file);
  return r && r.pid === holder.pid ? r : null;
}
