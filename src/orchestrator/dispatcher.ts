// The work side of the loop: claim a chosen ticket (fresh read, trust, dedup guard; dispatch-claim.ts), run
// its attempt in a p-queue slot and commit the outcome through the lifecycle (dispatch-attempt.ts), and have
// the tracker sync show it. The poll loop decides WHAT to claim; this file does the claiming and owns the
// running agents. Every state change is a lifecycle step committed to the ledger before the tracker hears of it.
import PQueue from 'p-queue';
import type { Ticket } from '../tracker/types.js';
import { isDiskFull } from '../util/atomic-file.js';
import { startFollowup, type FollowupStart } from './followup-start.js';
import type { EligibilityContext } from '../core/policy.js';
import { dispatchHold } from '../core/verify-policy.js';
import { verifyConfig } from '../config/verify.js';
import { UntrustedTickets } from './untrusted.js';
import type { DispatcherDeps } from './dispatcher-deps.js';
import { background, type DispatchHost, type Running } from './dispatch-running.js';
import { claimTaken } from './dispatch-claim.js';
import { runDispatched } from './dispatch-attempt.js';

export type { Running } from './dispatch-running.js';

export class Dispatcher {
  readonly running = new Map<string, Running>();
  /** Tickets whose text tracker.trust() refused (untrusted.ts). */
  readonly untrusted: UntrustedTickets;
  /**
   * Branch → when swarm last prepared or ran an attempt for it (Infinity while it does): ref-guard.ts puts
   * back refs an agent changed in its branch's folder, except the branches swarm itself was working on.
   */
  private readonly branchActivity = new Map<string, number>();
  private readonly queue: PQueue;
  /** What the claim and the attempt are handed (dispatch-running.ts). */
  private readonly host: DispatchHost;

  constructor(private readonly d: DispatcherDeps) {
    this.untrusted = new UntrustedTickets(d.rt);
    this.queue = new PQueue({ concurrency: d.settings.wf.config.agent.max_concurrent });
    this.host = {
      d, running: this.running, untrusted: this.untrusted, branchActivity: this.branchActivity,
      context: () => this.context(), dispatch: (t) => this.dispatch(t),
    };
    // A lease lost (partitioned, or taken over after a stall): stop that agent; its ending is not recorded.
    d.rt.leases.onLost((keys) => {
      for (const key of keys) {
        const r = this.running.get(key);
        if (!r) continue;
        r.lost = true;
        r.ac.abort('cancel');
      }
    });
  }

  setConcurrency(n: number): void {
    this.queue.concurrency = n;
  }

  abortAll(reason: 'shutdown' | 'cancel'): void {
    for (const r of this.running.values()) r.ac.abort(reason);
  }

  async waitForRuns(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.done));
    await this.queue.onIdle();
    await this.d.sync.settle();
  }

  context(): EligibilityContext {
    const coordinator = this.d.rt.leases;
    return {
      config: this.d.settings.wf.config, state: this.d.ledger.state, now: this.d.rt.now(), running: new Set(this.running.keys()), heldElsewhere: (k) => coordinator.heldElsewhere(k),
      account: this.d.account?.view() ?? null, backgroundRunning: background(this.host, null),
      hold: dispatchHold(this.d.ledger.state.base, verifyConfig(this.d.settings.wf.config)), waitsFor: this.d.waitsFor, disk: this.d.ledger.diskFullSince,
    };
  }

  /**
   * Re-read, check trust and the dedup guard, claim, and start the attempt in a queue slot. `justRead`: `t`
   * was read on its own moments ago (a webhook's targeted re-read), so it is not read a second time.
   */
  async claimAndDispatch(t: Ticket, opts: { justRead?: boolean } = {}): Promise<void> {
    const { rt, ledger } = this.d;
    const coordinator = rt.leases;
    if (this.untrusted.unchanged(t)) return;
    // Fleet mode: the ticket's lease first, so no two daemons ever prepare the same claim.
    const taken = await coordinator.acquire(t.key);
    if (taken === null) return;
    if (!(await claimTaken(this.host, t, taken, opts.justRead === true)) && !this.running.has(t.key)) {
      const ts = ledger.ticket(t.key);
      if (!ts || ts.synced_rev >= ts.rev) await coordinator.release(t.key);
    }
  }

  /** PR follow-through: start a follow-up for a handed-off ticket (same branch and worktree); see followup-start.ts. */
  startFollowup(key: string, f: FollowupStart): Promise<boolean> {
    return startFollowup(this.d, key, f, { running: (k) => this.running.has(k), dispatch: (t) => this.dispatch(t), untrusted: (t, why) => this.untrusted.note(t, why) });
  }

  private dispatch(ticket: Ticket): void {
    const entry: Running = { ac: new AbortController(), ticket, done: Promise.resolve(), spawned: false, lost: false, canary: { held: false, proved: false }, inbox: null, stopReason: null };
    this.running.set(ticket.key, entry);
    const branch = this.d.ledger.ticket(ticket.key)?.branch;
    if (branch) this.branchActivity.set(branch, Infinity);
    entry.done = this.queue
      .add(() => runDispatched(this.host, ticket, entry))
      .catch((err) => {
        // Its ending is folded into the state in memory: written (and shown on the tracker) once there is room.
        if (isDiskFull(err)) this.d.rt.log.warn(`the attempt's end could not be written (${(err as Error).message}); it is recorded once there is room again`, ticket.identifier);
        else this.d.rt.log.error(`attempt crashed: ${(err as Error).stack ?? err}`, ticket.identifier);
      })
      .finally(() => {
        this.running.delete(ticket.key);
        if (branch) this.branchActivity.set(branch, Date.now());
        void this.d.ledger.save().catch(() => undefined);
        this.d.alarm.ring();
      });
  }
}
