// The poll loop: reload → reconcile → fetch → choose → claim → dispatch. It sequences work and persists
// state; parsing lives in the adapters/stream parser and every decision in policy.ts.
import type { Workflow } from '../config/types.js';
import { reloadWorkflowSettled } from '../config/workflow.js';
import { type Ticket } from '../tracker/types.js';
import type { SwarmState } from '../state/types.js';
import { activePause, budgetStop, capacity, choose, eligibility, type EligibilityContext } from './policy.js';
import { rollDay } from './transitions.js';
import { reconcile } from './reconcile.js';
import { Dispatcher, type Running } from './dispatcher.js';
import { applyPause, applyRelease, applyResume, applyRetry, type ControlResult } from './controls.js';
import type { Runtime, ServiceFactory, Services } from './runtime.js';
import { TrackerError } from '../errors.js';

export type Mode = 'daemon' | 'once' | 'until-idle';

export class Orchestrator {
  private readonly work: Dispatcher;
  private draining = false;
  private stopped = false;
  private wakeUp: (() => void) | null = null;
  /** A wake() that arrived while no sleep was pending: the next sleep returns at once. */
  private wakePending = false;
  private lastConfigError: string | null = null;
  private lastPollError: string | null = null;
  private lastTickets: Ticket[] = [];
  private lastPollAt = 0;
  private saveTimer: NodeJS.Timeout | null = null;
  private servicesKey: string;
  /** For /metrics: how many polls ran and how long the last one took (ms). */
  readonly pollStats = { count: 0, lastDurationMs: 0, lastAt: 0 };

  constructor(
    readonly rt: Runtime,
    private readonly makeServices: ServiceFactory,
    private wf: Workflow,
    private svc: Services,
    readonly state: SwarmState,
    private readonly workflowPath: string,
  ) {
    this.work = new Dispatcher(
      {
        rt,
        state,
        workflow: () => this.wf,
        services: () => this.svc,
        context: () => this.context(),
        save: () => this.save(),
        saveSoon: () => this.saveSoon(),
        wake: () => this.wake(),
      },
      wf.config.agent.max_concurrent,
    );
    this.servicesKey = serviceKey(wf);
    rt.log.setSecrets([...svc.secrets, ...wf.secrets]);
  }

  get workflow(): Workflow { return this.wf; }
  get services(): Services { return this.svc; }
  get isDraining(): boolean { return this.draining; }
  get tickets(): readonly Ticket[] { return this.lastTickets; }
  /** Agents running now, by ticket key. */
  get running(): ReadonlyMap<string, Running> { return this.work.running; }

  /** Main loop. Resolves with the process exit code. */
  async run(mode: Mode): Promise<number> {
    for (;;) {
      const t0 = Date.now();
      let eligible: number;
      try {
        eligible = await this.pollOnce();
        this.lastPollError = null;
      } catch (err) {
        // A bug or a full disk in one poll must not take the fleet down: say so, and poll again later.
        const message = (err as Error)?.message ?? String(err);
        if (message !== this.lastPollError) this.rt.log.event('poll_error', { error: message }, `poll failed unexpectedly: ${message} (retrying next poll)`, 'error');
        this.lastPollError = message;
        eligible = Number.NaN;
      }
      Object.assign(this.pollStats, { count: this.pollStats.count + 1, lastDurationMs: Date.now() - t0, lastAt: t0 });
      if (mode === 'once') {
        await this.waitForRuns();
        return 0;
      }
      if (this.stopped || (this.draining && this.running.size === 0)) {
        await this.waitForRuns();
        return 0;
      }
      if (mode === 'until-idle' && this.running.size === 0) {
        const pause = activePause(this.state.pause, this.rt.now());
        if (pause && pause.until === null) {
          this.rt.log.error(`stopping: dispatch is paused until an operator acts (${pause.reason})`);
          return pause.kind === 'operator' ? 0 : 1;
        }
        // A retry that a budget stops will not come today: it is not something to wait for.
        const waiting = Object.values(this.state.tickets).some((t) => t.status === 'retry_wait' && this.lastTickets.some((x) => x.key === t.key) && budgetStop(this.wf.config, this.state, t) === null);
        if (!pause && eligible === 0 && !waiting) return 0;
      }
      await this.sleep(this.nextWakeMs());
    }
  }

