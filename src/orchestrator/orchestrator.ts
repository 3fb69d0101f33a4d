// The poll loop: reload → reconcile → fetch → choose → claim → dispatch. It sequences work and persists
// state; parsing lives in the adapters/stream parser and every decision in policy.ts.
import PQueue from 'p-queue';
import type { Workflow } from '../config/types.js';
import { reloadWorkflow } from '../config/workflow.js';
import { TrackerError, type Ticket } from '../tracker/types.js';
import type { SwarmState, TicketState } from '../state/types.js';
import { runFile } from '../state/paths.js';
import { branchName, worktreeDirName } from '../workspace/naming.js';
import { runAttempt, safeSegment } from './attempt.js';
import { renderSticky } from './sticky.js';
import { activePause, budgetStop, capacity, choose, eligibility, modelFor, type EligibilityContext } from './policy.js';
import { canaryPassed } from './canary.js';
import { finishAttempt, newTicketState, rollDay, startAttempt } from './transitions.js';
import { reconcile } from './reconcile.js';
import { applyPause, applyRelease, applyResume, applyRetry, type ControlResult } from './controls.js';
import type { Runtime, ServiceFactory, Services } from './runtime.js';
import { join } from 'node:path';

export type Mode = 'daemon' | 'once' | 'until-idle';

interface Running {
  ac: AbortController;
  ticket: Ticket;
  done: Promise<void>;
}

export class Orchestrator {
  readonly running = new Map<string, Running>();
  private readonly queue: PQueue;
  private draining = false;
  private stopped = false;
  private wakeUp: (() => void) | null = null;
  private lastConfigError: string | null = null;
  private lastTickets: Ticket[] = [];
  private lastPollAt = 0;
  private saveTimer: NodeJS.Timeout | null = null;
  private servicesKey: string;
  /** Tickets whose tracker write is in flight: reconcile must not "heal" them meanwhile. */
  private readonly syncing = new Set<string>();
  /** Tickets refused by tracker.trust(), with the reason last logged (logged again only if it changes). */
  private readonly untrusted = new Map<string, string>();
  /** For /metrics: how many polls ran and how long the last one took (ms). */
  readonly pollStats = { count: 0, lastDurationMs: 0, lastAt: 0 };

  constructor(
    private readonly rt: Runtime,
    private readonly makeServices: ServiceFactory,
    private wf: Workflow,
    private svc: Services,
    readonly state: SwarmState,
    private readonly workflowPath: string,
  ) {
    this.queue = new PQueue({ concurrency: wf.config.agent.max_concurrent });
    this.servicesKey = serviceKey(wf);
    rt.log.setSecrets([...svc.secrets, ...wf.secrets]);
  }

  get workflow(): Workflow { return this.wf; }
  get services(): Services { return this.svc; }
  get isDraining(): boolean { return this.draining; }
  get tickets(): readonly Ticket[] { return this.lastTickets; }

  /** Main loop. Resolves with the process exit code. */
  async run(mode: Mode): Promise<number> {
    for (;;) {
      const t0 = Date.now();
      const eligible = await this.pollOnce();
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
      await this.claimAndDispatch(t);
    }
    this.save();
    // A ticket refused by tracker.trust() is not eligible: --until-idle must not wait for it forever.
    return eligibleIgnoringPause.filter((t) => !this.untrusted.has(t.key)).length;
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
    this.running.get(key)?.ac.abort('cancel');
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
    for (const r of this.running.values()) r.ac.abort('shutdown');
    this.wake();
    await this.waitForRuns();
  }

  wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  context(): EligibilityContext {
    return { config: this.wf.config, state: this.state, now: this.rt.now(), running: new Set(this.running.keys()) };
  }

