// The base branch as swarm sees it: red or green, since when, and who (if anyone of swarm's) is charged.
// Every pr.watch_interval (relaxed while webhooks are healthy and the base is green: a check finishing on a
// commit no watched PR has as its head calls due()) its head is read (a conditional request: an unchanged base costs a 304) and, when
// the head is new, its checks. A red head is traced back along first parents to the commit that turned it
// red: a swarm merge is its own verification's to charge; anything else (a human's commit) charges nothing
// of swarm's. A verification that went red marks the base red too; the base is green again once a newer
// head's checks pass (and, when only verify.command was red, the command passes on it). Kept as a note in
// state.json (`base`) for status, explain and the holds; never a transition.
import type { BaseView, RedReason } from '../core/verify-record.js';
import type { Ledger } from '../state/ledger.js';
import type { MergeHost } from '../tracker/merge-host.js';
import type { Runtime, Settings } from './runtime.js';
import { verifyConfig } from '../config/verify.js';
import { agentEnv } from '../config/env.js';
import { runHook } from '../workspace/hooks.js';
import { checkout, commitAuthor, fetchBase, firstParents, removeCheckout } from '../workspace/verify-git.js';
import { checksVerdict, countedChecks } from '../core/verify-policy.js';
import { verifyDir } from './verify-run.js';

export interface BaseWatchDeps {
  rt: Runtime;
  ledger: Ledger;
  settings: Settings;
  /**
   * The PR watch interval in force: relaxed while GitHub's webhooks are healthy (a check or status finishing
   * on the base head then arrives as a delivery and calls due()). Default pr.watch_interval.
   */
  watchInterval?: () => number;
}

const FAILING = new Set(['failure', 'timed_out', 'startup_failure', 'error']);
/** How far back along first parents a red head is traced. */
const TRACE = 6;
const short = (sha: string) => sha.slice(0, 7);

export class BaseWatch {
  private lastRound = Number.NEGATIVE_INFINITY;
  /** The head whose verdict is settled (green or red): nothing more to read until the head moves. */
  private settled: string | null = null;
  /** Heads on which verify.command was tried for a command-red base. */
  private probed = new Set<string>();
  /**
   * The checks seen on the last settled head: a new head is not green before they report on it too — for a
   * grace period from when the head was first seen (one that never comes, e.g. a path-filtered workflow,
   * does not hold the base's verdict forever; a head judged without it is read again each round).
   */
  private expected: string[] = [];
  private headSeen: { sha: string; at: number } | null = null;

  constructor(private readonly d: BaseWatchDeps) {}

  get view(): BaseView | null {
    return this.d.ledger.state.base ?? null;
  }

  /** A verification found the base red at `sha` (by its hook, checks or command), charged to `charged` (or nobody). */
  markRed(sha: string, by: RedReason, reason: string, charged: string | null): void {
    const was = this.view;
    const now = new Date(this.d.rt.now()).toISOString();
    this.set({ ...this.blank(), ...was, red: true, since: was?.red ? was.since : now, red_sha: sha, red_by: by, reason, charged, checked_at: now });
    this.settled = null;
  }

  /** A merge verified green after the base went red: the base is green at it (the caller checked it is newer). */
  green(sha: string): void {
    const was = this.view;
    this.set({ ...this.blank(), ...was, red: false, since: null, red_sha: null, red_by: null, reason: `green at ${short(sha)} (a verified merge)`, charged: null, green_sha: sha });
  }

  /** A delivery named a commit that is no watched PR's head (perhaps the base's): look at the base next round. */
  due(): void {
    this.lastRound = Number.NEGATIVE_INFINITY;
  }

