// The operator's controls on a running daemon (control socket, HTTP API, the console): pause, resume,
// retry, release, cancel a running attempt, and a message into a running agent's session. Ticket requests go
// to the daemon holding the ticket (fleet mode); the pure decisions are in controls.ts, the steps are
// committed through the ledger and shown on the tracker like any other transition.
import type { Ledger } from '../state/ledger.js';
import type { Running } from './dispatcher.js';
import type { TrackerSync } from './sync.js';
import type { Runtime, Settings } from './runtime.js';
import { cancelControl, pauseControl, releaseControl, resumeControl, retryControl, type Control, type ControlResult, type TicketControlKind } from '../core/controls.js';
import { sendOperatorMessage } from './steer.js';

export interface OperatorDeps {
  rt: Runtime;
  ledger: Ledger;
  sync: TrackerSync;
  settings: Settings;
  running: ReadonlyMap<string, Running>;
  /** Wake the poll loop (a pause or a retry changes what it would do now). */
  wake: () => void;
}

export class OperatorControls {
  constructor(private readonly d: OperatorDeps) {}

  pause(untilMs: number | null): Promise<ControlResult> {
    return this.apply(pauseControl(this.d.ledger.state, untilMs, this.d.rt.now()));
  }

  resume(): Promise<ControlResult> {
    this.d.rt.containment?.accept(); // `swarm resume`: what is above the worktrees, and WORKFLOW.md, are the operator's
    return this.apply(resumeControl(this.d.ledger.state, this.d.rt.now()));
  }

  /** `swarm retry [--force]`: applied here, or (fleet mode) by the daemon holding the ticket. */
  retry(key: string, force = false): Promise<ControlResult> {
    return this.ticket(force ? 'retry-force' : 'retry', key);
  }

  /** `swarm release`: drop a claim (its agent stopped) and leave the ticket alone. */
  release(key: string): Promise<ControlResult> {
    return this.ticket('release', key);
  }

  /** Stop the running attempt (its process group; not counted) and leave the ticket alone. */
  cancel(key: string): Promise<ControlResult> {
    return this.ticket('cancel', key);
  }

  /** An operator's message into the running agent's session, taken in at its next turn. */
  message(key: string, text: string): ControlResult {
    return sendOperatorMessage(this.d.running, this.d.ledger, this.d.rt.log, key, text);
  }

  private async ticket(kind: TicketControlKind, key: string): Promise<ControlResult> {
    const c = this.d.rt.leases;
    const asked = await this.d.rt.controls.ask(key, kind, 3 * this.d.settings.wf.config.polling.interval);
    if (asked) return asked;
    // Nobody else holds it: take it (fleet mode) for as long as the change takes.
    if (c.shared && !c.holds(key) && (await c.acquire(key)) === null) return { ok: false, message: `another daemon took ${key} just now; try again` };
    return this.here(kind, key);
  }

  /** Apply an operator request to a ticket this daemon holds (also for requests other daemons pass on). */
  async here(kind: string, key: string): Promise<ControlResult> {
    const { rt, ledger } = this.d;
    const c = rt.leases;
    const now = rt.now();
    const retrying = kind === 'retry' || kind === 'retry-force';
    // A retry asks the tracker whether the ticket is still open (unknown when it cannot be read).
    const open = retrying ? await this.d.settings.svc.tracker.fetch(key).then((t) => t?.open ?? false, () => null) : null;
    const control = retrying
      ? retryControl(ledger.state, key, now, { force: kind === 'retry-force', open })
      : kind === 'cancel' ? cancelControl(ledger.state, key, now, this.d.running.has(key)) : releaseControl(ledger.state, key, now);
    const res = await this.apply(control);
    const entry = control.step && !retrying ? this.d.running.get(key) : undefined;
    if (entry) {
      const released = control.step!.events.find((e) => e.type === 'released');
      entry.stopReason = released && 'reason' in released ? released.reason : 'stopped by an operator';
      entry.ac.abort('cancel');
    }
    if (control.step) await this.d.sync.sync(key);
    const ts = ledger.state.tickets[key];
    if (c.shared && !this.d.running.has(key) && (!ts || (ts.synced_rev >= ts.rev && !['claimed', 'running', 'retry_wait'].includes(ts.status)))) await c.release(key);
    return res;
  }

  private async apply(control: Control): Promise<ControlResult> {
    if (control.step) await this.d.ledger.commit(control.step);
    this.d.wake();
    return control.result;
  }
}