  /** One poll cycle; returns how many tickets were eligible (ignoring capacity). */
  async pollOnce(): Promise<number> {
    const now = this.rt.now();
    this.lastPollAt = now;
    await this.reload();
    rollDay(this.state, now);
    this.expirePause(now);
    let tickets: Ticket[];
    try {
      tickets = (await this.svc.tracker.candidates()).tickets;
      if (this.state.pause?.kind === 'tracker') this.resume('the tracker answers again');
    } catch (err) {
      this.trackerTrouble(err);
      return Number.NaN; // unknown, not "nothing eligible": --until-idle must not exit on a failed poll
    }
    tickets = await this.resolveBlockers(tickets);
    this.lastTickets = tickets;
    await reconcile(this.reconcileDeps(), tickets);
    if (this.draining || this.stopped) return 0;
    const ctx = this.context();
    const ordered = choose(tickets, ctx);
    const eligibleIgnoringPause = tickets.filter((t) => eligibility(t, ctx).every((c) => c.pass || c.rule === 'pause' || c.rule === 'running'));
    for (const t of ordered) {
      if (capacity(this.wf.config, this.state, this.running.size) <= 0) break;
      await this.work.claimAndDispatch(t);
    }
    this.save();
    // A ticket refused by tracker.trust() is not eligible: --until-idle must not wait for it forever.
    return eligibleIgnoringPause.filter((t) => !this.work.untrusted.has(t.key)).length;
  }

  // --- operator controls (control channel, HTTP API) -------------------------------------------

  pauseOperator(untilMs: number | null): ControlResult {
    const res = applyPause(this.state, untilMs, this.rt.now());
    this.rt.log.event('paused', { kind: 'operator', until: this.state.pause?.until ?? null }, res.message, 'warn');
    this.save();
    return res;
  }

  resumeOperator(): ControlResult {
    const was = this.state.pause;
    const res = applyResume(this.state);
    if (was) this.rt.log.event('resumed', { kind: was.kind, reason: 'operator' }, res.message);
    this.save();
    this.wake();
    return res;
  }

  retryTicket(key: string): ControlResult {
    const res = applyRetry(this.state, key);
    if (res.ok) this.rt.log.event('retry_requested', { ticket: key }, res.message);
    this.save();
    this.wake();
    return res;
  }

  /** Drop a claim: stop its agent if one runs; the next poll's reconcile tells the tracker. */
  releaseTicket(key: string): ControlResult {
    this.work.running.get(key)?.ac.abort('cancel');
    const res = applyRelease(this.state, key);
    if (res.ok) this.rt.log.event('released', { ticket: key }, res.message);
    this.save();
    this.wake();
    return res;
  }

  /** Poll now (POST /api/v1/refresh). */
  refresh(): void {
    this.wake();
  }

  /** Replace "mentioned blockers" by the ones still open, for trackers whose listing cannot tell. */
  private async resolveBlockers(tickets: Ticket[]): Promise<Ticket[]> {
    const tracker = this.svc.tracker;
    if (!tracker.openBlockers) return tickets;
    return Promise.all(
      tickets.map(async (t) => {
        if (t.blockers.length === 0) return t;
        try {
          return { ...t, blockers: await tracker.openBlockers!(t) };
        } catch (err) {
          this.rt.log.debug(`could not check blockers: ${(err as Error).message}`, t.identifier);
          return t; // unknown: stay blocked rather than start work that may be premature
        }
      }),
    );
  }

