// PR follow-through in the loop: every pr.watch_interval, observe the PR of each handed-off
// ticket (conditional requests: an idle PR costs only 304s), and on every poll act on the latest
// observation — the end of the ticket when the PR is merged or closed, a stop for a human, or a follow-up
// attempt when a slot is free. What to do is decided in core/followup-policy.ts; every change is a lifecycle
// step; the follow-up itself is claimed and run by the dispatcher like any attempt.
import type { Ticket } from '../tracker/types.js';
import type { PrObservation } from '../tracker/pr-watch.js';
import type { TicketState } from '../core/types.js';
import type { Ledger } from '../state/ledger.js';
import { commitsSeen, followupsResumed, needsHuman, prClosed, type Step } from '../core/lifecycle.js';
import { TrackerError } from '../errors.js';
import { checkSummary, decideFollowup, type FollowupDecision } from '../core/followup-policy.js';
import { refusedControl } from './reconcile.js';
import { scopePause } from '../core/policy.js';
import { budgetStop } from '../core/budget.js';
import type { Dispatcher } from './dispatcher.js';
import type { TrackerSync } from './sync.js';
import type { Runtime, Settings } from './runtime.js';

export interface FollowerDeps {
  rt: Runtime;
  ledger: Ledger;
  sync: TrackerSync;
  settings: Settings;
  work: Pick<Dispatcher, 'startFollowup' | 'running'>;
  /** Verification after merge: the step a merged PR starts (null: just done), and auto-merge on an open PR. */
  verify?: { started(ts: TicketState, obs: PrObservation, now: number): Step | null; autoMerge(ts: TicketState, obs: PrObservation): Promise<void> };
  /** The watch interval in force (webhooks relax it while they are healthy); default pr.watch_interval. */
  watchInterval?: () => number;
}

/** Requests a watch round may spend on one PR's failing check logs, at most. */
const MAX_LOGS = 3;

export class PrFollower {
  /** The latest observation per ticket key (refreshed every pr.watch_interval). */
  private readonly seen = new Map<string, PrObservation>();
  private lastWatch = Number.NEGATIVE_INFINITY;
  /** Stopped tickets seen carrying the needs-human label (its removal is a hand-back). */
  private readonly labelSeen = new Set<string>();
  /** For /metrics and benches: watch rounds and observations made. */
  readonly stats = { rounds: 0, observed: 0 };

  constructor(private readonly d: FollowerDeps) {}

  /** Handed-off tickets whose PR is watched. */
  watched(): TicketState[] {
    return Object.values(this.d.ledger.state.tickets).filter((t) => t.status === 'review' && t.pr !== null && t.pr.number > 0);
  }

  /**
   * One poll's share: observe when the interval is due, then act on what was seen. `listed` is this poll's
   * listing (a removed needs-human label is noticed there); `canStart` says whether a slot is free now.
   */
  async poll(listed: readonly Ticket[], canStart: () => boolean): Promise<void> {
    const { rt, settings } = this.d;
    const watch = settings.svc.codeHost.watch;
    if (!watch) return;
    const now = rt.now();
    const watchRound = now - this.lastWatch >= (this.d.watchInterval?.() ?? settings.wf.config.pr.watch_interval);
    if (watchRound) {
      this.lastWatch = now;
      await this.observeAll();
    }
    await this.actOn(this.watched(), new Map(listed.map((t) => [t.key, t])), watchRound, canStart);
  }

  /**
   * A webhook named these tickets' pull requests (or their head commits): observe them now, without waiting
   * for the watch interval, and act on what is seen exactly as a watch round would. Returns the PRs observed.
   */
  async observeNow(keys: ReadonlySet<string>, canStart: () => boolean): Promise<number> {
    const watch = this.d.settings.svc.codeHost.watch;
    if (!watch) return 0;
    const tickets = this.watched().filter((ts) => keys.has(ts.key));
    let observed = 0;
    for (const ts of tickets) {
      if (this.d.work.running.has(ts.key)) continue;
      try {
        this.seen.set(ts.key, await watch.observe(ts.pr!.number));
        this.stats.observed++;
        observed++;
      } catch (err) {
        this.d.rt.log.debug(`could not watch PR #${ts.pr!.number}: ${(err as Error).message}`, ts.identifier);
      }
    }
    await this.actOn(tickets, new Map(), false, canStart);
    return observed;
  }

