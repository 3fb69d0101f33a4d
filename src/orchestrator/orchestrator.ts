// The poll loop: reload → reconcile → fetch → choose → claim → dispatch. It sequences work; parsing lives
// in the adapters and the stream parser, every decision in policy.ts, every state change in the lifecycle
// (committed through the ledger), every tracker write in the sync.
import { join } from 'node:path';
import type { Workflow } from '../config/types.js';
import { trackerFingerprint } from '../config/tracker-facts.js';
import type { Ticket } from '../tracker/types.js';
import type { SwarmState, ViewedState } from '../core/types.js';
import { Ledger } from '../state/ledger.js';
import { resume } from '../core/lifecycle.js';
import { capacity, choose, eligibilityChecks, type EligibilityContext } from '../core/policy.js';
import { idleVerdict } from '../core/idle.js';
import { canaryTurn } from '../core/account-policy.js';
import { queueView, untrustedView } from '../core/queue.js';
import { AccountLink } from './account-link.js';
import { reconcile } from './reconcile.js';
import { Dispatcher, type Running } from './dispatcher.js';
import { TrackerSync } from './sync.js';
import { PrFollower } from './follower.js';
import { Verifier } from './verifier.js';
import { Alarm } from './alarm.js';
import { OperatorControls } from './operator.js';
import { checkHolds } from './holds.js';
import { WebhookLink } from './webhook-link.js';
import { targetedRound } from './targeted.js';
import type { Runtime, ServiceFactory, Services, Settings } from './runtime.js';
import { pauseInForce } from '../core/pause.js';
import { DaemonView } from './daemon-view.js';
import { WorkflowReloader } from './reload.js';
import { noteCodeHost, pollFailed, trackerTrouble } from './poll-trouble.js';
import { sleepUntilDue } from './wake.js';

export type Mode = 'daemon' | 'once' | 'until-idle';

export class Orchestrator {
  readonly ledger: Ledger;
  readonly sync: TrackerSync;
  private readonly work: Dispatcher;
  /** PR follow-through: watches handed-off PRs and starts follow-ups. */
  readonly follower: PrFollower;
  /** Verification after merge: the base branch after each swarm merge, reverts, auto-merge. */
  readonly verifier: Verifier;
  /** The shared Claude account (null when the runtime has none). */
  readonly account: AccountLink | null;
  /** Operator controls: pause, resume, retry, release, cancel, messages to a running agent. */
  readonly controls: OperatorControls;
  /** Webhook deliveries: the dirty set, health and the intervals they allow, the numbers for /metrics. */
  readonly webhooks: WebhookLink;
  private readonly alarm = new Alarm();
  private readonly settings: Settings;
  private draining = false;
  private stopped = false;
  private readonly reloader: WorkflowReloader;
  private lastPollError: string | null = null;
  private lastTickets: Ticket[] = [];
  private lastPollAt = 0;
  /** What this daemon knows beyond its records (config in force, errors, views), published as daemon.json. */
  readonly view: DaemonView;
  /** Listed tickets eligible at the end of the last poll but without a free slot (for /metrics). */
  eligibleWaiting = 0;
  /** For /metrics: how many polls ran and how long the last one took (ms). */
  readonly pollStats = { count: 0, lastDurationMs: 0, lastAt: 0 };

