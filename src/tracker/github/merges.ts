// Verification after merge on GitHub (merge-host.ts): the base branch's head and protection, the checks on
// one of its commits, a failing check's log, and native auto-merge.
//
//   GET /repos/{o}/{r}/branches/{branch}         head sha (`commit.sha`) and `protected` (conditional: an
//                                                 unchanged base costs a 304 — REST description, repos/get-branch)
//   the commit's checks                          read by watch-ci.ts's CiReader exactly as PR follow-through
//                                                 reads a head: check runs (for a token without Checks, the
//                                                 GitHub Actions runs), the combined status; required checks
//                                                 from branch protection and rulesets (required-checks.ts)
//   POST /graphql enablePullRequestAutoMerge(input: {pullRequestId, mergeMethod}) / disablePullRequestAutoMerge
//                                                 (GitHub GraphQL reference, Mutations; octokit/graphql-schema:
//                                                 EnablePullRequestAutoMergeInput {pullRequestId: ID!, mergeMethod:
//                                                 PullRequestMergeMethod = MERGE, …}; auto-merge is GraphQL only)
//
// GitHub's refusals of enablePullRequestAutoMerge, as it words them (errors[].message, type UNPROCESSABLE):
// "Auto merge is not allowed for this repository" while the repository's "Allow auto-merge" setting is off
// (AliceJump/ok-end-field#211, viperproject/viperserver#358), checked before anything about the PR; and
// "Pull request Pull request is in clean status" for a PR that could be merged now, with nothing to wait for
// (peter-evans/enable-pull-request-automerge#1118, atvirokodosprendimai/wgmesh#173).
import type { GitHubClient } from './client.js';
import { CiReader, type Lister } from './watch-ci.js';
import { RequiredChecks } from './required-checks.js';
import { fetchCheckExcerpt } from './watch-logs.js';
import type { PrCheck } from '../pr-watch.js';
import type { AutoMergeAnswer, AutoMergeMethod, AutoMergeRequest, BranchFacts, CommitChecks, MergeHost } from '../merge-host.js';
import { TrackerError } from '../../errors.js';
import { statusOf } from './errors.js';

const PAGE = 100;
type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const ENABLE = `mutation SwarmEnableAutoMerge($pullRequestId: ID!, $mergeMethod: PullRequestMergeMethod) {
  enablePullRequestAutoMerge(input: {pullRequestId: $pullRequestId, mergeMethod: $mergeMethod}) { pullRequest { number } }
}`;
const DISABLE = `mutation SwarmDisableAutoMerge($pullRequestId: ID!) {
  disablePullRequestAutoMerge(input: {pullRequestId: $pullRequestId}) { pullRequest { number } }
}`;

export class GitHubMerges implements MergeHost {
  private readonly ci: CiReader;
  private readonly required: RequiredChecks;

  constructor(
    private readonly gh: GitHubClient,
    private readonly repo: () => { owner: string; repo: string },
    private readonly mapError: (err: unknown, what: string) => TrackerError,
    now: () => number = Date.now,
    /** The PR watcher's reader, shared: a permission GitHub refused is asked again once an hour, not once per reader. */
    ci: CiReader | null = null,
  ) {
    this.ci = ci ?? new CiReader(gh, repo(), mapError, now, () => false);
    this.required = new RequiredChecks((route, params) => gh.request(route, { ...this.repo(), ...params }), now);
  }

  /** What this token cannot read (check runs, Actions runs), each with its fix. */
  notes(): string[] {
    return this.ci.notes();
  }

  async branch(name: string): Promise<BranchFacts> {
    try {
      const res = await this.gh.request('GET /repos/{owner}/{repo}/branches/{branch}', { ...this.repo(), branch: name });
      const d: Json = isObj(res.data) ? res.data : {};
      const commit: Json = isObj(d.commit) ? d.commit : {};
      return { sha: typeof commit.sha === 'string' ? commit.sha : null, protected: typeof d.protected === 'boolean' ? d.protected : null };
    } catch (err) {
      if (statusOf(err) === 404) return { sha: null, protected: null };
      throw this.mapError(err, `reading branch ${name}`);
    }
  }

  async commitChecks(sha: string, base: string, wantRequired: boolean): Promise<CommitChecks> {
    const checks = await this.ci.headChecks(this.lister, sha);
    if (!wantRequired) return { sha, checks, required: null, requiredUnknown: null };
    const req = await this.required.of(base);
    return { sha, checks, required: req.kind === 'known' ? req.names : null, requiredUnknown: req.kind === 'unknown' ? req.why : null };
  }

  logExcerpt(check: PrCheck, maxBytes: number): Promise<string> {
    return fetchCheckExcerpt(this.gh, this.repo(), check, maxBytes);
  }

  async setAutoMerge({ nodeId, method }: AutoMergeRequest): Promise<AutoMergeAnswer> {
    try {
      if (method === null) await this.gh.graphql(DISABLE, { pullRequestId: nodeId });
      else await this.gh.graphql(ENABLE, { pullRequestId: nodeId, mergeMethod: method.toUpperCase() });
      return { ok: true };
    } catch (err) {
      const errors = isObj(err) && Array.isArray((err as Json).errors) ? ((err as Json).errors as unknown[]) : null;
      if (errors === null) throw this.mapError(err, method === null ? 'disabling auto-merge' : 'enabling auto-merge');
      const message = errors.map((e) => (isObj(e) && typeof e.message === 'string' ? e.message : '')).filter(Boolean).join('; ') || 'GitHub refused it';
      if (/auto merge is not allowed/i.test(message)) return { ok: false, why: 'not_allowed', message };
      if (/clean status/i.test(message)) return { ok: false, why: 'clean', message };
      return { ok: false, why: 'failed', message };
    }
  }

  /** Every page of a list (conditional reads through the client's ETag cache). */
  private readonly lister: Lister = async (what, route, params, pick, raw = false) => {
    const all: unknown[] = [];
    for (let page = 1; ; page++) {
      let data: unknown;
      try {
        data = (await this.gh.request(route, { ...this.repo(), ...params, per_page: PAGE, ...(page > 1 ? { page } : {}) })).data;
      } catch (err) {
        throw raw ? err : this.mapError(err, what);
      }
      const got = pick(data);
      if (got === null) throw new TrackerError('unavailable', `GitHub returned an unexpected payload for ${what}`);
      all.push(...got);
      if (got.length < PAGE) return all;
    }
  };
}