  async waitForRuns(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.done));
    await this.queue.onIdle();
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
  private saveSoon(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => this.save(), 1000);
    this.saveTimer.unref();
  }

  private async reload(): Promise<void> {
    const loaded = reloadWorkflow(this.workflowPath, this.rt.env, this.wf);
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
    this.queue.concurrency = workflow.config.agent.max_concurrent;
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

  private async claimAndDispatch(t: Ticket): Promise<void> {
    const id = t.identifier;
    const log = this.rt.log;
    let fresh: Ticket | null;
    try {
      fresh = await this.svc.tracker.fetch(t.key);
      if (!fresh || !eligibility(fresh, this.context()).every((c) => c.pass)) return;
      const verdict = await this.svc.tracker.trust(fresh);
      if (!verdict.trusted) {
        // Once per ticket and reason, at info: an operator must see why a labelled ticket never starts.
        if (this.untrusted.get(fresh.key) !== verdict.reason) log.event('ignored', { ticket: id, reason: verdict.reason }, `ignored: ${verdict.reason}`);
        this.untrusted.set(fresh.key, verdict.reason);
        return;
      }
      this.untrusted.delete(fresh.key);
    } catch (err) {
      log.warn(`could not re-read before claiming: ${(err as Error).message}`, id);
      return;
    }
    const ts = this.ticketState(fresh);
    try {
      const pr = await this.svc.codeHost.findPullRequest(ts.branch);
      if (pr && pr.state !== 'closed') {
        // Dedup guard: the work is already handed off (maybe while the daemon was down).
        ts.status = 'review';
        ts.pr = { number: pr.number, url: pr.url };
        ts.last_event = `PR ${pr.url}`;
        this.save();
        log.event('pr_found', { ticket: id, pr: pr.url }, `already has ${pr.url}; released without running`);
        ts.tracker_synced = false;
        await this.svc.tracker.release(fresh, pr, renderSticky(ts, this.wf.config.agent.max_attempts));
        ts.tracker_synced = true;
        this.save();
        return;
      }
      ts.status = 'claimed';
      ts.claimed_at ??= new Date(this.rt.now()).toISOString();
      this.save();
      await this.svc.tracker.claim(fresh, renderSticky(ts, this.wf.config.agent.max_attempts));
      ts.tracker_synced = true;
    } catch (err) {
      log.warn(`claim failed: ${(err as Error).message} (will retry next poll)`, id);
      if (ts.status === 'claimed' && ts.attempts.length === 0) ts.status = 'released';
      this.save();
      return;
    }
    log.event('claimed', { ticket: id, key: ts.key, branch: ts.branch }, `claimed → ${ts.branch}`);
    this.dispatch(fresh, ts);
  }

  private ticketState(t: Ticket): TicketState {
    const existing = this.state.tickets[t.key];
    if (existing) {
      existing.title = t.title;
      existing.url = t.url;
      if (!existing.branch) {
        // Rebuilt from the events log without its claim event: derive the branch as a first claim would.
        existing.branch = branchName(this.wf.config.workspace.branch_prefix, t);
        existing.worktree = join(this.svc.worktrees.root, worktreeDirName(existing.branch));
      }
      return existing;
    }
    const cfg = this.wf.config;
    const branch = branchName(cfg.workspace.branch_prefix, t);
    const worktree = join(this.svc.worktrees.root, worktreeDirName(branch));
    const ts = newTicketState(t, branch, worktree, this.rt.now());
    this.state.tickets[t.key] = ts;
    return ts;
  }

  private dispatch(ticket: Ticket, ts: TicketState): void {
    const ac = new AbortController();
    const entry: Running = { ac, ticket, done: Promise.resolve() };
    this.running.set(ts.key, entry);
    entry.done = this.queue
      .add(() => this.attempt(ticket, ts, ac.signal))
      .catch((err) => this.rt.log.error(`attempt crashed: ${(err as Error).stack ?? err}`, ticket.identifier))
      .finally(() => {
        this.running.delete(ts.key);
        this.save();
        this.wake();
      });
  }

  private async attempt(ticket: Ticket, ts: TicketState, signal: AbortSignal): Promise<void> {
    const cfg = this.wf.config;
    const log = this.rt.log;
    const rec = startAttempt(ts, modelFor(ts.failures, cfg.agent.models), (n) => runFile(this.rt.paths, safeSegment(ts.key), n), this.rt.now());
    this.save();
    log.event('started', { ticket: ticket.identifier, key: ts.key, attempt: rec.number, model: rec.model }, `attempt ${rec.number} on ${rec.model} (${ts.failures}/${cfg.agent.max_attempts} failures so far)`);
    const out = await runAttempt(this.rt, this.svc, this.wf, {
      ticket,
      ts,
      rec,
      signal,
      onSpawn: (pid, pidStart) => {
        rec.pid = pid;
        rec.pid_start = pidStart;
        this.save(); // the pid must be on disk before anything else happens: a crash now leaves a findable orphan
      },
      onEvent: (ev, summary) => {
        ts.last_event = summary.lastActivity;
        if (this.state.canary && canaryPassed(summary, this.rt.now() - Date.parse(rec.started_at), cfg.agent.fast_fail)) {
          this.state.canary = false;
          log.event('canary_passed', { ticket: ticket.identifier }, 'canary run got past fast_fail: filling the other slots');
          this.wake();
        }
        if (ev.type === 'api_retry' && (ev.error === 'authentication_failed' || ev.error === 'billing_error')) {
          const entry = this.running.get(ts.key);
          entry?.ac.abort('auth');
        }
        this.saveSoon();
      },
    });
    const jitter = Math.floor(this.rt.random() * Math.min(30_000, Math.max(1000, ((out.cls.resetAt ?? 0) - this.rt.now()) * 0.05)));
    const dailyBefore = budgetStop(cfg, this.state, undefined);
    const pauseBefore = this.state.pause;
    const effect = finishAttempt(this.state, ts, rec, out, cfg, this.rt.now(), jitter);
    const tripped = this.state.pause !== pauseBefore && this.state.pause?.kind === 'breaker' ? this.state.pause : null;
    if (tripped) log.event('paused', { kind: 'breaker', until: tripped.until, reason: tripped.reason, limit_type: null }, `dispatch paused until ${tripped.until}: ${tripped.reason}`, 'warn');
    const dailyStop = dailyBefore ? null : budgetStop(cfg, this.state, undefined);
    if (dailyStop) log.event('budget_reached', { daily_usd: cfg.budget.daily_usd, spent_usd: this.state.daily.cost_usd }, `no new work today: ${dailyStop}`, 'warn');
    this.save();
    log.event('finished', { ticket: ticket.identifier, key: ts.key, attempt: rec.number, model: rec.model, outcome: rec.outcome, counted: rec.counted, reason: rec.reason, cost_usd: rec.cost_usd }, `attempt ${rec.number} ${rec.outcome}${rec.counted ? ' (counted)' : ''}: ${rec.reason}`, rec.outcome.startsWith('pr_') ? 'info' : 'warn');
    await this.tell(ticket, ts, effect);
  }

  /** Tell the tracker what happened. Failures here are healed by reconcile() on a later poll. */
  private async tell(ticket: Ticket, ts: TicketState, effect: ReturnType<typeof finishAttempt>): Promise<void> {
    const sticky = renderSticky(ts, this.wf.config.agent.max_attempts);
    const log = this.rt.log;
    ts.tracker_synced = false;
    this.syncing.add(ts.key);
    try {
      switch (effect.kind) {
        case 'handoff':
          log.event('pr_opened', { ticket: ticket.identifier, pr: ts.pr?.url ?? null }, `handed off: ${ts.pr?.url ?? ts.branch}`);
          await this.svc.tracker.release(ticket, ts.pr ? { ...ts.pr, state: 'open', branch: ts.branch } : null, sticky);
          break;
        case 'failed':
          log.event('ticket_failed', { ticket: ticket.identifier, reason: effect.reason }, `failed after ${ts.failures} counted attempts: ${effect.reason}`, 'error');
          await this.svc.tracker.markFailed(ticket, sticky);
          break;
        case 'pause':
          log.event('paused', { kind: effect.pause.kind, until: effect.pause.until, reason: effect.pause.reason, limit_type: effect.pause.limit_type }, `dispatch paused${effect.pause.until ? ` until ${effect.pause.until}` : ' until `swarm resume`'}: ${effect.pause.reason}`, 'warn');
          await this.svc.tracker.updateSticky(ticket, sticky);
          break;
        case 'retry':
          log.event('retry_scheduled', { ticket: ticket.identifier, at: new Date(effect.at).toISOString(), reason: effect.reason }, `retry at ${new Date(effect.at).toISOString()}`);
          await this.svc.tracker.updateSticky(ticket, sticky);
          break;
        case 'cancelled':
          // reconcile() already released the claim while the attempt still ran: show how it ended.
          await this.svc.tracker.updateSticky(ticket, sticky);
          break;
      }
      ts.tracker_synced = true;
      this.save();
    } catch (err) {
      log.warn(`tracker update failed: ${(err as Error).message} (will be repaired on a later poll)`, ticket.identifier);
    } finally {
      this.syncing.delete(ts.key);
    }
  }

  private reconcileDeps() {
    return { rt: this.rt, svc: this.svc, wf: this.wf, state: this.state, running: this.running, syncing: this.syncing, save: () => this.save() };
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