  constructor(
    readonly rt: Runtime,
    private readonly makeServices: ServiceFactory,
    wf: Workflow,
    svc: Services,
    state: SwarmState,
    private readonly workflowPath: string,
  ) {
    this.settings = { wf, svc };
    this.ledger = new Ledger(state, rt.store, rt.log);
    this.view = new DaemonView({
      file: rt.paths.report, workflowPath, pid: process.pid, now: rt.now, log: rt.log,
      wf: () => this.settings.wf, records: () => this.ledger.state, diskFull: () => this.ledger.diskFullSince,
    });
    this.sync = new TrackerSync(this.ledger, this.settings, rt.log, rt.leases);
    this.account = rt.account ? new AccountLink({ ...rt.account, ledger: this.ledger, view: this.view, log: rt.log, now: rt.now }) : null;
    this.verifier = new Verifier({ rt, ledger: this.ledger, sync: this.sync, settings: this.settings, watchInterval: () => this.webhooks.watchInterval() });
    this.work = new Dispatcher({ rt, ledger: this.ledger, sync: this.sync, settings: this.settings, alarm: this.alarm, account: this.account, waitsFor: (k) => this.verifier.revertWait(k) });
    this.webhooks = new WebhookLink({
      settings: this.settings, log: rt.log, now: rt.now, random: rt.random, daemon: this.view.daemon,
      deliveriesFile: join(rt.paths.dir, 'webhook-deliveries.log'), nudge: () => this.alarm.nudge(),
    });
    this.follower = new PrFollower({
      rt, ledger: this.ledger, sync: this.sync, settings: this.settings, work: this.work, watchInterval: () => this.webhooks.watchInterval(),
      verify: { started: (ts, obs, now) => this.verifier.started(ts, obs, now), autoMerge: (ts, obs) => this.verifier.autoMerge.reconcile(ts, obs) },
    });
    this.reloader = new WorkflowReloader({
      rt, settings: this.settings, makeServices, workflowPath, serviceKey, daemon: this.view.daemon, setConcurrency: (n) => this.work.setConcurrency(n),
    });
    rt.log.setSecrets([...svc.secrets, ...wf.secrets]);
    this.controls = new OperatorControls({ rt, ledger: this.ledger, sync: this.sync, settings: this.settings, running: this.work.running, wake: () => this.alarm.ring() });
    rt.controls.onControl(({ kind, key }) => this.controls.here(kind, key));
  }

  get state(): SwarmState { return this.ledger.state; }
  /** The records with this daemon's view: what its status, explain and dashboard show. */
  get viewed(): ViewedState { return this.view.viewed(); }
  get workflow(): Workflow { return this.settings.wf; }
  get services(): Services { return this.settings.svc; }
  get isDraining(): boolean { return this.draining; }
  get tickets(): readonly Ticket[] { return this.lastTickets; }
  /** Agents running now, by ticket key. */
  get running(): ReadonlyMap<string, Running> { return this.work.running; }

  /** Main loop. Resolves with the process exit code. */
  async run(mode: Mode): Promise<number> {
    this.webhooks.start();
    try {
      return await this.loop(mode);
    } finally {
      this.webhooks.close();
    }
  }

  private async loop(mode: Mode): Promise<number> {
    let full = true;
    for (;;) {
      // A nudge (webhook deliveries) brings a targeted round; everything else, and a due interval, a poll.
      if (!full) {
        await this.targeted();
        if (this.stopped || (this.draining && this.running.size === 0)) full = true; // exits below
        else {
          full = await this.sleep();
          continue;
        }
      }
      const t0 = Date.now();
      const dirtyMark = this.webhooks.dirty.mark();
      const gap = this.rt.now() - this.lastPollAt;
      let eligible: number;
      try {
        eligible = await this.pollOnce();
        this.lastPollError = null;
      } catch (err) {
        this.lastPollError = pollFailed(err, this.lastPollError, this.rt.log);
        eligible = Number.NaN;
      }
      Object.assign(this.pollStats, { count: this.pollStats.count + 1, lastDurationMs: Date.now() - t0, lastAt: t0 });
      this.view.publish();
      this.webhooks.notePoll(gap);
      // The poll read every ticket; PRs and commits webhooks named still wait for their targeted look.
      this.webhooks.dirty.ticketsServed(dirtyMark);
      if (this.webhooks.dirty.pending && !this.draining) await this.targeted();
      if (mode === 'once' || this.stopped || (this.draining && this.running.size === 0)) {
        await this.waitForRuns();
        return 0;
      }
      if (mode === 'until-idle') {
        const refused = Number.isNaN(eligible) ? this.view.daemon.tracker_error?.message ?? null : null;
        // A verification under way is work in progress, like a running agent.
        const verdict = idleVerdict(this.workflow.config, this.state, { disk: this.ledger.diskFullSince, running: this.running.size + this.verifier.pending(), eligible, listed: new Set(this.lastTickets.map((t) => t.key)), now: this.rt.now(), refused });
        if (verdict.done) {
          if (verdict.message) this.rt.log.error(verdict.message);
          await this.waitForRuns();
          return verdict.code;
        }
      }
      full = await this.sleep();
    }
  }

