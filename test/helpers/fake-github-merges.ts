// The fake GitHub's merges: `PUT /repos/{o}/{r}/pulls/{n}/merge` producing real commits in the test's bare
// origin, native auto-merge on a pull request (armed through fake-github-automerge.ts, carried out here when
// the base branch's required checks pass), and the repository's merge settings.
//
// Sources (REST description, @octokit/openapi-types 29.0.1: pulls/merge, pull-request, repository):
// - body {commit_title, commit_message, sha, merge_method: merge|squash|rebase} (default merge); 200
//   {sha, merged: true, message: "Pull Request successfully merged"}; 405 "if merge cannot be performed";
//   409 "if sha was provided and pull request head did not match"; 422 validation failed.
// - After merging, `merged: true`, `merged_at`, `merged_by`, and `merge_commit_sha` is "the SHA of the merge
//   commit" (merge), "the SHA of the squashed commit on the base branch" (squash), or "the commit that the
//   base branch was updated to" (rebase). A rebase replays each commit of the PR onto the base (GitHub docs,
//   "About merge methods on GitHub"), keeping authors; GitHub commits as `web-flow` (noreply@github.com).
// - Refusals, in GitHub's words: "Pull Request is not mergeable" (405: closed, conflicting), "Head branch was
//   modified. Review and try the merge again." (409), "Merge commits are not allowed on this repository." /
//   "Squash merges are not allowed on this repository." / "Rebase merges are not allowed on this repository."
//   (405; quoted by GitHub API clients that classify them, e.g. the PR merge libraries found by searching
//   those strings), and `Required status check "<context>" is expected.` (405) while a required check has
//   not passed on the head.
// - Repository settings `allow_merge_commit`, `allow_squash_merge`, `allow_rebase_merge` (default true) and
//   `allow_auto_merge` ("Whether to allow Auto-merge to be used on pull requests", default false).
// - A pull request's `auto_merge`: null, or {enabled_by, merge_method, commit_title, commit_message}; with it
//   GitHub merges the PR "when all required reviews are met and status checks have passed" (GitHub docs,
//   "Automatically merging a pull request").

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGit, type FakeChecks } from './fake-github-checks.js';
import type { FakeGitHubState, FakePull } from './fake-github-state.js';

export type MergeMethod = 'merge' | 'squash' | 'rebase';
type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

const DOCS = 'https://docs.github.com/rest/pulls/pulls#merge-a-pull-request';
const refuse = (status: number, message: string): Reply => ({ status, body: { message, documentation_url: DOCS } });
/** GitHub's committer for web merges ("web-flow": lemurheavy/coveralls-public#1265). */
const WEB_FLOW = { GIT_COMMITTER_NAME: 'GitHub', GIT_COMMITTER_EMAIL: 'noreply@github.com' };
const NOT_ALLOWED: Record<MergeMethod, string> = {
  merge: 'Merge commits are not allowed on this repository.',
  squash: 'Squash merges are not allowed on this repository.',
  rebase: 'Rebase merges are not allowed on this repository.',
};

export interface MergeSettings {
  allow_merge_commit: boolean;
  allow_squash_merge: boolean;
  allow_rebase_merge: boolean;
  allow_auto_merge: boolean;
}

