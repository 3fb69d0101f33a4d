// Verification after merge in the loop: a merged swarm PR puts its ticket in `verifying` (the follower
// commits verify_started); each poll, every ticket verifying or red gets a task here (the lease holder's, in
// fleet mode) that runs the verification (verify-run.ts) and then, write-ahead, each step of what follows:
// verified; or verify_red (charged or not) → reverted (the revert PR, the push, a report, a record, or why
// none) → reopened (a re-attempt one step up the ladder) or verify_settled. A restart resumes at the first
// step not on record, and each step looks before it writes, so nothing is reverted or reopened twice. The
// base branch's own state (base-watch.ts) and auto-merge (auto-merge.ts) are held here too.
import { join } from 'node:path';
import type { TicketState } from '../core/types.js';
import type { Ledger } from '../state/ledger.js';
import type { PrObservation } from '../tracker/pr-watch.js';
import type { MergeHost } from '../tracker/merge-host.js';
import type { Step } from '../core/lifecycle.js';
import type { VerifyRun } from '../core/verify-record.js';
import type { TrackerSync } from './sync.js';
import type { Runtime, Settings } from './runtime.js';
import { reopened, reverted, verified, verifyRed, verifySettled, verifyStarted } from '../core/verify-lifecycle.js';
import { verifyConfig } from '../config/verify.js';
import { worktreeDirName } from '../workspace/naming.js';
import { fetchBase, firstParents, isAncestor, revertOnBase } from '../workspace/verify-git.js';
import { chargeCommand, chargeOwn, redAction, revertCommand, type LandedMerge } from '../core/verify-policy.js';
import { reattemptBranch, revertBranch } from './verify-branches.js';
import { runVerification, type VerifyOutcome } from './verify-run.js';
import { planFor, revertMerge } from './verify-revert.js';
import { BaseWatch } from './base-watch.js';
import { AutoMerger } from './auto-merge.js';

export interface VerifierDeps {
  rt: Runtime;
  ledger: Ledger;
  sync: TrackerSync;
  settings: Settings;
  /** The PR watch interval in force (relaxed while webhooks are healthy); the base watch follows it. */
  watchInterval?: () => number;
}

const UNDER_WAY = new Set<TicketState['status']>(['verifying', 'red']);
const short = (sha: string) => sha.slice(0, 7);

export class Verifier {
  readonly base: BaseWatch;
  readonly autoMerge: AutoMerger;
  private readonly tasks = new Map<string, { ac: AbortController; done: Promise<void> }>();
  /** A task that failed (GitHub or git unreachable) is started again after this time. */
  private readonly retryAt = new Map<string, number>();
  /** `<key>:<merge sha>` of reverted tickets whose revert PR is merged into the base (their re-attempt may start). */
  private readonly landed = new Set<string>();
  private lastLandedCheck = Number.NEGATIVE_INFINITY;
  /** For /metrics and benches. */
  readonly stats = { tasks: 0, failures: 0 };

  constructor(private readonly d: VerifierDeps) {
    this.base = new BaseWatch(d);
    this.autoMerge = new AutoMerger({ rt: d.rt, settings: d.settings, base: () => this.base.view });
  }

  /** The step that starts verification of a merged PR; null when it cannot be verified here (then it is simply done). */
  started(ts: TicketState, obs: PrObservation, now: number): Step | null {
    const svc = this.d.settings.svc;
    if (!svc.codeHost.merges || obs.state !== 'merged' || !obs.merge_commit_sha) return null;
    return verifyStarted(ts, {
      pr: ts.pr?.url ?? '', number: obs.number, merge_sha: obs.merge_commit_sha, base: obs.base_branch || svc.baseBranch, head_sha: obs.head_sha, commits: obs.commits ?? 0,
    }, now);
  }

  /** Tickets whose verification is not over (a `--until-idle` run waits for them). */
  pending(): number {
    return Object.values(this.d.ledger.state.tickets).filter((t) => UNDER_WAY.has(t.status)).length;
  }