  private sleep(): Promise<boolean> {
    return sleepUntilDue({
      alarm: this.alarm, webhooks: this.webhooks, account: this.account, now: this.rt.now, config: () => this.workflow.config, state: () => this.state,
      lastPollAt: () => this.lastPollAt, diskFull: () => this.ledger.diskFullSince, healthChanged: () => this.view.publish(),
    });
  }

  /** Re-read what webhook deliveries named, and act on it (targeted.ts). */
  private async targeted(): Promise<void> {
    const batch = this.webhooks.dirty.take();
    if (batch.tickets.size + batch.prs.size + batch.commits.size === 0 && !batch.overflow) return;
    try {
      const res = await targetedRound({
        rt: this.rt, ledger: this.ledger, sync: this.sync, settings: this.settings, work: this.work, follower: this.follower,
        listing: { get: () => this.lastTickets, set: (t) => (this.lastTickets = t) },
        context: () => this.context(),
        canStart: () => capacity(this.workflow.config, this.state, this.running.size, canaryTurn(this.account?.view(), this.rt.now())) > 0 && this.rt.leases.canClaim(),
        draining: () => this.draining || this.stopped, stats: this.webhooks.stats, served: (keys) => this.webhooks.served(keys),
        baseNamed: () => this.verifier.baseNamed(),
      }, batch);
      if (res.pollWanted) this.refresh();
      await this.ledger.save();
    } catch (err) {
      this.rt.log.warn(`webhooks: the targeted re-read failed: ${(err as Error)?.message ?? String(err)} (the next poll covers it)`);
    }
  }

