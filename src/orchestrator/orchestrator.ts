// The poll loop: reload → reconcile → fetch → choose → claim → dispatch. It sequences work; parsing lives
// in the adapters and the stream parser, every decision in policy.ts, every state change in the lifecycle
// (committed through the ledger), every tracker write in the sync.
import { join } from 'node:path';
import type { Workflow } from '../config/types.js';
import { reloadWorkflowSettled } from '../config/workflow.js';
import { saveLastGood } from '../config/last-good.js';
import { budgetZoneFor, setBudgetZone } from '../core/budget-day.js';
import type { Ticket } from '../tracker/types.js';
import { TrackerError } from '../errors.js';
import { isDiskFull } from '../util/atomic-file.js';
import type { SwarmState } from '../core/types.js';
import { Ledger } from '../state/ledger.js';
import { pause, resume } from '../core/lifecycle.js';
import { activePause, capacity, choose, eligibilityChecks, idleVerdict, nextWakeMs, trackerPause, type EligibilityContext } from '../core/policy.js';
import { accountWakeTimes, canaryTurn } from '../core/account-policy.js';
import { laneWakeTimes } from '../core/lanes.js';
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
import { reloadProblem } from '../containment/containment.js';
import { pauseInForce } from '../core/pause.js';
import { reportOf, writeReport, type DaemonReport } from '../report/daemon-report.js';

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
  private lastConfigError: string | null = null;
  /** WORKFLOW.md warnings already logged (start logs the first file's): each is said once per daemon. */
  private readonly warned: Set<string>;
  private lastPollError: string | null = null;
  private lastTickets: Ticket[] = [];
  private lastPollAt = 0;
  private servicesKey: string;
  /** Where this daemon can be reached (the surfaces set it once they listen), for the report. */
  endpoint: { socket: string | null; url: string | null } = { socket: null, url: null };
  /** Listed tickets eligible at the end of the last poll but without a free slot (for /metrics). */
  eligibleWaiting = 0;
  /** The report written at the end of the last poll (daemon.json); the dashboard reads it too. */
  report: DaemonReport | null = null;
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
    this.warned = new Set(wf.warnings);
    this.ledger = new Ledger(state, rt.store, rt.log);
    this.sync = new TrackerSync(this.ledger, this.settings, rt.log, rt.leases);
    this.account = rt.account ? new AccountLink({ ...rt.account, ledger: this.ledger, log: rt.log, now: rt.now }) : null;
    this.verifier = new Verifier({ rt, ledger: this.ledger, sync: this.sync, settings: this.settings });
    this.work = new Dispatcher({ rt, ledger: this.ledger, sync: this.sync, settings: this.settings, alarm: this.alarm, account: this.account, waitsFor: (k) => this.verifier.revertWait(k) });
    this.webhooks = new WebhookLink({
      settings: this.settings, log: rt.log, now: rt.now, random: rt.random, state: () => this.ledger.state,
      deliveriesFile: join(rt.paths.dir, 'webhook-deliveries.log'), nudge: () => this.alarm.nudge(),
    });
    this.follower = new PrFollower({
      rt, ledger: this.ledger, sync: this.sync, settings: this.settings, work: this.work, watchInterval: () => this.webhooks.watchInterval(),
      verify: { started: (ts, obs, now) => this.verifier.started(ts, obs, now), autoMerge: (ts, obs) => this.verifier.autoMerge.reconcile(ts, obs) },
    });
    this.servicesKey = serviceKey(wf);
    rt.log.setSecrets([...svc.secrets, ...wf.secrets]);
    this.controls = new OperatorControls({ rt, ledger: this.ledger, sync: this.sync, settings: this.settings, running: this.work.running, wake: () => this.alarm.ring() });
    rt.controls.onControl(({ kind, key }) => this.controls.here(kind, key));
  }

  get state(): SwarmState { return this.ledger.state; }
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
        // A bug or a full disk in one poll must not take the fleet down: say so, and poll again later.
        const message = (err as Error)?.message ?? String(err);
        // A full disk is its own pause (disk_full, logged by the ledger), not a poll error.
        if (message !== this.lastPollError && !isDiskFull(err)) this.rt.log.event({ type: 'poll_error', error: message });
        this.lastPollError = message;
        eligible = Number.NaN;
      }
      Object.assign(this.pollStats, { count: this.pollStats.count + 1, lastDurationMs: Date.now() - t0, lastAt: t0 });
      this.publishReport();
      this.webhooks.notePoll(gap);
      // The poll read every ticket; PRs and commits webhooks named still wait for their targeted look.
      this.webhooks.dirty.ticketsServed(dirtyMark);
      if (this.webhooks.dirty.pending && !this.draining) await this.targeted();
      if (mode === 'once' || this.stopped || (this.draining && this.running.size === 0)) {
        await this.waitForRuns();
        return 0;
      }
      if (mode === 'until-idle') {
        const refused = Number.isNaN(eligible) ? this.state.daemon?.tracker_error?.message ?? null : null;
        // A verification under way is work in progress, like a running agent.
        const verdict = idleVerdict(this.workflow.config, this.state, { running: this.running.size + this.verifier.pending(), eligible, listed: new Set(this.lastTickets.map((t) => t.key)), now: this.rt.now(), refused });
        if (verdict.done) {
          if (verdict.message) this.rt.log.error(verdict.message);
          await this.waitForRuns();
          return verdict.code;
        }
      }
      full = await this.sleep();
    }
  }

  /**
   * Sleep until the next poll, retry, pause end… or a nudge. True: poll next; false: a targeted round. A
   * wake only because webhook health may have run out re-checks it and polls only if that made a poll due.
   */
  private async sleep(): Promise<boolean> {
    for (;;) {
      if (this.webhooks.checkHealth()) await this.ledger.save().catch((err: Error) => this.rt.log.debug(`could not save the webhook health: ${err.message}`));
      const now = this.rt.now();
      const also = [...laneWakeTimes(this.workflow.config, now), ...accountWakeTimes(this.account?.view(), now)];
      // When a poll is due (the interval in force, a retry, a pause's end, a lane opening…), and when a
      // webhook source's health runs out, which only needs a look at the health.
      const due = now + nextWakeMs(this.state, this.lastPollAt, this.webhooks.pollInterval(), now, also);
      const wake = Math.min(due, ...this.webhooks.wakeTimes().filter((t) => t > now));
      const woke = await this.alarm.sleep(Math.max(50, wake - now));
      if (woke === 'ring') return true;
      const after = this.rt.now();
      const pollDue = after - this.lastPollAt >= this.webhooks.pollInterval();
      if (woke === 'nudge') return pollDue;
      if (pollDue || after >= due - 5) return true;
    }
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
        draining: () => this.draining || this.stopped,
        stats: this.webhooks.stats,
        served: (keys) => this.webhooks.served(keys),
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
    await this.reload();
    await this.rt.leases.refresh(); // fleet mode: leases renewed, the others' tickets and pauses in
    if (this.rt.leases.shared) this.state.fleet = this.rt.fleetView.view();
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
      await this.trackerTrouble(err);
      return Number.NaN; // unknown, not "nothing eligible": --until-idle must not exit on a failed poll
    }
    this.lastTickets = tickets;
    await checkHolds(this.ledger, tickets, this.rt.now());
    this.noteCodeHost();
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
    this.state.queue = { ...queueView(tickets, after, checks), untrusted: untrustedView(this.work.untrusted, tickets, this.workflow.config) };
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
    if (this.state.daemon) this.state.daemon.draining = true;
    this.rt.log.event({ type: 'draining', running: this.running.size });
    this.verifier.abortAll(); // resumed from its last recorded step at the next start
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

  private async reload(): Promise<void> {
    // An edit an unconfined agent could have made is not applied until the operator vouches for it.
    const held = (await this.rt.containment?.workflow.check()) ?? null;
    const loaded = held ? { workflow: this.workflow, error: held } : await reloadWorkflowSettled(this.workflowPath, this.rt.env, this.workflow);
    const { workflow } = loaded;
    // Checked every poll, changed file or not: what the containment can take depends on more than the file.
    let error = loaded.error ?? (await reloadProblem(this.rt.containment, this.rt.isRoot, workflow));
    const key = error ? this.servicesKey : serviceKey(workflow);
    if (!error && key !== this.servicesKey) {
      // Build the new tracker first: a setting it rejects (e.g. an unknown Linear state) must leave the
      // whole last good configuration in force, not new policy over old services.
      try {
        this.settings.svc = await this.makeServices(workflow);
        this.servicesKey = key;
      } catch (err) {
        this.rt.log.setSecrets([...this.services.secrets, ...this.workflow.secrets, ...workflow.secrets]);
        error = `tracker settings changed but could not be applied: ${(err as Error).message}`;
      }
    }
    if (this.state.daemon) this.state.daemon.config_error = error;
    if (error) {
      if (error !== this.lastConfigError) this.rt.log.event({ type: 'config_error', error });
      this.lastConfigError = error;
      return;
    }
    if (this.lastConfigError) this.rt.log.event({ type: 'config_ok', file: this.workflowPath });
    this.lastConfigError = null;
    if (workflow === this.workflow) return;
    this.settings.wf = workflow;
    saveLastGood(this.rt.paths.dir, workflow);
    for (const w of workflow.warnings) {
      if (this.warned.has(w)) continue;
      this.warned.add(w);
      this.rt.log.warn(w);
    }
    if (this.state.daemon) this.state.daemon.sandbox = workflow.config.agent.sandbox.enabled ? 'on' : 'unconfined';
    setBudgetZone(budgetZoneFor(workflow.config));
    this.work.setConcurrency(workflow.config.agent.max_concurrent);
    if (key === this.servicesKey) this.services.tracker.setConfig?.(workflow.config);
    this.rt.log.setSecrets([...this.services.secrets, ...workflow.secrets]);
  }

  /**
   * The code host's standing problems (a permission the token lacks, a repository that moved): each logged
   * once when it appears, and kept in state.json for `swarm status` while it lasts.
   */
  private noteCodeHost(): void {
    const d = this.state.daemon;
    const notes = [...(this.services.codeHost.notes?.() ?? []), ...this.verifier.notes()];
    const before = d?.notes ?? [];
    for (const n of notes) if (!before.includes(n)) this.rt.log.warn(n);
    if (d && JSON.stringify(before) !== JSON.stringify(notes)) d.notes = notes;
  }

  /** daemon.json at the end of every poll: the configuration in force and the views, for status and explain. */
  private publishReport(): void {
    this.report = reportOf(this.state, this.workflow, { pid: this.state.daemon?.pid ?? process.pid, now: this.rt.now(), workflow: this.workflowPath, ...this.endpoint });
    try {
      writeReport(this.rt.paths.report, this.report);
    } catch (err) {
      this.rt.log.debug(`could not write ${this.rt.paths.report}: ${(err as Error).message}`);
    }
  }

  private async trackerTrouble(err: unknown): Promise<void> {
    const now = this.rt.now();
    const message = err instanceof Error ? err.message : String(err);
    const p = trackerPause({ kind: err instanceof TrackerError ? err.kind : undefined, message, retryAt: err instanceof TrackerError ? err.retryAt : null }, now);
    if (p) {
      if (!activePause(this.state.pause, now)) await this.ledger.commit(pause(p, now));
      return;
    }
    if (err instanceof TrackerError && err.kind === 'too_complex') {
      // Permanent (the adapter never resends a refused document): one log line per distinct message, and a
      // record in state.json for `swarm status`, kept alive by each refused poll and gone a few polls after the last.
      const d = this.state.daemon;
      const last = d?.tracker_error;
      const known = last && last.message === message && Date.parse(last.until) > now ? last : null;
      if (!known) this.rt.log.event({ type: 'tracker_refused', error: message });
      if (d) {
        const until = new Date(now + 3 * this.workflow.config.polling.interval + 5_000).toISOString();
        d.tracker_error = { message, since: known?.since ?? new Date(now).toISOString(), until };
        await this.ledger.save();
      }
      return;
    }
    this.rt.log.event({ type: 'tracker_error', error: message });
  }
}

/** Settings that need new tracker/worktree objects when they change (others go through setConfig). */
function serviceKey(wf: Workflow): string {
  const c = wf.config;
  // Linear resolves state and label ids at startup, so any tracker change rebuilds it.
  const t = c.tracker;
  const tracker = t.kind === 'linear' ? t : [t.kind, t.api_url, t.repo, t.token, t.path, t.app_id, t.private_key, t.installation_id, t.token_command];
  return JSON.stringify([tracker, c.workspace, c.hooks, c.pr]);
}
