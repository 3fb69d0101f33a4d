// One dispatched attempt, in its queue slot: run it (runAttempt in attempt.ts) with the loop's last-moment
// checks — the fleet lease, the account's canary, the spawn gate committed in the same step as the spawn —
// then commit its end through the lifecycle before the tracker hears of it.
import type { Ticket } from '../tracker/types.js';
import type { AttemptOutput } from '../core/types.js';
import { runFile } from '../state/paths.js';
import { branchDiverged, finish, hold, interrupt, pause, spawned, start, canaryDone } from '../core/lifecycle.js';
import { runAttempt, safeSegment } from './attempt.js';
import { canaryPassed, earlyKill, modelFor, pauseJitterMs, spawnGate, type SpawnGateExtra } from '../core/policy.js';
import { laneOf } from '../core/lanes.js';
import { Inbox } from '../agent/inbox.js';
import { background, live, type DispatchHost, type Running } from './dispatch-running.js';

/** A ticket in one of these needs no lease once the tracker shows it. */
const SETTLED = new Set(['review', 'failed', 'released', 'done']);

/** A claimed ticket's attempt, in its queue slot: run it, then record its end (a crash here is the dispatcher's to log). */
export async function runDispatched(h: DispatchHost, ticket: Ticket, entry: Running): Promise<void> {
  const { rt, ledger, settings } = h.d;
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
  const account = h.d.account;
  const gateExtra = (): SpawnGateExtra => ({ lane: laneOf(ticket, cfg), model, backgroundRunning: background(h, key), account: account?.view() ?? null, disk: ledger.diskFullSince });
  const out = await runAttempt(rt, svc, wf, {
    ticket,
    ts: prepared,
    attempt: attemptNo,
    model,
    runFile: file,
    signal: entry.ac.signal,
    followup,
    resume,
    busyBranch: (b, since) => b !== prepared.branch && (h.branchActivity.get(b) ?? -1) >= since,
    ready: async () => {
      await rt.leases.beforeSpawn();
      // The account's canary goes to a spawn that would otherwise start now, and to no other.
      const wouldStart = () => live(h, key) === 0 && spawnGate(cfg, ledger.state, ledger.ticket(key), rt.now(), 0, { ...gateExtra(), account: null }) === null;
      if (account) entry.canary.held = await account.beforeSpawn(ticket.identifier, wouldStart);
    },
    // The last moment: the same synchronous step spawns the agent, so no pause can begin in between.
    gate: () => {
      const now = rt.now();
      const why = spawnGate(cfg, ledger.state, ledger.ticket(key), now, live(h, key), gateExtra());
      if (why !== null) return why;
      if (!rt.leases.holds(key) || entry.lost) return 'this daemon no longer holds the ticket';
      ledger.record(start(ledger.ticket(key)!, model, file, cfg.agent.max_attempts, now));
      entry.spawned = true;
      return null;
    },
    onSpawn: (pid, pidStart) => {
      // The pid must be on disk before anything else happens: a crash now leaves a findable orphan.
      void ledger.commit(spawned(ledger.ticket(key)!, attemptNo, pid, pidStart, rt.now())).catch(() => undefined);
      rt.leases.agentStarted(key, pid, pidStart);
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
        h.d.alarm.ring();
      }
      if (accountCanary) void account.canaryPassed(ticket.identifier).finally(() => h.d.alarm.ring());
      const kill = earlyKill(ev, cfg.agent.use_extra_usage);
      if (kill) entry.ac.abort(kill);
    },
  });
  await recordOutcome(h, ticket, entry, out, { attemptNo, model, file });
}

/**
 * Commit an attempt's end through the lifecycle: the shared account hears of it first, a lost lease records
 * nothing, then the tracker sync shows it and a settled ticket's lease is given back.
 */
async function recordOutcome(
  h: DispatchHost, ticket: Ticket, entry: Running, out: AttemptOutput, run: { attemptNo: number; model: string; file: string },
): Promise<void> {
  const { rt, ledger, settings } = h.d;
  const cfg = settings.wf.config;
  const key = ticket.key;
  const account = h.d.account;
  const { attemptNo, model, file } = run;
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
  if (!entry.lost && !rt.leases.holds(key)) await rt.leases.fence.check(key, "the attempt's result");
  if (entry.lost) return; // another daemon owns it now: whatever this run did is not ours to record
  if (out.held !== null) {
    await ledger.commit(hold(ts, out.held, ledger.state, now));
    void h.d.sync.sync(key);
    return;
  }
  if (out.diverged) {
    // Origin's branch was rewritten by someone else: nothing ran; the ticket stops for a human.
    const { branch, local_head, remote_head, ahead, behind, backup_ref, reason } = out.diverged;
    await ledger.commit(branchDiverged(ts, { branch, local_head, remote_head, ahead, behind, backup_ref, reason }, cfg.pr.needs_human_label, now));
    if (await h.d.sync.sync(key)) await rt.leases.release(key);
    return;
  }
  if (!out.started) {
    if (out.cls.outcome === 'cancelled') {
      // Stopped before the agent started: a cancel or release is already recorded; a shutdown leaves
      // the claim to resume at the next start.
      if (ts.status !== 'released') await ledger.commit(interrupt(ts, out.cls.reason, now));
      void h.d.sync.sync(key);
      return;
    }
    // Failed before the agent could start (worktree, hook, prompt): an uncounted attempt like any other.
    ledger.record(start(ts, model, file, cfg.agent.max_attempts, now));
  }
  const step = finish(ledger.state, ledger.ticket(key)!, attemptNo, out, cfg, now, jitter);
  await ledger.commit(step);
  // Something an agent may have planted for the others: no agent starts until an operator has looked.
  if (out.halt) await ledger.commit(pause({ kind: 'containment', reason: out.halt, until: null, limit_type: null }, now));
  if (step.tripped.breaker || step.tripped.pause || step.tripped.budget || out.halt) h.d.alarm.ring();
  if ((await h.d.sync.sync(key)) && SETTLED.has(ledger.ticket(key)!.status)) await rt.leases.release(key);
}