  /** One poll cycle; returns how many tickets were eligible (ignoring capacity and pauses). */
  async pollOnce(): Promise<number> {
    const now = this.rt.now();
    this.lastPollAt = now;
    await this.reloader.reload();
    await this.rt.leases.refresh(); // fleet mode: leases renewed, the others' tickets and pauses in
    if (this.rt.leases.shared) this.view.fleet = this.rt.fleetView.view();
    await this.account?.poll(); // the account's pause (another daemon's limit) recorded here too
    // A full disk: nothing is decided or told to the tracker that cannot be written ahead; running agents
    // go on. Each poll tries to write again, and dispatch resumes by itself once that goes through.
    if (this.ledger.diskFullSince && !(await this.ledger.probeDisk())) return Number.NaN;
    this.ledger.rollDay(now);
    const p = this.state.pause;
    if (p && p.until !== null && pauseInForce(p, now) === null) await this.ledger.commit(resume(p, `${p.kind} pause ended`, now, this.account !== null));
    let tickets: Ticket[];
    try {
      tickets = (await this.services.tracker.candidates()).tickets;
      if (this.state.pause?.kind === 'tracker') await this.ledger.commit(resume(this.state.pause, 'the tracker answers again', this.rt.now()));
    } catch (err) {
      await trackerTrouble({ ledger: this.ledger, daemon: this.view.daemon, log: this.rt.log, now: this.rt.now(), pollInterval: this.workflow.config.polling.interval }, err);
      return Number.NaN; // unknown, not "nothing eligible": --until-idle must not exit on a failed poll
    }
    this.lastTickets = tickets;
    await checkHolds(this.ledger, tickets, this.rt.now());
    noteCodeHost(this.view.daemon, [...(this.services.codeHost.notes?.() ?? []), ...this.verifier.notes()], this.rt.log);
    const mark = this.sync.mark();
    await reconcile({ rt: this.rt, ledger: this.ledger, sync: this.sync, settings: this.settings, running: this.work.running }, tickets);
    if (this.draining || this.stopped) return 0;
    // Follow-ups first: they finish work already handed off (same slots, pauses and budgets).
    await this.follower.poll(tickets, () => capacity(this.workflow.config, this.state, this.running.size) > 0 && this.rt.leases.canClaim());
    await this.verifier.poll();
    const ctx = this.context();
    // Eligibility once per ticket: dispatch, --until-idle, the queue view and /metrics read these (again
    // only if this poll dispatched, which changes what the rules see).
    let checks = eligibilityChecks(tickets, ctx);
    // A lane waiting for its hours or the window's reset waits like a pause: --until-idle waits it out.
    const eligibleIgnoringPause = tickets.filter((t) => checks.get(t.key)!.every((c) => c.pass || c.rule === 'pause' || c.rule === 'lane' || c.rule === 'running'));
    let dispatched = false;
    for (const t of choose(tickets, ctx, checks)) {
      const turn = canaryTurn(this.account?.view(), this.rt.now());
      if (capacity(this.workflow.config, this.state, this.running.size, turn) <= 0 || !this.rt.leases.canClaim()) break;
      await this.work.claimAndDispatch(t);
      dispatched = true;
    }
    const after = this.context();
    if (dispatched) checks = eligibilityChecks(tickets, after);
    this.view.queue = { ...queueView(tickets, after, checks), untrusted: untrustedView(this.work.untrusted, tickets, this.workflow.config) };
    this.eligibleWaiting = tickets.filter((t) => checks.get(t.key)!.every((c) => c.pass)).length;
    await this.ledger.save();
    // A ticket refused by tracker.trust() is not eligible: --until-idle must not wait for it forever.
    const eligible = eligibleIgnoringPause.filter((t) => !this.work.untrusted.has(t.key)).length;
    // A dropped claim whose tracker picture is behind, or was tidied during this poll (our own running
    // label taken off), looks claimed elsewhere in this poll's listing: the next poll sees it as it is.
    const tidying = tickets.filter((t) => {
      const ts = this.ledger.ticket(t.key);
      return ts?.status === 'released' && (ts.synced_rev < ts.rev || this.sync.changedSince(t.key, mark));
    }).length;
    return eligible + tidying;
  }

  /** Poll now (POST /api/v1/refresh). */
  refresh(): void {
    this.follower.due();
    this.alarm.ring();
  }

  /** First SIGINT/SIGTERM: stop dispatching, let running agents finish. */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    this.view.daemon.draining = true;
    this.rt.log.event({ type: 'draining', running: this.running.size });
    this.verifier.abortAll(); // resumed from its last recorded step at the next start
    this.view.publish();
    void this.ledger.save().catch(() => undefined);
    this.alarm.ring();
  }

  /** Second signal: kill every agent group, record the attempts as interrupted. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.draining = true;
    this.work.abortAll('shutdown');
    this.verifier.abortAll();
    this.alarm.ring();
    await this.waitForRuns();
  }

  context(): EligibilityContext {
    return this.work.context();
  }

  async waitForRuns(): Promise<void> {
    await this.work.waitForRuns();
    await this.verifier.settle();
    await this.ledger.save();
  }

  save(): Promise<void> {
    return this.ledger.save();
  }
}

/** Settings that need new tracker/worktree objects when they change (others go through setConfig). */
function serviceKey(wf: Workflow): string {
  const c = wf.config;
  return JSON.stringify([trackerFingerprint(c.tracker), c.workspace, c.hooks, c.pr]);
}
