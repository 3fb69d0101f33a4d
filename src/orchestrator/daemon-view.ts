// What the running daemon knows beyond its records — its configuration in force, configuration and tracker
// errors, the code host's notes, webhook health, and its views of the fleet, the shared account and the
// queue — held in the loop's memory (never in state.json) and published as `.swarm/daemon.json`: as soon as
// the control endpoint listens, at the end of every poll, and when a view changes between polls.
import type { Workflow } from '../config/types.js';
import type { AccountSeen, DaemonInfo, LiveView, SwarmState, ViewedState } from '../core/types.js';
import type { Logger } from '../log/logger.js';
import { reportOf, writeReport } from '../report/daemon-report.js';

export interface DaemonViewDeps {
  /** `.swarm/daemon.json`. */
  file: string;
  workflowPath: string;
  pid: number;
  now: () => number;
  log: Logger;
  wf: () => Workflow;
  records: () => SwarmState;
  /** The disk-full pause in force (the ledger's), shown with the view. */
  diskFull: () => DaemonInfo['disk_full'];
}

export class DaemonView implements LiveView {
  readonly daemon: DaemonInfo;
  fleet: LiveView['fleet'] = null;
  account: LiveView['account'] = null;
  queue: LiveView['queue'] = null;
  /** Where this daemon can be reached (the surfaces set it once they listen). */
  endpoint: { socket: string | null; url: string | null } = { socket: null, url: null };

  constructor(private readonly d: DaemonViewDeps) {
    const now = new Date(d.now()).toISOString();
    this.daemon = {
      pid: d.pid, started_at: now, heartbeat_at: now, draining: false, config_error: null, workflow: d.workflowPath,
      max_attempts: 0, max_concurrent: 0, tracker_error: null, notes: [], webhooks: null,
    };
    this.refresh(); // the configuration in force, copied in one place
  }

  /** The records with this view: what the daemon's own status, explain and dashboard show. */
  viewed(): ViewedState {
    this.refresh();
    return { ...this.d.records(), daemon: this.daemon, fleet: this.fleet, account: this.account, queue: this.queue };
  }

  /** The shared account as last read: published at once when it changed (a limit between polls shows at once). */
  seeAccount(a: AccountSeen): void {
    const changed = JSON.stringify(a) !== JSON.stringify(this.account);
    this.account = a;
    if (changed) this.publish();
  }

  /** The endpoint is listening: published at once, so a control command finds it before the first poll ends. */
  listening(endpoint: { socket: string | null; url: string | null }): void {
    this.endpoint = endpoint;
    this.publish();
  }

  /** daemon.json, written whole (temp + rename); a write that fails (a full disk) is retried at the next publish. */
  publish(): void {
    this.refresh();
    const wf = this.d.wf();
    const report = reportOf(this, wf, { pid: this.d.pid, now: this.d.now(), workflow: this.d.workflowPath, ...this.endpoint });
    try {
      writeReport(this.d.file, report);
    } catch (err) {
      this.d.log.debug(`could not write ${this.d.file}: ${(err as Error).message}`);
    }
  }

  /** The configuration in force and the ledger's disk state, copied into the view. */
  private refresh(): void {
    const c = this.d.wf().config;
    Object.assign(this.daemon, {
      max_attempts: c.agent.max_attempts, max_concurrent: c.agent.max_concurrent, models: c.agent.models, max_followups: c.pr.max_followups,
      sandbox: c.agent.sandbox.enabled ? 'on' : 'unconfined', disk_full: this.d.diskFull() ?? null,
    });
  }
}