  /** First SIGINT/SIGTERM: stop dispatching, let running agents finish. */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    if (this.state.daemon) this.state.daemon.draining = true;
    this.rt.log.event('draining', { running: this.running.size }, `draining: no new work; waiting for ${this.running.size} running agent(s) (signal again to stop them now)`, 'warn');
    this.save();
    this.wake();
  }

  /** Second signal: kill every agent group, record the attempts as interrupted. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.draining = true;
    this.work.abortAll('shutdown');
    this.wake();
    await this.waitForRuns();
  }

  wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    if (w) w();
    else this.wakePending = true;
  }

  context(): EligibilityContext {
    return { config: this.wf.config, state: this.state, now: this.rt.now(), running: new Set(this.running.keys()) };
  }

  async waitForRuns(): Promise<void> {
    await this.work.waitForRuns();
    this.save();
  }

  save(): void {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
    }
    this.rt.store.save(this.state);
  }

  /** Coalesce frequent updates (agent events) into at most one write per second. */
  saveSoon(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => this.save(), 1000);
    this.saveTimer.unref();
  }

  private async reload(): Promise<void> {
    const loaded = await reloadWorkflowSettled(this.workflowPath, this.rt.env, this.wf);
    const { workflow } = loaded;
    let error = loaded.error;
    const key = error ? this.servicesKey : serviceKey(workflow);
    if (!error && key !== this.servicesKey) {
      // Build the new tracker first: a setting it rejects (e.g. an unknown Linear state) must leave the
      // whole last good configuration in force, not new policy over old services.
      try {
        this.svc = await this.makeServices(workflow);
        this.servicesKey = key;
      } catch (err) {
        this.rt.log.setSecrets([...this.svc.secrets, ...this.wf.secrets, ...workflow.secrets]);
        error = `tracker settings changed but could not be applied: ${(err as Error).message}`;
      }
    }
    if (this.state.daemon) this.state.daemon.config_error = error;
    if (error) {
      if (error !== this.lastConfigError) this.rt.log.event('config_error', { error }, `${error} — keeping the last good configuration`, 'error');
      this.lastConfigError = error;
      return;
    }
    if (this.lastConfigError) this.rt.log.event('config_ok', {}, `${this.workflowPath} is valid again`);
    this.lastConfigError = null;
    if (workflow === this.wf) return;
    this.wf = workflow;
    this.work.setConcurrency(workflow.config.agent.max_concurrent);
    if (key === this.servicesKey) this.svc.tracker.setConfig?.(workflow.config);
    this.rt.log.setSecrets([...this.svc.secrets, ...workflow.secrets]);
  }

  private expirePause(now: number): void {
    const p = this.state.pause;
    if (p && p.until !== null && Date.parse(p.until) <= now) this.resume(`${p.kind} pause ended`);
  }

  resume(why: string): void {
    const p = this.state.pause;
    if (!p) return;
    this.state.pause = null;
    this.state.canary = p.kind !== 'operator' && p.kind !== 'tracker';
    this.rt.log.event('resumed', { kind: p.kind, reason: why }, `resumed: ${why}${this.state.canary ? ' (one canary run first)' : ''}`);
    this.save();
    this.wake();
  }

  private trackerTrouble(err: unknown): void {
    const now = this.rt.now();
    if (err instanceof TrackerError && err.kind === 'rate_limited') {
      const until = err.retryAt ?? new Date(now + 60_000).toISOString();
      if (this.state.pause?.kind !== 'tracker') {
        this.state.pause = { kind: 'tracker', reason: err.message, since: new Date(now).toISOString(), until, limit_type: null };
        this.rt.log.event('paused', { kind: 'tracker', until, reason: err.message }, `tracker rate limited: pausing until ${until}`, 'warn');
        this.save();
      }
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    this.rt.log.event('tracker_error', { error: message }, `tracker poll failed: ${message} (will retry next poll)`, 'warn');
  }

  private reconcileDeps() {
    return { rt: this.rt, svc: this.svc, wf: this.wf, state: this.state, running: this.work.running, syncing: this.work.syncing, save: () => this.save() };
  }

  private nextWakeMs(): number {
    const now = this.rt.now();
    let next = this.lastPollAt + this.wf.config.polling.interval;
    for (const t of Object.values(this.state.tickets)) {
      if (t.status === 'retry_wait' && t.next_retry_at) next = Math.min(next, Math.max(Date.parse(t.next_retry_at), now + 50));
    }
    const p = this.state.pause;
    if (p?.until) next = Math.min(next, Math.max(Date.parse(p.until), now + 50));
    return Math.max(50, next - now);
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** Settings that need new tracker/worktree objects when they change (others go through setConfig). */
function serviceKey(wf: Workflow): string {
  const c = wf.config;
  // Linear resolves state and label ids at startup, so any tracker change rebuilds it.
  const tracker = c.tracker.kind === 'linear' ? c.tracker : [c.tracker.kind, c.tracker.api_url, c.tracker.repo, c.tracker.token, c.tracker.path];
  return JSON.stringify([tracker, c.workspace, c.hooks, c.pr]);
}
