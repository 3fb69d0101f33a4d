// GitHub's native auto-merge on swarm's open PRs (pr.auto_merge: merge | squash | rebase): enabled once
// swarm opened a PR or finished following it up, so GitHub's required checks and merge queue decide when it
// merges — never swarm's own guess; held off (disabled) on every open swarm PR while the base branch is red
// (verify.hold_while_red: merge or dispatch) and enabled again once it is green. Acts on what the PR
// watcher last observed (the PR's `auto_merge`), at most once per observation; a refusal is not repeated
// for the same head, and "auto-merge is not allowed" (a repository setting) becomes a note with its fix.
import type { TicketState } from '../core/types.js';
import type { PrObservation } from '../tracker/pr-watch.js';
import type { AutoMergeMethod } from '../tracker/merge-host.js';
import type { Runtime, Settings } from './runtime.js';
import { verifyConfig } from '../config/verify.js';
import { mergeHeld } from '../core/verify-policy.js';

export interface AutoMergeDeps {
  rt: Runtime;
  settings: Settings;
  base: () => import('../core/verify-record.js').BaseView | null;
}

/** A repository that does not allow auto-merge is asked again after this long (someone may have allowed it). */
const NOT_ALLOWED_RETRY_MS = 60 * 60_000;

export class AutoMerger {
  /** The observation each PR was last acted on (one write per observation at most). */
  private readonly acted = new Map<number, PrObservation>();
  /** `<pr>:<head>:<method>` GitHub refused (e.g. "clean status"): not asked again for that head. */
  private readonly refused = new Set<string>();
  /** PRs whose auto-merge swarm disabled for a red base, with the method to enable again. */
  private readonly heldOff = new Map<number, AutoMergeMethod>();
  private notAllowed: { at: number; message: string } | null = null;

  constructor(private readonly d: AutoMergeDeps) {}

  notes(): string[] {
    const method = this.d.settings.wf.config.pr.auto_merge ?? 'off';
    if (!this.notAllowed || method === 'off') return [];
    return [`pr.auto_merge is ${method} but GitHub refuses it ("${this.notAllowed.message}"): allow auto-merge in the repository's Settings → General → Pull Requests (allow_auto_merge)`];
  }

  async reconcile(ts: TicketState, obs: PrObservation): Promise<void> {
    const { rt, settings } = this.d;
    const merges = settings.svc.codeHost.merges;
    if (!merges || obs.state !== 'open' || !obs.node_id || this.acted.get(obs.number) === obs) return;
    const cfg = settings.wf.config;
    const configured = cfg.pr.auto_merge ?? 'off';
    const current = (obs.auto_merge?.merge_method.toLowerCase() ?? null) as AutoMergeMethod | null;
    const held = mergeHeld(this.d.base(), verifyConfig(cfg));
    let want: AutoMergeMethod | null | 'keep';
    if (held) want = null;
    else if (this.heldOff.has(obs.number)) want = this.heldOff.get(obs.number)!;
    else if (configured === 'off') want = 'keep';
    // A PR being followed up, or left to a human, is not armed by swarm.
    else want = ts.followup?.pending || ts.followup?.stopped ? 'keep' : configured;
    if (want === 'keep' || (want === null && current === null) || (want !== null && current !== null)) {
      if (want !== null && want !== 'keep' && current !== null) this.heldOff.delete(obs.number);
      return;
    }
    const key = `${obs.number}:${obs.head_sha}:${want ?? 'off'}`;
    if (this.refused.has(key)) return;
    if (want !== null && this.notAllowed && rt.now() - this.notAllowed.at < NOT_ALLOWED_RETRY_MS) return;
    this.acted.set(obs.number, obs);
    const answer = await merges.setAutoMerge({ key: ts.key, nodeId: obs.node_id, method: want });
    if (answer.ok) {
      if (want === null) this.heldOff.set(obs.number, current!);
      else this.heldOff.delete(obs.number);
      if (want !== null) this.notAllowed = null;
      rt.log.info(want === null ? `auto-merge disabled on PR #${obs.number}: the base branch is red` : `auto-merge (${want}) enabled on PR #${obs.number}`, ts.identifier);
      return;
    }
    if (answer.why === 'not_allowed') this.notAllowed = { at: rt.now(), message: answer.message };
    else this.refused.add(key);
    const what = answer.why === 'clean' ? 'it can be merged now with nothing to wait for (GitHub arms auto-merge only while requirements are pending); swarm does not merge it itself' : answer.message;
    rt.log.warn(`auto-merge ${want === null ? 'not disabled' : 'not enabled'} on PR #${obs.number}: ${what}`, ts.identifier);
  }
}