  notes(): string[] {
    return this.autoMerge.notes();
  }

  /**
   * A reverted ticket's re-attempt starts from a base that no longer has the broken change: with a revert PR,
   * only once that PR is merged (a pushed revert is on the base already). Why it still waits, or null.
   */
  revertWait(key: string): string | null {
    const ts = this.d.ledger.ticket(key);
    const cur = ts?.verify?.current;
    if (!ts || !cur || cur.phase !== 'reopened' || !ts.verify?.evidence || cur.revert?.outcome !== 'opened') return null;
    if (this.landed.has(`${key}:${cur.merge_sha}`)) return null;
    return `waits for its revert ${cur.revert.pr_url ?? `(${cur.revert.branch})`} to be merged into ${cur.base}, so the next attempt starts from a base without the broken change`;
  }

  /** Once per watch interval: which awaited reverts reached the base. */
  private async checkLanded(): Promise<void> {
    const { rt, ledger, settings } = this.d;
    const awaited = Object.values(ledger.state.tickets).filter((t) => this.revertWait(t.key) !== null);
    if (awaited.length === 0 || rt.now() - this.lastLandedCheck < settings.wf.config.pr.watch_interval) return;
    this.lastLandedCheck = rt.now();
    const bases = new Set(awaited.map((t) => t.verify!.current!.base));
    for (const b of bases) await fetchBase(rt.repoDir, b);
    for (const t of awaited) {
      const cur = t.verify!.current!;
      if (await revertOnBase(rt.repoDir, cur.merge_sha, cur.base)) this.landed.add(`${t.key}:${cur.merge_sha}`);
    }
  }

  /** A delivery named commits no watched PR has as its head: one of them may be the base's — look now. */
  async baseNamed(): Promise<void> {
    const merges = this.d.settings.svc.codeHost.merges;
    if (!merges) return;
    this.base.due();
    await this.watchBase(merges);
  }

  /** A base watch round when one is due; a failure is tried again at the next. */
  private async watchBase(merges: MergeHost): Promise<void> {
    try {
      await this.base.poll(merges, (sha) => this.swarmMerge(sha));
    } catch (err) {
      this.d.rt.log.debug(`base branch watch: ${(err as Error).message} (will try again)`);
    }
  }

  /** One poll's share: watch the base, and give every ticket under verification its task. */
  async poll(): Promise<void> {
    const { rt, ledger, settings } = this.d;
    const merges = settings.svc.codeHost.merges;
    if (!merges) return;
    await this.watchBase(merges);
    await this.checkLanded().catch((err: Error) => rt.log.debug(`checking for merged reverts: ${err.message}`));
    const now = rt.now();
    for (const ts of Object.values(ledger.state.tickets)) {
      if (!UNDER_WAY.has(ts.status) || this.tasks.has(ts.key) || (this.retryAt.get(ts.key) ?? 0) > now) continue;
      if (rt.leases.heldElsewhere(ts.key) !== null) continue;
      this.launch(ts.key, merges);
    }
  }

  abortAll(): void {
    for (const t of this.tasks.values()) t.ac.abort();
  }

  async settle(): Promise<void> {
    await Promise.allSettled([...this.tasks.values()].map((t) => t.done));
  }

  private launch(key: string, merges: MergeHost): void {
    const ac = new AbortController();
    const entry = { ac, done: Promise.resolve() };
    this.tasks.set(key, entry);
    this.stats.tasks++;
    entry.done = this.task(key, merges, ac.signal)
      .catch((err: unknown) => {
        if (ac.signal.aborted) return;
        this.stats.failures++;
        this.retryAt.set(key, this.d.rt.now() + this.d.settings.wf.config.pr.watch_interval);
        this.d.rt.log.warn(`verification: ${(err as Error).message} (will try again)`, this.d.ledger.ticket(key)?.identifier);
      })
      .finally(() => this.tasks.delete(key));
  }

