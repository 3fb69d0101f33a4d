// What verification after merge asks of the code host: the base branch's head and protection, the checks
// on a commit of it (read the way PR follow-through reads a head's), a failing check's log excerpt, and
// GitHub's native auto-merge on a pull request. Adapter-neutral: the GitHub code host implements it (GitHub
// mode, and Linear mode through the repository's GitHub PRs); a code host without PRs has none. No policy.
import type { PrCheck } from './pr-watch.js';

export interface BranchFacts {
  /** The branch's head commit; null when the branch does not exist. */
  sha: string | null;
  /** Branch protection or a ruleset guards it (pushes may be refused); null when not known. */
  protected: boolean | null;
}

export interface CommitChecks {
  sha: string;
  /** Check runs (or, for a token without Checks, GitHub Actions runs) and commit statuses. */
  checks: PrCheck[];
  /** The check names the base branch requires; null when it requires none or they cannot be read. */
  required: ReadonlySet<string> | null;
  /** Why the requirement is unknown (a token that cannot read branch rules), or null. */
  requiredUnknown: string | null;
}

export type AutoMergeMethod = 'merge' | 'squash' | 'rebase';

export type AutoMergeAnswer =
  | { ok: true }
  /** The repository's "Allow auto-merge" setting is off. */
  | { ok: false; why: 'not_allowed'; message: string }
  /** Nothing to wait for: GitHub would merge it now ("clean status"), so it will not arm auto-merge. */
  | { ok: false; why: 'clean'; message: string }
  | { ok: false; why: 'failed'; message: string };

export interface AutoMergeRequest {
  key: string;
  nodeId: string;
  method: AutoMergeMethod | null;
}

export interface MergeHost {
  branch(name: string): Promise<BranchFacts>;
  /** `wantRequired`: also read which checks the base branch requires (cached). */
  commitChecks(sha: string, base: string, wantRequired: boolean): Promise<CommitChecks>;
  logExcerpt(check: PrCheck, maxBytes: number): Promise<string>;
  /**
   * Enable native auto-merge with `method`, or disable it (null), on a pull request (its GraphQL node id) of
   * ticket `key` (a write for that ticket: fenced in fleet mode, see fleet/fence.ts).
   */
  setAutoMerge(req: AutoMergeRequest): Promise<AutoMergeAnswer>;
}