  /**
   * One watch round when the watch interval is due: pr.watch_interval, relaxed while webhooks are healthy
   * and the base is green (a red base is watched at pr.watch_interval: its way back to green may come with
   * no check at all, so no delivery would say so).
   */
  async poll(merges: MergeHost, isSwarmMerge: (sha: string) => string | null): Promise<void> {
    const now = this.d.rt.now();
    const cfg = this.d.settings.wf.config;
    const every = this.view?.red ? cfg.pr.watch_interval : (this.d.watchInterval?.() ?? cfg.pr.watch_interval);
    if (now - this.lastRound < every) return;
    this.lastRound = now;
    const branch = this.d.settings.svc.baseBranch;
    const head = (await merges.branch(branch)).sha;
    if (head === null) return;
    const was = this.view;
    if (head === this.settled && !(was?.red && was.red_by === 'command' && !this.probed.has(head))) {
      this.touch(head);
      return;
    }
    const v = verifyConfig(cfg);
    if (v.checks === 'none' && !was?.red) return this.touch(head);
    const cc = await merges.commitChecks(head, branch, v.checks === 'required');
    const required = v.checks === 'required' ? cc.required : null;
    if (this.headSeen?.sha !== head) this.headSeen = { sha: head, at: now };
    const graceMs = Math.max(v.wait, cfg.pr.watch_interval);
    const verdict = checksVerdict({ sha: head, mode: v.checks, checks: cc.checks, required, expected: this.expected, graceMs, elapsedMs: now - this.headSeen.at, timeoutMs: Number.POSITIVE_INFINITY });
    if (verdict.kind === 'wait' || verdict.kind === 'timeout') return this.touch(head);
    const complete = this.expected.every((n) => cc.checks.some((c) => c.name === n));
    if (complete) this.expected = [...new Set(countedChecks(cc.checks, v.checks, required).map((c) => c.name))];
    if (verdict.kind === 'red') {
      this.settled = head;
      if (was?.red && was.red_by === 'checks' && was.head_sha === head) return this.touch(head);
      const culprit = await this.culprit(merges, branch, head, required);
      const ours = isSwarmMerge(culprit);
      const who = ours ? `${ours}'s merge` : `${(await commitAuthor(this.d.rt.repoDir, culprit)) ?? 'someone'}'s commit`;
      const charge = ours ? `charged to ${ours} by its own verification` : `nothing of swarm's is charged: ${short(culprit)} is ${who}, not a swarm merge`;
      this.markRed(culprit, 'checks', `${verdict.detail}; it turned red at ${short(culprit)} (${who}); ${charge}`, ours);
      return this.touch(head);
    }
    // Green head: the base is green again, unless only the command was red (then the command must pass here too).
    if (was?.red && was.red_sha === head && was.red_by !== 'checks') return this.touch(head);
    if (was?.red && was.red_by === 'command' && v.command.trim() !== '') {
      if (this.probed.has(head)) return this.touch(head);
      this.probed.add(head);
      if (!(await this.commandPasses(head))) return this.touch(head);
    }
    if (complete) this.settled = head;
    if (was?.red || !was || was.green_sha !== head) {
      this.set({ ...this.blank(), ...was, head_sha: head, red: false, since: null, red_sha: null, red_by: null, reason: `green at ${short(head)} (${verdict.detail})`, charged: null, green_sha: head, checked_at: new Date(this.d.rt.now()).toISOString() });
    }
  }

  /** The oldest of the consecutive red commits ending at `head` (bounded), as fetched. */
  private async culprit(merges: MergeHost, branch: string, head: string, required: ReadonlySet<string> | null): Promise<string> {
    await fetchBase(this.d.rt.repoDir, branch).catch(() => undefined);
    const chain = await firstParents(this.d.rt.repoDir, branch, TRACE);
    if (chain[0] !== head) return head;
    let culprit = head;
    const mode = verifyConfig(this.d.settings.wf.config).checks;
    for (const sha of chain.slice(1)) {
      const cc = await merges.commitChecks(sha, branch, false);
      const red = countedChecks(cc.checks, mode, required).some((c) => c.conclusion !== null && FAILING.has(c.conclusion));
      if (!red) break;
      culprit = sha;
    }
    return culprit;
  }

  private async commandPasses(head: string): Promise<boolean> {
    const { rt, settings } = this.d;
    const cfg = settings.wf.config;
    const dir = verifyDir(rt, head, 'probe');
    try {
      await fetchBase(rt.repoDir, settings.svc.baseBranch);
      await checkout(rt.repoDir, dir, head);
      const env = agentEnv(rt.env, settings.svc.secrets, {}, { SWARM_BASE_BRANCH: settings.svc.baseBranch, SWARM_REPO: settings.svc.repoSlug, SWARM_MERGE_SHA: head });
      return (await runHook('verify.command', verifyConfig(cfg).command, { cwd: dir, env, timeoutMs: cfg.hooks.timeout })).ok;
    } catch {
      return false;
    } finally {
      await removeCheckout(rt.repoDir, dir);
    }
  }

  private touch(head: string): void {
    const was = this.view ?? this.blank();
    this.set({ ...was, head_sha: head, checked_at: new Date(this.d.rt.now()).toISOString() }, true);
  }

  private blank(): BaseView {
    return { branch: this.d.settings.svc.baseBranch, head_sha: null, red: false, since: null, red_sha: null, red_by: null, reason: '', charged: null, green_sha: null, checked_at: null };
  }

  private set(view: BaseView, quiet = false): void {
    const was = this.view;
    this.d.ledger.state.base = { ...view, hold: verifyConfig(this.d.settings.wf.config).hold_while_red };
    if (!quiet && was?.red !== view.red) this.d.rt.log.info(view.red ? `base branch ${view.branch} is red: ${view.reason}` : `base branch ${view.branch} is green again (${view.reason})`);
    this.d.ledger.saveSoon();
  }
}