  /** The ticket's verification and what follows it, from the first step not on record. */
  private async task(key: string, merges: MergeHost, signal: AbortSignal): Promise<void> {
    const c = this.d.rt.leases;
    const had = c.holds(key);
    if (!had && (await c.acquire(key)) === null) return; // another daemon's, in fleet mode
    try {
      let ts = this.d.ledger.ticket(key);
      if (ts?.status === 'verifying' && ts.verify?.current) {
        const outcome = await runVerification({ ...this.ctx(merges), note: (t) => this.d.ledger.note(key, t), sleep: sleeper(signal) }, ts, ts.verify.current);
        if (signal.aborted) return;
        await this.record(key, ts.verify.current, outcome);
      }
      ts = this.d.ledger.ticket(key);
      if (ts?.status === 'red' && ts.verify?.current) await this.afterRed(key, ts.verify.current, merges);
    } finally {
      const ts = this.d.ledger.ticket(key);
      if (c.shared && !had && ts && ts.synced_rev >= ts.rev && !UNDER_WAY.has(ts.status)) await c.release(key);
    }
  }

  private async record(key: string, run: VerifyRun, outcome: VerifyOutcome): Promise<void> {
    const ts = this.d.ledger.ticket(key)!;
    const now = this.d.rt.now();
    if (outcome.kind === 'green') {
      await this.commit(key, verified(ts, run.merge_sha, outcome.detail, now));
      const b = this.base.view;
      if (b?.red && b.red_sha && b.red_sha !== run.merge_sha && (await isAncestor(this.d.rt.repoDir, b.red_sha, run.merge_sha))) this.base.green(run.merge_sha);
      return;
    }
    if (outcome.kind === 'unverified') {
      await this.commit(key, verifySettled(ts, run.merge_sha, 'unverified', `merged, not verified: ${outcome.detail}`, now));
      return;
    }
    const charge = outcome.reason === 'command' ? chargeCommand({ key, identifier: ts.identifier, sha: run.merge_sha }, await this.landedSince(run.base)) : chargeOwn(outcome.reason, run.merge_sha, outcome.parent);
    const { parent: _parent, kind: _kind, ...evidence } = outcome;
    await this.commit(key, verifyRed(ts, { merge_sha: run.merge_sha, ...evidence, charged: charge.charged, charge_note: charge.note }, now));
    this.base.markRed(run.merge_sha, outcome.reason, `${outcome.detail}; ${charge.note}`, charge.charged ? ts.identifier : null);
  }