export class FakeMerges {
  readonly settings: MergeSettings = { allow_merge_commit: true, allow_squash_merge: true, allow_rebase_merge: true, allow_auto_merge: false };
  /** Merges carried out, in order (for assertions). */
  readonly merged: { pr: number; method: MergeMethod; sha: string; by: string }[] = [];
  /** One merge at a time, as GitHub serialises updates of a branch. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly s: FakeGitHubState, private readonly checks: FakeChecks, private readonly gitDir: string | null) {}

  /** The PUT route, or null when the request is not one. */
  async route(method: string, pathname: string, body: unknown): Promise<Reply | null> {
    const m = /^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)\/merge$/.exec(pathname);
    if (!m || method !== 'PUT') return null;
    const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const mm = b.merge_method ?? 'merge';
    if (mm !== 'merge' && mm !== 'squash' && mm !== 'rebase') {
      return { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'PullRequest', field: 'merge_method', code: 'invalid' }], documentation_url: DOCS } };
    }
    return this.merge(Number(m[1]), { method: mm, sha: typeof b.sha === 'string' ? b.sha : null, title: typeof b.commit_title === 'string' ? b.commit_title : null, message: typeof b.commit_message === 'string' ? b.commit_message : null, by: this.s.tokenUser });
  }

  /** Merge PR `n` as `by` would with GitHub's button or the API; the reply GitHub would give. */
  merge(n: number, o: { method: MergeMethod; sha?: string | null; title?: string | null; message?: string | null; by: string }): Promise<Reply> {
    const run = this.chain.then(() => this.mergeNow(n, o));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Required contexts of the base that have not passed on `sha` (branch protection and rulesets). */
  async pendingRequired(p: FakePull, sha: string): Promise<string[]> {
    if (p.base !== this.s.defaultBranch) return [];
    const required = [...new Set([...(this.s.required.protection ?? []), ...this.s.required.rulesets])];
    const passed = (name: string) => {
      const runs = this.checks.runs.filter((r) => r.sha === sha && r.name === name);
      const latestRun = runs[runs.length - 1];
      const statuses = this.checks.statuses.filter((x) => x.sha === sha && x.context === name);
      const latestStatus = statuses[statuses.length - 1];
      return (latestRun !== undefined && latestRun.conclusion !== null && ['success', 'neutral', 'skipped'].includes(latestRun.conclusion)) || latestStatus?.state === 'success';
    };
    return required.filter((r) => !passed(r));
  }

  /** Carry out every armed auto-merge whose requirements are met now (after a check or status changed). */
  async sweepAutoMerge(): Promise<void> {
    for (const p of [...this.s.pulls.values()]) {
      if (p.state !== 'open' || p.auto_merge === null) continue;
      const head = await this.checks.headSha(p);
      if ((await this.pendingRequired(p, head)).length > 0) continue;
      await this.merge(p.number, { method: p.auto_merge.merge_method, by: p.auto_merge.enabled_by });
    }
  }

  private async mergeNow(n: number, o: { method: MergeMethod; sha?: string | null; title?: string | null; message?: string | null; by: string }): Promise<Reply> {
    const p = this.s.pulls.get(n);
    if (!p) return { status: 404, body: { message: 'Not Found', documentation_url: DOCS } };
    if (p.state !== 'open' || p.merged_at !== null) return refuse(405, 'Pull Request is not mergeable');
    const allowed = { merge: this.settings.allow_merge_commit, squash: this.settings.allow_squash_merge, rebase: this.settings.allow_rebase_merge }[o.method];
    if (!allowed) return refuse(405, NOT_ALLOWED[o.method]);
    const head = await this.checks.headSha(p);
    if (o.sha && o.sha !== head) return refuse(409, 'Head branch was modified. Review and try the merge again.');
    const pending = await this.pendingRequired(p, head);
    if (pending.length > 0) return refuse(405, `Required status check "${pending[0]}" is expected.`);
    let sha: string;
    let commits = 1;
    if (this.gitDir === null) {
      sha = `${head.slice(0, 30)}${String(n).padStart(10, '0')}`.slice(0, 40);
    } else {
      const made = await this.commitMerge(this.gitDir, p, o);
      if ('refused' in made) return refuse(405, made.refused);
      ({ sha, commits } = made);
    }
    const now = this.s.tick();
    p.merged_at = now;
    p.merge_commit_sha = sha;
    p.merged_by = o.by;
    p.commits_at_merge = commits;
    p.auto_merge = null;
    this.merged.push({ pr: n, method: o.method, sha, by: o.by });
    this.s.closeMerged(n, o.by);
    return { status: 200, body: { sha, merged: true, message: 'Pull Request successfully merged' } };
  }

  /** The commit(s) on the base branch for this method; the base ref moves (compare-and-swap) to the last. */
  private async commitMerge(gitDir: string, p: FakePull, o: { method: MergeMethod; title?: string | null; message?: string | null; by: string }): Promise<{ sha: string; commits: number } | { refused: string }> {
    const ref = (name: string) => runGit(gitDir, ['rev-parse', '--verify', '--quiet', `refs/heads/${name}^{commit}`]);
    const [base, head] = [(await ref(p.base)).out, (await ref(p.head)).out];
    if (!base || !head) return { refused: 'Pull Request is not mergeable' };
    const list = (await runGit(gitDir, ['rev-list', '--reverse', '--topo-order', `${base}..${head}`])).out.split('\n').filter(Boolean);
    const author = { GIT_AUTHOR_NAME: o.by, GIT_AUTHOR_EMAIL: `${o.by}@users.noreply.github.com` };
    let sha: string;
    if (o.method === 'rebase') {
      const replayed = await this.replay(gitDir, base, list);
      if (replayed === null) return { refused: 'Pull Request is not mergeable' };
      sha = replayed;
    } else {
      const tree = await runGit(gitDir, ['merge-tree', '--write-tree', base, head]);
      if (!tree.ok) return { refused: 'Pull Request is not mergeable' }; // conflicts
      const treeId = tree.out.split('\n')[0]!;
      const title = o.title ?? (o.method === 'merge' ? `Merge pull request #${p.number} from ${this.s.owner}/${p.head}` : `${p.title} (#${p.number})`);
      const bodyText = o.message ?? (o.method === 'merge' ? p.title : (await runGit(gitDir, ['log', '--reverse', '--format=* %s', `${base}..${head}`])).out);
      const parents = o.method === 'merge' ? ['-p', base, '-p', head] : ['-p', base];
      const made = await runGit(gitDir, ['commit-tree', treeId, ...parents, '-m', title, '-m', bodyText || title], { env: { ...author, ...WEB_FLOW } });
      if (!made.ok) return { refused: 'Pull Request is not mergeable' };
      sha = made.out;
    }
    const moved = await runGit(gitDir, ['update-ref', `refs/heads/${p.base}`, sha, base]);
    if (!moved.ok) return { refused: 'Base branch was modified. Review and try the merge again.' };
    return { sha, commits: list.length };
  }

  /** Each commit of the PR replayed onto `base` (authors kept, GitHub committing), in a scratch worktree. */
  private async replay(gitDir: string, base: string, list: string[]): Promise<string | null> {
    const dir = mkdtempSync(join(tmpdir(), 'fake-github-rebase-'));
    try {
      if (!(await runGit(gitDir, ['worktree', 'add', '--detach', dir, base])).ok) return null;
      for (const c of list) {
        const picked = await gitIn(dir, ['-c', 'core.hooksPath=/dev/null', 'cherry-pick', '--allow-empty', c], WEB_FLOW);
        if (!picked.ok) return null;
      }
      return (await gitIn(dir, ['rev-parse', 'HEAD'])).out || null;
    } finally {
      await runGit(gitDir, ['worktree', 'remove', '--force', dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

function gitIn(cwd: string, args: string[], env: Record<string, string> = {}): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', ...env } }, (err, stdout) => resolve({ ok: err === null, out: String(stdout).trim() }));
  });
}