  /** Watched tickets whose PR head, as last observed, is `sha`. */
  keysForHead(sha: string): string[] {
    return [...this.seen].filter(([, obs]) => obs.head_sha === sha).map(([key]) => key);
  }

  private async actOn(tickets: readonly TicketState[], byKey: ReadonlyMap<string, Ticket>, watchRound: boolean, canStart: () => boolean): Promise<void> {
    const { rt } = this.d;
    for (const ts of tickets) {
      if (this.d.work.running.has(ts.key) || this.d.sync.isSyncing(ts.key)) continue;
      if (rt.leases.heldElsewhere(ts.key) !== null) continue;
      const obs = this.seen.get(ts.key);
      if (!obs || obs.number !== ts.pr!.number) continue;
      try {
        if (await this.handedBack(ts, byKey.get(ts.key), obs, watchRound)) continue;
        await this.act(this.d.ledger.ticket(ts.key)!, obs, canStart);
      } catch (err) {
        rt.log.warn(`PR follow-through: ${(err as Error).message} (will try again next poll)`, ts.identifier);
      }
    }
  }

  /** The watch interval is due on the next poll (tests, POST /api/v1/refresh). */
  due(): void {
    this.lastWatch = Number.NEGATIVE_INFINITY;
  }

  private async observeAll(): Promise<void> {
    const { rt, settings } = this.d;
    const watch = settings.svc.codeHost.watch!;
    this.stats.rounds++;
    const keys = new Set<string>();
    for (const ts of this.watched()) {
      keys.add(ts.key);
      try {
        const obs = await watch.observe(ts.pr!.number);
        this.stats.observed++;
        this.seen.set(ts.key, obs);
      } catch (err) {
        if (err instanceof TrackerError && err.kind === 'rate_limited') {
          rt.log.warn(`PR follow-through waits: ${err.message}`);
          return; // the rest next interval
        }
        rt.log.debug(`could not watch PR #${ts.pr!.number}: ${(err as Error).message}`, ts.identifier);
      }
    }
    for (const k of this.seen.keys()) if (!keys.has(k)) this.seen.delete(k);
  }

  /**
   * A human removed the needs-human label: follow-ups may start again (confirmed with a fresh read). A
   * ticket the poll does not list (Linear: In Review is not an eligible state) is read once per watch round.
   */
  private async handedBack(ts: TicketState, listed: Ticket | undefined, obs: PrObservation, watchRound: boolean): Promise<boolean> {
    const stop = ts.followup?.stopped?.why;
    if ((stop !== 'needs_human' && stop !== 'human_push') || ts.synced_rev < ts.rev || (!listed && !watchRound)) return false;
    const label = this.d.settings.wf.config.pr.needs_human_label;
    const has = (t: Ticket) => t.labels.some((l) => l.toLowerCase() === label.toLowerCase());
    // Handed back = the label was there and now is not. A tracker that never showed it (a Linear workspace
    // without such a label) must not read as a human's hand-back, or the bound would reset forever.
    if (listed && has(listed)) {
      this.labelSeen.add(ts.key);
      return false;
    }
    const fresh = listed && !this.labelSeen.has(ts.key) ? listed : await this.d.settings.svc.tracker.fetch(ts.key);
    if (!fresh) return false;
    if (has(fresh)) {
      this.labelSeen.add(ts.key);
      return false;
    }
    if (!this.labelSeen.has(ts.key)) return false;
    if (await this.refused(ts, fresh, label)) return true; // taken off by someone swarm does not trust: put back
    this.labelSeen.delete(ts.key);
    await this.commitHeld(ts.key, followupsResumed(ts, `${label} was removed: follow-ups may start again (the branch head ${obs.head_sha.slice(0, 7)} is taken as the starting point)`, obs.head_sha, this.d.rt.now()), fresh);
    return true;
  }

