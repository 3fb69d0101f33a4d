// The work side of the loop: claim a chosen ticket (fresh read, trust, dedup guard), run its attempt in
// a p-queue slot, commit the outcome through the lifecycle and have the tracker sync show it. The poll
// loop decides WHAT to claim; this file does the claiming and owns the running agents. Every state change
// is a lifecycle step committed to the ledger before the tracker hears of it.
import PQueue from 'p-queue';
import type { Ticket } from '../tracker/types.js';
import { runFile } from '../state/paths.js';
import { branchName, worktreeDirName } from '../workspace/naming.js';
import { join } from 'node:path';
import { branchDiverged, claim, dropClaim, finish, handOffFound, hold, interrupt, pause, spawned, start, canaryDone } from '../core/lifecycle.js';
import { TrackerError } from '../errors.js';
import { startFollowup, type FollowupStart } from './followup-start.js';
import { terminateGroup } from '../agent/procs.js';
import { isDiskFull } from '../util/atomic-file.js';
import { orphanIsOurs } from './recovery.js';
import type { Takeover } from '../fleet/coordinator.js';
import { runAttempt, safeSegment } from './attempt.js';
import { canaryPassed, earlyKill, isEligible, modelFor, pauseJitterMs, spawnGate, type EligibilityContext, type SpawnGateExtra } from '../core/policy.js';
import { laneOf } from '../core/lanes.js';
import { dispatchHold } from '../core/verify-policy.js';
import { verifyConfig } from '../config/verify.js';
import { UntrustedTickets } from './untrusted.js';
import type { DispatcherDeps } from './dispatcher-deps.js';
import { Inbox } from '../agent/inbox.js';

export interface Running {
  ac: AbortController;
  ticket: Ticket;
  done: Promise<void>;
  /** The agent process was started (a claim still preparing is not). */
  spawned: boolean;
  /** Fleet mode: this daemon lost the ticket's lease; it writes nothing more for it. */
  lost: boolean;
  /** This run is the shared account's one canary after a usage limit; `proved`: it passed. */
  canary: { held: boolean; proved: boolean };
  /** The live session's operator inbox (null before the spawn). */
  inbox: Inbox | null;
  /** Why it is being stopped, when swarm or an operator stopped it: the attempt's recorded reason. */
  stopReason: string | null;
}

