// The work side of the loop: claim a chosen ticket (fresh read, trust, dedup guard), run its attempt in
// a p-queue slot, apply the outcome to the state and tell the tracker. The poll loop decides WHAT to
// claim; this file does the claiming and owns the running agents.
import PQueue from 'p-queue';
import { join } from 'node:path';
import type { Workflow } from '../config/types.js';
import type { Ticket } from '../tracker/types.js';
import type { SwarmState, TicketState } from '../state/types.js';
import { runFile } from '../state/paths.js';
import { branchName, worktreeDirName } from '../workspace/naming.js';
import { runAttempt, safeSegment } from './attempt.js';
import { renderSticky } from './sticky.js';
import { budgetStop, eligibility, modelFor, type EligibilityContext, type Effect } from './policy.js';
import { canaryPassed } from './canary.js';
import { finishAttempt, newTicketState, startAttempt } from './transitions.js';
import type { Runtime, Services } from './runtime.js';

export interface Running {
  ac: AbortController;
  ticket: Ticket;
  done: Promise<void>;
}

/** What the dispatcher needs from the loop that owns it. */
export interface DispatchHost {
  readonly rt: Runtime;
  readonly state: SwarmState;
  workflow(): Workflow;
  services(): Services;
  context(): EligibilityContext;
  save(): void;
  /** Coalesced save for frequent updates (agent events). */
  saveSoon(): void;
  /** Something changed that may free a slot or need a poll. */
  wake(): void;
}

export class Dispatcher {
  readonly running = new Map<string, Running>();
  /** Tickets whose tracker write is in flight: reconcile must not "heal" them meanwhile. */
  readonly syncing = new Set<string>();
  /** Tickets refused by tracker.trust(), with the reason last logged (logged again only if it changes). */
  readonly untrusted = new Map<string, string>();
  private readonly queue: PQueue;

  constructor(private readonly host: DispatchHost, concurrency: number) {
    this.queue = new PQueue({ concurrency });
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
  }

  /** Re-read, check trust and the dedup guard, claim, and start the attempt in a queue slot. */
  async claimAndDispatch(t: Ticket): Promise<void> {
    const { rt } = this.host;
    const svc = this.host.services();
    const id = t.identifier;
    let fresh: Ticket | null;
    try {
      fresh = await svc.tracker.fetch(t.key);
      if (!fresh || !eligibility(fresh, this.host.context()).every((c) => c.pass)) return;
      const verdict = await svc.tracker.trust(fresh);
      if (!verdict.trusted) {
        // Once per ticket and reason, at info: an operator must see why a labelled ticket never starts.
        if (this.untrusted.get(fresh.key) !== verdict.reason) rt.log.event('ignored', { ticket: id, reason: verdict.reason }, `ignored: ${verdict.reason}`);
        this.untrusted.set(fresh.key, verdict.reason);
        return;
      }
      this.untrusted.delete(fresh.key);
    } catch (err) {
      rt.log.warn(`could not re-read before claiming: ${(err as Error).message}`, id);
      return;
    }
    const ts = this.ticketState(fresh);
    const sticky = () => renderSticky(ts, this.host.workflow().config.agent.max_attempts);
    try {
      const pr = await svc.codeHost.findPullRequest(ts.branch);
      if (pr && pr.state !== 'closed') {
        // Dedup guard: the work is already handed off (maybe while the daemon was down).
        ts.status = 'review';
        ts.pr = { number: pr.number, url: pr.url };
        ts.last_event = `PR ${pr.url}`;
        ts.tracker_synced = false;
        this.host.save();
        rt.log.event('pr_found', { ticket: id, pr: pr.url }, `already has ${pr.url}; released without running`);
        await svc.tracker.release(fresh, pr, sticky());
        ts.tracker_synced = true;
        this.host.save();
        return;
      }
      ts.status = 'claimed';
      ts.claimed_at ??= new Date(rt.now()).toISOString();
      void svc.worktrees.prefetch(ts.branch, fresh); // git work overlaps the claim's tracker writes
      this.host.save(); // claimed on disk before the tracker hears of it: a crash now is a claim we know about
      await svc.tracker.claim(fresh, sticky());
      ts.tracker_synced = true;
    } catch (err) {
      rt.log.warn(`claim failed: ${(err as Error).message} (will retry next poll)`, id);
      if (ts.status === 'claimed' && ts.attempts.length === 0) ts.status = 'released';
      this.host.save();
      return;
    }
    rt.log.event('claimed', { ticket: id, key: ts.key, branch: ts.branch }, `claimed → ${ts.branch}`);
    this.dispatch(fresh, ts);
  }

  private ticketState(t: Ticket): TicketState {
    const { state } = this.host;
    const prefix = this.host.workflow().config.workspace.branch_prefix;
    const root = this.host.services().worktrees.root;
    const existing = state.tickets[t.key];
    if (existing) {
      existing.title = t.title;
      existing.url = t.url;
      if (!existing.branch) {
        // Rebuilt from the events log without its claim event: derive the branch as a first claim would.
        existing.branch = branchName(prefix, t);
        existing.worktree = join(root, worktreeDirName(existing.branch));
      }
      return existing;
    }
    // The branch chosen at the first claim is kept for good, even if the title changes later.
    const branch = branchName(prefix, t);
    const ts = newTicketState(t, branch, join(root, worktreeDirName(branch)), this.host.rt.now());
    state.tickets[t.key] = ts;
    return ts;
  }

  private dispatch(ticket: Ticket, ts: TicketState): void {
    const ac = new AbortController();
    const entry: Running = { ac, ticket, done: Promise.resolve() };
    this.running.set(ts.key, entry);
    entry.done = this.queue
      .add(() => this.attempt(ticket, ts, ac.signal))
      .catch((err) => this.host.rt.log.error(`attempt crashed: ${(err as Error).stack ?? err}`, ticket.identifier))
      .finally(() => {
        this.running.delete(ts.key);
        this.host.save();
        this.host.wake();
      });
  }