  /** Red on record: revert (or report, record, leave to a human), then reopen or settle. */
  private async afterRed(key: string, run: VerifyRun, merges: MergeHost): Promise<void> {
    const cfg = this.d.settings.wf.config;
    const v = verifyConfig(cfg);
    let ts = this.d.ledger.ticket(key)!;
    const now = () => this.d.rt.now();
    if (run.revert === null) {
      const action = redAction(v, run.charged, ts.verify?.reverts ?? 0);
      const k = (ts.verify?.reverts ?? 0) + 1;
      const branch = revertBranch(cfg.workspace.branch_prefix, ts, k);
      const base = { merge_sha: run.merge_sha, branch, pr: null, number: null, pushed_sha: null };
      switch (action.act) {
        case 'none':
          await this.commit(key, verifySettled(ts, run.merge_sha, 'not_charged', `the base went red but this merge is not charged: ${run.charge_note}`, now()));
          return;
        case 'record':
          await this.commit(key, reverted(ts, { ...base, mode: 'off', outcome: 'recorded', detail: `verify.revert is off: recorded only, ${short(run.merge_sha)} was not reverted` }, now()));
          break;
        case 'report': {
          const plan = await planFor(this.d.rt, run);
          const how = 'notOurs' in plan ? `it would not revert it (${plan.notOurs})` : `swarm would revert ${short(run.merge_sha)} with \`${revertCommand(plan, run.merge_sha)}\` in ${v.revert_draft ? 'a draft' : 'a'} PR from ${branch} and reopen ${ts.identifier}`;
          await this.commit(key, reverted(ts, { ...base, mode: 'report', outcome: 'reported', detail: `${how} — verify.revert is report: nothing was reverted or reopened` }, now()));
          break;
        }
        case 'max_reverts':
          await this.commit(key, reverted(ts, { ...base, mode: v.revert, outcome: 'max_reverts', detail: `${ts.identifier}'s merges were already reverted ${ts.verify?.reverts ?? 0} time(s) (verify.max_reverts ${v.max_reverts}): not reverting ${short(run.merge_sha)} again; a human decides` }, now()));
          break;
        case 'revert': {
          const done = await revertMerge({ rt: this.d.rt, svc: this.d.settings.svc, cfg, merges }, ts, run, action.mode, branch);
          await this.commit(key, reverted(ts, { ...base, mode: action.mode, outcome: done.outcome, pr: done.pr?.url ?? null, number: done.pr?.number ?? null, pushed_sha: done.pushed_sha, detail: done.detail }, now()));
          break;
        }
      }
    }
    ts = this.d.ledger.ticket(key)!;
    const r = ts.verify?.current?.revert;
    if (!r || ts.status !== 'red') return;
    if (r.outcome === 'opened' || r.outcome === 'pushed') {
      const branch = reattemptBranch(ts.branch, ts.verify?.reverts ?? 1);
      const worktree = join(this.d.settings.svc.worktrees.root, worktreeDirName(branch));
      const why = `${short(run.merge_sha)} was reverted (${r.pr_url ?? r.pushed_sha ?? r.detail}); tried again with the evidence`;
      await this.commit(key, reopened(ts, { merge_sha: run.merge_sha, reason: why, branch, worktree, label: v.reverted_label }, cfg.agent.max_attempts, now()));
      return;
    }
    const outcome = r.outcome === 'reported' ? 'reported' : r.outcome === 'recorded' ? 'recorded' : 'needs_human';
    await this.commit(key, verifySettled(ts, run.merge_sha, outcome, r.detail, now()));
  }

  private async commit(key: string, step: Step): Promise<void> {
    await this.d.ledger.commit(step);
    await this.d.sync.sync(key); // a failed write is repaired by reconcile
  }

  /** Swarm merges that landed since the last green base (oldest first), for charging a red command. */
  private async landedSince(base: string): Promise<LandedMerge[]> {
    const chain = await firstParents(this.d.rt.repoDir, base, 200);
    const green = this.base.view?.green_sha ?? null;
    const cut = green !== null && chain.includes(green) ? chain.indexOf(green) : chain.length;
    const recent = chain.slice(0, cut);
    const out: (LandedMerge & { at: number })[] = [];
    for (const t of Object.values(this.d.ledger.state.tickets)) {
      const sha = t.verify?.current?.merge_sha;
      if (!sha || !UNDER_WAY.has(t.status)) continue;
      const at = recent.indexOf(sha);
      if (at >= 0) out.push({ key: t.key, identifier: t.identifier, sha, at });
    }
    return out.sort((a, b) => b.at - a.at).map(({ at: _at, ...m }) => m);
  }

  /** The identifier of the ticket whose merge `sha` is, or null. */
  private swarmMerge(sha: string): string | null {
    for (const t of Object.values(this.d.ledger.state.tickets)) {
      if (t.verify?.current?.merge_sha === sha || t.verify?.history.some((h) => h.merge_sha === sha)) return t.identifier;
    }
    return null;
  }

  private ctx(merges: MergeHost) {
    return { rt: this.d.rt, svc: this.d.settings.svc, cfg: this.d.settings.wf.config, merges };
  }
}

/** A sleep the verification's abort cuts short. */
function sleeper(signal: AbortSignal): (ms: number) => Promise<void> {
  return (ms) => new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('verification stopped'));
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new Error('verification stopped'));
    }, { once: true });
  });
}