/** A ticket in one of these needs no lease once the tracker shows it. */
const SETTLED = new Set(['review', 'failed', 'released', 'done']);

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

  constructor(private readonly d: DispatcherDeps) {
    this.untrusted = new UntrustedTickets(d.rt);
    this.queue = new PQueue({ concurrency: d.settings.wf.config.agent.max_concurrent });
    // A lease lost (partitioned, or taken over after a stall): stop that agent; its ending is not recorded.
    d.rt.coordinator.onLost((keys) => {
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
    const coordinator = this.d.rt.coordinator;
    return {
      config: this.d.settings.wf.config, state: this.d.ledger.state, now: this.d.rt.now(), running: new Set(this.running.keys()), heldElsewhere: (k) => coordinator.heldElsewhere(k),
      account: this.d.account?.view() ?? null, backgroundRunning: this.background(null),
      hold: dispatchHold(this.d.ledger.state.base, verifyConfig(this.d.settings.wf.config)), waitsFor: this.d.waitsFor, disk: this.d.ledger.diskFullSince,
    };
  }

  /** Background-lane agents running or being prepared, other than `key`'s. */
  private background(key: string | null): number {
    const cfg = this.d.settings.wf.config;
    let n = 0;
    for (const [k, r] of this.running) if (k !== key && laneOf(r.ticket, cfg) === 'background') n++;
    return n;
  }

  /**
   * Re-read, check trust and the dedup guard, claim, and start the attempt in a queue slot. `justRead`: `t`
   * was read on its own moments ago (a webhook's targeted re-read), so it is not read a second time.
   */
  async claimAndDispatch(t: Ticket, opts: { justRead?: boolean } = {}): Promise<void> {
    const { rt, ledger } = this.d;
    const coordinator = rt.coordinator;
    if (this.untrusted.unchanged(t)) return;
    // Fleet mode: the ticket's lease first, so no two daemons ever prepare the same claim.
    const taken = await coordinator.acquire(t.key);
    if (taken === null) return;
    if (!(await this.claimTaken(t, taken, opts.justRead === true)) && !this.running.has(t.key)) {
      const ts = ledger.ticket(t.key);
      if (!ts || ts.synced_rev >= ts.rev) await coordinator.release(t.key);
    }
  }

  /** The claim once this daemon holds the ticket; false when it did not start an attempt. */
  private async claimTaken(t: Ticket, taken: Takeover | 'free', justRead: boolean): Promise<boolean> {
    const { rt, ledger, settings } = this.d;
    const { svc, wf } = settings;
    // The branch's refs are fetched while the ticket is re-read and checked (not for one known untrusted).
    if (!this.untrusted.has(t.key)) void svc.worktrees.fetchAhead(ledger.ticket(t.key)?.branch || branchName(wf.config.workspace.branch_prefix, t));
    let fresh: Ticket | null;
    try {
      fresh = justRead ? t : await svc.tracker.fetch(t.key);
      if (!fresh || !isEligible(fresh, this.context())) return false;
      const verdict = await svc.tracker.trust(fresh);
      this.untrusted.note(fresh, verdict.trusted ? null : verdict.reason);
      if (!verdict.trusted) return false;
    } catch (err) {
      if (await this.refused(err, t.identifier)) return false;
      rt.log.warn(`could not re-read before claiming: ${(err as Error).message}`, t.identifier);
      return false;
    }
    const key = fresh.key;
    if (taken !== 'free') await this.takeOver(key, taken);
    const prev = ledger.ticket(key);
    // The branch chosen at the first claim is kept for good, even if the title changes later.
    const branch = prev?.branch || branchName(wf.config.workspace.branch_prefix, fresh);
    // Where the branch's worktree is now (the namespace may have moved it since the first claim), as configured.
    const worktree = join(svc.worktrees.home, worktreeDirName(branch));
    // A follow-up waiting to run again (a pause, a restart) works on the open PR: that is no duplicate.
    const followingUp = prev?.followup?.pending != null;
    let pr;
    try {
      pr = followingUp ? null : await svc.codeHost.findPullRequest(branch);
    } catch (err) {
      rt.log.warn(`could not look for an existing pull request: ${(err as Error).message} (will retry next poll)`, fresh.identifier);
      return false;
    }
    if (pr && pr.state !== 'closed') {
      // Dedup guard: the work is already handed off (maybe while the daemon was down, or by a daemon gone).
      await ledger.commit(handOffFound(ledger.ticket(key), fresh, pr, branch, worktree, rt.now()));
      await this.d.sync.sync(key, fresh);
      return false;
    }
    // Claimed on disk before the tracker hears of it: a crash now is a claim we know about.
    await ledger.commit(claim(ledger.ticket(key), fresh, branch, worktree, rt.now()));
    this.branchActivity.set(branch, Date.now());
    void svc.worktrees.prefetch(branch, fresh).finally(() => this.branchActivity.set(branch, Math.max(this.branchActivity.get(branch) ?? 0, Date.now()))); // git work overlaps the claim's tracker writes
    if (!(await this.d.sync.sync(key, fresh))) {
      // The tracker did not take the claim: drop it (the next poll's reconcile tidies the tracker up).
      await ledger.commit(dropClaim(ledger.ticket(key)!, 'claim_failed', 'the tracker did not take the claim', rt.now()));
      await this.refused(this.d.sync.failure(key), fresh.identifier);
      return false;
    }
    this.dispatch(fresh);
    return true;
  }

  /**
   * The tracker refused a claim for want of a permission (403) or credentials: no later claim can work
   * either, so dispatch pauses until an operator acts, and the pause says what to grant (the message names
   * the permission GitHub asked for). True when it paused.
   */
  private async refused(err: unknown, ticket: string): Promise<boolean> {
    if (!(err instanceof TrackerError) || err.kind !== 'auth') return false;
    const { rt, ledger } = this.d;
    if (ledger.state.pause?.kind !== 'auth') {
      const reason = `claiming ${ticket}: ${err.message}; fix it, then \`swarm resume\``;
      await ledger.commit(pause({ kind: 'auth', reason, until: null, limit_type: null }, rt.now()));
    }
    return true;
  }

  /** PR follow-through: start a follow-up for a handed-off ticket (same branch and worktree); see followup-start.ts. */
  startFollowup(key: string, f: FollowupStart): Promise<boolean> {
    return startFollowup(this.d, key, f, { running: (k) => this.running.has(k), dispatch: (t) => this.dispatch(t), untrusted: (t, why) => this.untrusted.note(t, why) });
  }

  /**
   * A ticket whose holder is gone: kill the holder's orphaned agent group if it ran in this machine's boot
   * and PID namespace (pid and start time must match, so a reused pid is never killed; elsewhere its own
   * supervisor stops it), and interrupt the attempt it left running.
   */
  private async takeOver(key: string, from: Takeover): Promise<void> {
    const { rt, ledger } = this.d;
    const ts = ledger.ticket(key);
    if (from.agentPid !== null && from.local && orphanIsOurs(from.agentPid, from.agentPidStart)) {
      await terminateGroup(from.agentPid, 5000);
      rt.log.event({ type: 'orphan_killed', ticket: ts?.identifier ?? key, pid: from.agentPid, found_by: 'state' });
    }
    if (ts && (ts.status === 'running' || ts.status === 'claimed' || ts.attempts.some((a) => a.outcome === 'running'))) {
      await ledger.commit(interrupt(ts, `taken over from ${from.holder}, which stopped (not counted)`, rt.now()));
    }
  }

  private dispatch(ticket: Ticket): void {
    const entry: Running = { ac: new AbortController(), ticket, done: Promise.resolve(), spawned: false, lost: false, canary: { held: false, proved: false }, inbox: null, stopReason: null };
    this.running.set(ticket.key, entry);
    const branch = this.d.ledger.ticket(ticket.key)?.branch;
    if (branch) this.branchActivity.set(branch, Infinity);
    entry.done = this.queue
      .add(() => this.attempt(ticket, entry))
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

  /** Agents that were actually started, other than `key`'s. */
  private live(key: string): number {
    let n = 0;
    for (const [k, r] of this.running) if (k !== key && r.spawned) n++;
    return n;
  }

  private async attempt(ticket: Ticket, entry: Running): Promise<void> {
    const { rt, ledger, settings } = this.d;
    const { wf, svc } = settings;
    const cfg = wf.config;
    const key = ticket.key;
    const prepared = ledger.ticket(key)!;
    const attemptNo = prepared.attempts.length + 1;
    const model = modelFor(prepared.failures, cfg.agent.models);
    const file = runFile(rt.paths, safeSegment(key), attemptNo);
    const followup = prepared.followup?.pending ?? null;
    // A follow-up resumes the ticket's last Claude session when there is one (runAttempt starts fresh if it is gone).
    const resume = followup ? [...prepared.attempts].reverse().find((a) => a.session_id !== null)?.session_id ?? null : null;
    const account = this.d.account;
    const gateExtra = (): SpawnGateExtra => ({ lane: laneOf(ticket, cfg), model, backgroundRunning: this.background(key), account: account?.view() ?? null, disk: ledger.diskFullSince });
    const out = await runAttempt(rt, svc, wf, {
      ticket,
      ts: prepared,
      attempt: attemptNo,
      model,
      runFile: file,
      signal: entry.ac.signal,
      followup,
      resume,
      busyBranch: (b, since) => b !== prepared.branch && (this.branchActivity.get(b) ?? -1) >= since,
      ready: async () => {
        await rt.coordinator.beforeSpawn();
        // The account's canary goes to a spawn that would otherwise start now, and to no other.
        const wouldStart = () => this.live(key) === 0 && spawnGate(cfg, ledger.state, ledger.ticket(key), rt.now(), 0, { ...gateExtra(), account: null }) === null;
        if (account) entry.canary.held = await account.beforeSpawn(ticket.identifier, wouldStart);
      },
      // The last moment: the same synchronous step spawns the agent, so no pause can begin in between.
      gate: () => {
        const now = rt.now();
        const why = spawnGate(cfg, ledger.state, ledger.ticket(key), now, this.live(key), gateExtra());
        if (why !== null) return why;
        if (!rt.coordinator.holds(key) || entry.lost) return 'this daemon no longer holds the ticket';
        ledger.record(start(ledger.ticket(key)!, model, file, cfg.agent.max_attempts, now));
        entry.spawned = true;
        return null;
      },
      onSpawn: (pid, pidStart) => {
        // The pid must be on disk before anything else happens: a crash now leaves a findable orphan.
        void ledger.commit(spawned(ledger.ticket(key)!, attemptNo, pid, pidStart, rt.now())).catch(() => undefined);
        rt.coordinator.agentStarted(key, pid, pidStart);
      },
      newInbox: () => (entry.inbox = new Inbox()),
      onEvent: (ev, summary) => {
        ledger.note(key, summary.lastActivity);
        rt.watch?.line(ticket, attemptNo, ev);
        if (ev.type === 'rate_limit') account?.streamed(summary.window);
        const started = ledger.ticket(key)?.attempts.find((a) => a.number === attemptNo)?.started_at;
        const passed = started !== undefined && canaryPassed(summary, rt.now() - Date.parse(started), cfg.agent.fast_fail);
        const accountCanary = account !== null && entry.canary.held && !entry.canary.proved && passed;
        if (accountCanary) entry.canary.proved = true;
        // This daemon's log says canary_passed for its own canary and for the account's, when it ran it.
        if ((ledger.state.canary && passed) || accountCanary) {
          void ledger.commit(canaryDone(ticket.identifier, rt.now())).catch(() => undefined);
          this.d.alarm.ring();
        }
        if (accountCanary) void account.canaryPassed(ticket.identifier).finally(() => this.d.alarm.ring());
        const kill = earlyKill(ev, cfg.agent.use_extra_usage);
        if (kill) entry.ac.abort(kill);
      },
    });
    // Stopped by swarm or an operator: the attempt records who stopped it and why.
    if (out.cls.outcome === 'cancelled' && entry.stopReason) out.cls = { ...out.cls, reason: entry.stopReason };
    const now = rt.now();
    const ts = ledger.ticket(key)!;
    const jitter = pauseJitterMs(out.cls.resetAt, now, rt.random());
    if (account) {
      // What the account learns first: a limit must reach the other daemons before anything else happens here.
      if (out.started) await account.ended(out.cls, out.run?.summary.window ?? null, cfg, now, jitter);
      if (entry.canary.held && !entry.canary.proved) await account.canaryReleased(ticket.identifier);
    }
    // Fleet: a freeze or an outage outlasted the lease's last confirmation: ask before recording anything.
    if (!entry.lost && !rt.coordinator.holds(key)) await rt.coordinator.fence.check(key, "the attempt's result");
    if (entry.lost) return; // another daemon owns it now: whatever this run did is not ours to record
    if (out.held !== null) {
      await ledger.commit(hold(ts, out.held, ledger.state, now));
      void this.d.sync.sync(key);
      return;
    }
    if (out.diverged) {
      // Origin's branch was rewritten by someone else: nothing ran; the ticket stops for a human.
      const { branch, local_head, remote_head, ahead, behind, backup_ref, reason } = out.diverged;
      await ledger.commit(branchDiverged(ts, { branch, local_head, remote_head, ahead, behind, backup_ref, reason }, cfg.pr.needs_human_label, now));
      if (await this.d.sync.sync(key)) await rt.coordinator.release(key);
      return;
    }
    if (!out.started) {
      if (out.cls.outcome === 'cancelled') {
        // Stopped before the agent started: a cancel or release is already recorded; a shutdown leaves
        // the claim to resume at the next start.
        if (ts.status !== 'released') await ledger.commit(interrupt(ts, out.cls.reason, now));
        void this.d.sync.sync(key);
        return;
      }
      // Failed before the agent could start (worktree, hook, prompt): an uncounted attempt like any other.
      ledger.record(start(ts, model, file, cfg.agent.max_attempts, now));
    }
    const step = finish(ledger.state, ledger.ticket(key)!, attemptNo, out, cfg, now, jitter);
    await ledger.commit(step);
    // Something an agent may have planted for the others: no agent starts until an operator has looked.
    if (out.halt) await ledger.commit(pause({ kind: 'containment', reason: out.halt, until: null, limit_type: null }, now));
    if (step.tripped.breaker || step.tripped.pause || step.tripped.budget || out.halt) this.d.alarm.ring();
    if ((await this.d.sync.sync(key)) && SETTLED.has(ledger.ticket(key)!.status)) await rt.coordinator.release(key);
  }
}