  private async attempt(ticket: Ticket, ts: TicketState, signal: AbortSignal): Promise<void> {
    const { rt, state } = this.host;
    const wf = this.host.workflow();
    const cfg = wf.config;
    const log = rt.log;
    const rec = startAttempt(ts, modelFor(ts.failures, cfg.agent.models), (n) => runFile(rt.paths, safeSegment(ts.key), n), rt.now());
    this.host.save();
    log.event('started', { ticket: ticket.identifier, key: ts.key, attempt: rec.number, model: rec.model }, `attempt ${rec.number} on ${rec.model} (${ts.failures}/${cfg.agent.max_attempts} failures so far)`);
    const out = await runAttempt(rt, this.host.services(), wf, {
      ticket,
      ts,
      rec,
      signal,
      onSpawn: (pid, pidStart) => {
        rec.pid = pid;
        rec.pid_start = pidStart;
        this.host.save(); // the pid must be on disk before anything else happens: a crash now leaves a findable orphan
      },
      onEvent: (ev, summary) => {
        ts.last_event = summary.lastActivity;
        if (state.canary && canaryPassed(summary, rt.now() - Date.parse(rec.started_at), cfg.agent.fast_fail)) {
          state.canary = false;
          log.event('canary_passed', { ticket: ticket.identifier }, 'canary run got past fast_fail: filling the other slots');
          this.host.wake();
        }
        // A dead login retries for minutes inside the CLI: stop at the first sign (SPEC §4 auth_failed).
        if (ev.type === 'api_retry' && (ev.error === 'authentication_failed' || ev.error === 'billing_error')) this.running.get(ts.key)?.ac.abort('auth');
        this.host.saveSoon();
      },
    });
    const jitter = Math.floor(rt.random() * Math.min(30_000, Math.max(1000, ((out.cls.resetAt ?? 0) - rt.now()) * 0.05)));
    const dailyBefore = budgetStop(cfg, state, undefined);
    const pauseBefore = state.pause;
    const effect = finishAttempt(state, ts, rec, out, cfg, rt.now(), jitter);
    const tripped = state.pause !== pauseBefore && state.pause?.kind === 'breaker' ? state.pause : null;
    if (tripped) log.event('paused', { kind: 'breaker', until: tripped.until, reason: tripped.reason, limit_type: null }, `dispatch paused until ${tripped.until}: ${tripped.reason}`, 'warn');
    const dailyStop = dailyBefore ? null : budgetStop(cfg, state, undefined);
    if (dailyStop) log.event('budget_reached', { daily_usd: cfg.budget.daily_usd, spent_usd: state.daily.cost_usd }, `no new work today: ${dailyStop}`, 'warn');
    this.host.save();
    log.event('finished', { ticket: ticket.identifier, key: ts.key, attempt: rec.number, model: rec.model, outcome: rec.outcome, counted: rec.counted, reason: rec.reason, cost_usd: rec.cost_usd }, `attempt ${rec.number} ${rec.outcome}${rec.counted ? ' (counted)' : ''}: ${rec.reason}`, rec.outcome.startsWith('pr_') ? 'info' : 'warn');
    await this.tell(ticket, ts, effect);
  }

  /** Tell the tracker what happened. Failures here are healed by reconcile() on a later poll. */
  private async tell(ticket: Ticket, ts: TicketState, effect: Effect): Promise<void> {
    const tracker = this.host.services().tracker;
    const sticky = renderSticky(ts, this.host.workflow().config.agent.max_attempts);
    const log = this.host.rt.log;
    const pending = !ts.tracker_synced; // a claim dropped while the agent ran that the tracker has not heard of
    ts.tracker_synced = false;
    this.syncing.add(ts.key);
    try {
      switch (effect.kind) {
        case 'handoff':
          log.event('pr_opened', { ticket: ticket.identifier, pr: ts.pr?.url ?? null }, `handed off: ${ts.pr?.url ?? ts.branch}`);
          await tracker.release(ticket, ts.pr ? { ...ts.pr, state: 'open', branch: ts.branch } : null, sticky);
          break;
        case 'failed':
          log.event('ticket_failed', { ticket: ticket.identifier, reason: effect.reason }, `failed after ${ts.failures} counted attempts: ${effect.reason}`, 'error');
          await tracker.markFailed(ticket, sticky);
          break;
        case 'pause':
          log.event('paused', { kind: effect.pause.kind, until: effect.pause.until, reason: effect.pause.reason, limit_type: effect.pause.limit_type }, `dispatch paused${effect.pause.until ? ` until ${effect.pause.until}` : ' until `swarm resume`'}: ${effect.pause.reason}`, 'warn');
          await tracker.updateSticky(ticket, sticky);
          break;
        case 'retry':
          log.event('retry_scheduled', { ticket: ticket.identifier, at: new Date(effect.at).toISOString(), reason: effect.reason }, `retry at ${new Date(effect.at).toISOString()}`);
          await tracker.updateSticky(ticket, sticky);
          break;
        case 'cancelled':
          // reconcile() usually released the claim while the attempt still ran: show how it ended. After
          // `swarm release` the agent may stop before any poll did, so release the claim here.
          if (pending) await tracker.unclaim(ticket, sticky);
          else await tracker.updateSticky(ticket, sticky);
          break;
      }
      ts.tracker_synced = true;
      this.host.save();
    } catch (err) {
      log.warn(`tracker update failed: ${(err as Error).message} (will be repaired on a later poll)`, ticket.identifier);
    } finally {
      this.syncing.delete(ts.key);
    }
  }
}