  /** The needs-human label was taken off by someone swarm does not trust: refused (the label goes back on). */
  private async refused(ts: TicketState, fresh: Ticket, label: string): Promise<boolean> {
    const c = this.d.rt.leases;
    const had = c.holds(ts.key);
    if (!had && (await c.acquire(ts.key)) === null) return true; // another daemon holds it: its call
    try {
      return await refusedControl(this.d, ts, fresh, { removedLabel: label }, `${label} was removed`);
    } finally {
      if (c.shared && !had && !this.d.work.running.has(ts.key)) await c.release(ts.key);
    }
  }

  private async act(ts: TicketState, obs: PrObservation, canStart: () => boolean): Promise<void> {
    const { rt, ledger, settings } = this.d;
    const cfg = settings.wf.config;
    if (obs.state === 'open' && (ts.followup?.ours.length ?? 0) === 0) {
      // Handed off without a run of ours on record (found, or an older state): its head is where we start.
      await ledger.commit(commitsSeen(ts, [obs.head_sha], rt.now()));
      ts = ledger.ticket(ts.key)!;
    }
    const decision = decideFollowup(ts, obs, { config: cfg, budgetStop: budgetStop(cfg, ledger.state, ts) });
    const now = rt.now();
    const waitWhy = decision.act === 'followup' ? this.startBlocked(canStart) : null;
    const human = decision.act === 'none' && decision.human ? { human: decision.human } : {};
    ledger.noteWatch(ts.key, { at: new Date(now).toISOString(), head_sha: obs.head_sha, checks: checkSummary(obs, cfg), decision: waitWhy ? `${decision.why} — waiting: ${waitWhy}` : decision.why, ...human });
    if (obs.state === 'open') await this.d.verify?.autoMerge(ts, obs).catch((err: Error) => rt.log.warn(`auto-merge: ${err.message} (will try again)`, ts.identifier));
    switch (decision.act) {
      case 'none':
        return;
      case 'done':
        // Merged: verification after merge starts (where the code host can verify it); otherwise it is done.
        await this.commitHeld(ts.key, (decision.merged ? this.d.verify?.started(ts, obs, now) : null) ?? prClosed(ts, decision.merged, now));
        return;
      case 'stop':
        await this.commitHeld(ts.key, needsHuman(ts, decision.why, decision.reason, cfg.pr.needs_human_label, now));
        return;
      case 'followup':
        if (waitWhy === null) await this.start(ts, obs, decision);
    }
  }

  /** Why a follow-up cannot start now (it starts on a later poll), or null. */
  private startBlocked(canStart: () => boolean): string | null {
    const pause = scopePause(this.d.ledger.state, this.d.rt.now(), this.d.ledger.diskFullSince);
    if (pause) return `dispatch paused (${pause.kind})`;
    return canStart() ? null : 'no free slot';
  }

  private async start(ts: TicketState, obs: PrObservation, d: Extract<FollowupDecision, { act: 'followup' }>): Promise<void> {
    const watch = this.d.settings.svc.codeHost.watch!;
    const bytes = this.d.settings.wf.config.pr.log_excerpt_bytes;
    const checks = [];
    // Logs are fetched only now, for a failure that will be acted on, and capped.
    for (const [i, c] of d.failing.entries()) {
      let excerpt = '';
      if ((c.source === 'check_run' || c.source === 'actions_job') && i < MAX_LOGS) excerpt = await watch.logExcerpt(c, bytes).catch(() => '');
      checks.push({ name: c.name, conclusion: c.conclusion ?? '', summary: c.summary, log_excerpt: excerpt });
    }
    await this.d.work.startFollowup(ts.key, { pr: obs.number, kind: d.kind, head_sha: d.head_sha, triggers: d.triggers, checks, comments: d.comments });
  }

  /** Commit a change for a ticket nobody else holds, show it, and let the lease go again (fleet mode). */
  private async commitHeld(key: string, step: Step, view?: Ticket): Promise<void> {
    const c = this.d.rt.leases;
    const had = c.holds(key);
    if (!had && (await c.acquire(key)) === null) return;
    await this.d.ledger.commit(step);
    const shown = await this.d.sync.sync(key, view);
    if (c.shared && !had && shown && !this.d.work.running.has(key)) await c.release(key);
  }
}
