// The fake GitHub's pull-request follow-through surface: a PR's head commit (the branch tip in the bare
// origin when the fake has one), check runs and GitHub Actions job logs, commit statuses, reviews and review
// comments — data, JSON as GitHub renders it, routes, and the test-facing helpers. Every shape and rule
// below names its source. "REST description" means github/rest-api-description as shipped in
// @octokit/openapi-types 29.0.1 (node_modules/@octokit/openapi-types/types.d.ts), the schema GitHub
// generates its REST docs from.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { FakeGitHubState, FakePull } from './fake-github-state.js';

export type CheckStatus = 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
// `stale` ("GitHub marks check runs as stale when they have been incomplete for 14 days", GitHub docs,
// "About status checks") and `startup_failure` are conclusions GitHub sets itself (REST description, check
// run and workflow run conclusions); `action_required` waits for a person.
export type CheckConclusion = 'success' | 'failure' | 'neutral' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required' | 'stale' | 'startup_failure';
export type StatusState = 'error' | 'failure' | 'pending' | 'success';
export type ReviewState = 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';

export interface FakeCheckRun {
  id: number;
  sha: string;
  name: string;
  status: CheckStatus;
  conclusion: CheckConclusion | null;
  output: { title: string | null; summary: string | null; text: string | null };
  /** App slug; "github-actions" runs have a job (same id) and a log. */
  app: string;
  log: string | null;
  started_at: string;
  completed_at: string | null;
  /** The workflow run of an Actions job (fake-github-actions.ts); absent for a check run added alone. */
  runId?: number;
}

export interface FakeStatus { id: number; sha: string; context: string; state: StatusState; description: string | null; target_url: string | null; created_at: string }
export interface FakeReview { id: number; pull: number; user: string; state: ReviewState; body: string; commit_id: string; submitted_at: string }
export interface FakeReviewComment {
  id: number; pull: number; review: number | null; user: string; body: string; path: string; line: number;
  side: 'LEFT' | 'RIGHT'; commit_id: string; in_reply_to: number | null; created_at: string;
}

export interface RouteCtx {
  method: string;
  pathname: string;
  query: URLSearchParams;
  gitDir: string | null;
}
type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
type Paged = (all: unknown[]) => Reply;

const notFound = (): Reply => ({ status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } });
// GitHub Actions' app: slug and id as they appear on Actions check runs (observed payloads; not in the schema).
const ACTIONS_APP = { id: 15368, slug: 'github-actions', name: 'GitHub Actions' };

export function runGit(gitDir: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    const child = execFile('git', ['--git-dir', gitDir, ...args], { env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', ...opts.env } }, (err, stdout) =>
      resolve({ ok: err === null, out: String(stdout).trim() }),
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Follow-through data of one repository; head commits come from the bare origin when there is one. */
export class FakeChecks {
  readonly runs: FakeCheckRun[] = [];
  readonly statuses: FakeStatus[] = [];
  readonly reviews: FakeReview[] = [];
  readonly reviewComments: FakeReviewComment[] = [];
  /** Head commits of PRs whose branch is not in a bare origin (no gitDir): synthetic, moved by addCommit. */
  private readonly synthetic = new Map<number, string>();
  /** Who made each synthetic commit (no gitDir), for GET /commits/{sha}. */
  private readonly syntheticMeta = new Map<string, { name: string; email: string; date: string; parent: string; message: string }>();
  private nextId = 90_000_000;

  constructor(private readonly s: FakeGitHubState, private readonly gitDir: string | null) {}

  /** The PR's head sha: the branch tip in the bare origin (GitHub's `head.sha`), else a synthetic one. */
  async headSha(p: FakePull): Promise<string> {
    if (this.gitDir !== null) {
      const tip = await runGit(this.gitDir, ['rev-parse', '--verify', '--quiet', `refs/heads/${p.head}^{commit}`]);
      if (tip.ok && tip.out !== '') return tip.out;
    }
    let sha = this.synthetic.get(p.number);
    if (!sha) {
      this.synthetic.set(p.number, (sha = sha1(`${this.s.fullName}#${p.number}:${p.head}`)));
      // The first synthetic head was made by the PR's author (a noreply email GitHub links to that account).
      this.syntheticMeta.set(sha, { name: p.user, email: `${p.user}@users.noreply.github.com`, date: p.created_at, parent: '', message: p.title });
    }
    return sha;
  }

  async baseSha(p: FakePull): Promise<string> {
    if (this.gitDir !== null) {
      const tip = await runGit(this.gitDir, ['rev-parse', '--verify', '--quiet', `refs/heads/${p.base}^{commit}`]);
      if (tip.ok && tip.out !== '') return tip.out;
    }
    return sha1(`${this.s.fullName}:${p.base}`);
  }

  /** A ref as GitHub resolves `{ref}` in /commits/{ref}/…: "a SHA, branch name, or a tag name" (REST description). */
  async resolve(ref: string): Promise<string | null> {
    if (/^[0-9a-f]{40}$/.test(ref)) return ref;
    if (this.gitDir !== null) {
      for (const full of [`refs/heads/${ref}`, `refs/tags/${ref}`]) {
        const r = await runGit(this.gitDir, ['rev-parse', '--verify', '--quiet', `${full}^{commit}`]);
        if (r.ok && r.out !== '') return r.out;
      }
    }
    const pull = [...this.s.pulls.values()].find((p) => p.head === ref);
    return pull ? this.headSha(pull) : null;
  }

  /** A new commit on the PR's head branch (in the bare origin when there is one); returns its sha. */
  async addCommit(p: FakePull, opts: { message?: string; file?: string; content?: string; author?: string; email?: string } = {}): Promise<string> {
    const who = opts.author ?? 'Fake Pusher';
    const email = opts.email ?? 'pusher@example.invalid';
    if (this.gitDir === null) {
      const parent = await this.headSha(p);
      const next = sha1(`${parent}+${this.nextId++}`);
      this.synthetic.set(p.number, next);
      this.syntheticMeta.set(next, { name: who, email, date: this.s.tick(), parent, message: opts.message ?? 'Another push' });
      return next;
    }
    const parent = await this.headSha(p);
    const env = { GIT_AUTHOR_NAME: who, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: who, GIT_COMMITTER_EMAIL: email };
    const blob = await runGit(this.gitDir, ['hash-object', '-w', '--stdin'], { input: opts.content ?? `change ${this.nextId++}\n` });
    const index = `${this.gitDir}/fake-github-index-${process.pid}-${this.nextId++}`;
    const ienv = { ...env, GIT_INDEX_FILE: index };
    await runGit(this.gitDir, ['read-tree', parent], { env: ienv });
    await runGit(this.gitDir, ['update-index', '--add', '--cacheinfo', `100644,${blob.out},${opts.file ?? 'pushed-by-someone.txt'}`], { env: ienv });
    const tree = await runGit(this.gitDir, ['write-tree'], { env: ienv });
    const commit = await runGit(this.gitDir, ['commit-tree', tree.out, '-p', parent, '-m', opts.message ?? 'Another push'], { env });
    const moved = await runGit(this.gitDir, ['update-ref', `refs/heads/${p.head}`, commit.out, parent]);
    rmSync(index, { force: true });
    if (!commit.ok || !moved.ok) throw new Error(`fake-github: could not add a commit to ${p.head}`);
    return commit.out;
  }

  addCheckRun(sha: string, input: { name: string; status?: CheckStatus; conclusion?: CheckConclusion | null; title?: string; summary?: string; text?: string; app?: string; log?: string; runId?: number }): FakeCheckRun {
    const now = this.s.tick();
    const status = input.status ?? 'completed';
    const run: FakeCheckRun = {
      id: this.nextId++,
      sha,
      name: input.name,
      status,
      // The schema: conclusion is null until the run is completed.
      conclusion: status === 'completed' ? (input.conclusion ?? 'success') : null,
      output: { title: input.title ?? null, summary: input.summary ?? null, text: input.text ?? null },
      app: input.app ?? 'github-actions',
      log: input.log ?? null,
      started_at: now,
      completed_at: status === 'completed' ? now : null,
      ...(input.runId !== undefined ? { runId: input.runId } : {}),
    };
    this.runs.push(run);
    return run;
  }

  addStatus(sha: string, input: { context: string; state: StatusState; description?: string; target_url?: string }): FakeStatus {
    const st: FakeStatus = { id: this.nextId++, sha, context: input.context, state: input.state, description: input.description ?? null, target_url: input.target_url ?? null, created_at: this.s.tick() };
    this.statuses.push(st);
    return st;
  }

  addReview(pull: number, input: { user: string; state: ReviewState; body?: string; commit_id: string }): FakeReview {
    const r: FakeReview = { id: this.nextId++, pull, user: input.user, state: input.state, body: input.body ?? '', commit_id: input.commit_id, submitted_at: this.s.tick() };
    this.reviews.push(r);
    return r;
  }

  addReviewComment(pull: number, input: { user: string; body: string; path: string; line: number; side?: 'LEFT' | 'RIGHT'; commit_id: string; review?: number; in_reply_to?: number }): FakeReviewComment {
    const c: FakeReviewComment = {
      id: this.nextId++, pull, review: input.review ?? null, user: input.user, body: input.body, path: input.path, line: input.line,
      side: input.side ?? 'RIGHT', commit_id: input.commit_id, in_reply_to: input.in_reply_to ?? null, created_at: this.s.tick(),
    };
    this.reviewComments.push(c);
    return c;
  }

  // --- JSON as GitHub renders it (shapes: REST description schemas check-run, simple-commit-status,
  // combined-commit-status, pull-request-review, pull-request-review-comment) ---

  checkRunJson(r: FakeCheckRun) {
    const base = `${this.s.apiBase}/repos/${this.s.fullName}`;
    const actions = r.app === 'github-actions';
    const app = actions ? ACTIONS_APP : { id: hashId(r.app), slug: r.app, name: r.app };
    return {
      id: r.id, node_id: `CR_${r.id}`, head_sha: r.sha, external_id: '', name: r.name, status: r.status, conclusion: r.conclusion,
      started_at: r.started_at, completed_at: r.completed_at,
      url: `${base}/check-runs/${r.id}`,
      html_url: `https://github.com/${this.s.fullName}/runs/${r.id}`,
      details_url: actions ? `https://github.com/${this.s.fullName}/actions/runs/${r.runId ?? r.id + 1}/job/${r.id}` : null,
      output: { ...r.output, annotations_count: 0, annotations_url: `${base}/check-runs/${r.id}/annotations` },
      check_suite: { id: r.id + 2 },
      app: { ...app, owner: this.s.userJson(actions ? 'github' : this.s.owner) },
      pull_requests: [],
    };
  }

  statusJson(st: FakeStatus) {
    return {
      id: st.id, node_id: `SC_${st.id}`, state: st.state, description: st.description, target_url: st.target_url, context: st.context,
      avatar_url: null, url: `${this.s.apiBase}/repos/${this.s.fullName}/statuses/${st.sha}`, created_at: st.created_at, updated_at: st.created_at,
    };
  }

  reviewJson(r: FakeReview) {
    const html = `https://github.com/${this.s.fullName}/pull/${r.pull}`;
    return {
      id: r.id, node_id: `PRR_${r.id}`, user: this.s.userJson(r.user), body: r.body, state: r.state, commit_id: r.commit_id, submitted_at: r.submitted_at,
      html_url: `${html}#pullrequestreview-${r.id}`, pull_request_url: `${this.s.apiBase}/repos/${this.s.fullName}/pulls/${r.pull}`,
      author_association: this.association(r.user),
      _links: { html: { href: `${html}#pullrequestreview-${r.id}` }, pull_request: { href: `${this.s.apiBase}/repos/${this.s.fullName}/pulls/${r.pull}` } },
    };
  }

  reviewCommentJson(c: FakeReviewComment) {
    const api = `${this.s.apiBase}/repos/${this.s.fullName}`;
    return {
      id: c.id, node_id: `PRRC_${c.id}`, pull_request_review_id: c.review, diff_hunk: `@@ -${c.line},1 +${c.line},1 @@`, path: c.path,
      commit_id: c.commit_id, original_commit_id: c.commit_id, user: this.s.userJson(c.user), body: c.body,
      created_at: c.created_at, updated_at: c.created_at, line: c.line, original_line: c.line, side: c.side, start_line: null, original_start_line: null,
      start_side: null, subject_type: 'line', author_association: this.association(c.user),
      ...(c.in_reply_to !== null ? { in_reply_to_id: c.in_reply_to } : {}),
      url: `${api}/pulls/comments/${c.id}`, html_url: `https://github.com/${this.s.fullName}/pull/${c.pull}#discussion_r${c.id}`,
      pull_request_url: `${api}/pulls/${c.pull}`,
      _links: { self: { href: `${api}/pulls/comments/${c.id}` }, html: { href: `https://github.com/${this.s.fullName}/pull/${c.pull}#discussion_r${c.id}` }, pull_request: { href: `${api}/pulls/${c.pull}` } },
    };
  }

  private association(user: string): string {
    const p = this.s.permissionOf(user);
    return user.toLowerCase() === this.s.owner.toLowerCase() ? 'OWNER' : p === 'none' || p === 'read' ? 'NONE' : 'COLLABORATOR';
  }

  // --- routes ---

  /** Answers the follow-through routes, or null when the path is not one of them. */
  async route(req: RouteCtx, paged: Paged): Promise<Reply | null> {
    if (req.method !== 'GET') return null;
    const rest = /^\/repos\/[^/]+\/[^/]+(\/.*)$/.exec(req.pathname)?.[1];
    if (rest === undefined) return null;
    let m: RegExpExecArray | null;
    if ((m = /^\/commits\/(.+)\/check-runs$/.exec(rest))) return this.listCheckRuns(decodeURIComponent(m[1]!), req.query, paged);
    if ((m = /^\/commits\/(.+)\/status$/.exec(rest))) return this.combinedStatus(decodeURIComponent(m[1]!));
    if ((m = /^\/commits\/(.+)$/.exec(rest))) return this.commit(decodeURIComponent(m[1]!));
    if ((m = /^\/check-runs\/(\d+)$/.exec(rest))) {
      const run = this.runs.find((r) => r.id === Number(m![1]));
      return run ? { status: 200, body: this.checkRunJson(run) } : notFound();
    }
    if ((m = /^\/actions\/jobs\/(\d+)\/logs$/.exec(rest))) {
      // "Gets a redirect URL to download a plain text file of logs for a workflow job. This link expires
      // after 1 minute. Look for `Location:` in the response header" — a 302 (REST description,
      // actions/download-job-logs-for-workflow-run). For Actions a check run and its job share one id
      // (observed: zerocracy/judges-action#2204, Digital-Process-Tools/claude-supertool#821); another app's
      // check run has no job. The real Location is a signed blob-storage URL on another host; here it is
      // /_fake-blob/… on this server, served without authentication (the signature is in the URL).
      const run = this.runs.find((r) => r.id === Number(m![1]) && r.app === 'github-actions');
      if (!run) return notFound();
      const sig = sha1(`log:${run.id}:${run.log ?? ''}`).slice(0, 16);
      return { status: 302, headers: { location: `${this.s.apiBase}/_fake-blob/jobs/${run.id}/logs.txt?sig=${sig}` } };
    }
    if ((m = /^\/pulls\/(\d+)\/reviews$/.exec(rest))) {
      const n = Number(m[1]);
      if (!this.s.pulls.has(n)) return notFound();
      return paged(this.reviews.filter((r) => r.pull === n).map((r) => this.reviewJson(r)));
    }
    if ((m = /^\/pulls\/(\d+)\/comments$/.exec(rest))) {
      const n = Number(m[1]);
      if (!this.s.pulls.has(n)) return notFound();
      // Default order: ascending by id; `sort=created|updated` with `direction` (REST description, pulls/list-review-comments).
      const list = this.reviewComments.filter((c) => c.pull === n);
      if (req.query.get('direction') === 'desc' && req.query.get('sort') !== null) list.reverse();
      return paged(list.map((c) => this.reviewCommentJson(c)));
    }
    return null;
  }

  /** The log text behind a /_fake-blob/ URL, or null. */
  blob(pathname: string): string | null {
    const m = /^\/_fake-blob\/jobs\/(\d+)\/logs\.txt$/.exec(pathname);
    const run = m ? this.runs.find((r) => r.id === Number(m[1])) : undefined;
    return run ? (run.log ?? '') : null;
  }

  private async listCheckRuns(ref: string, q: URLSearchParams, paged: Paged): Promise<Reply> {
    const sha = await this.resolve(ref);
    if (sha === null) return unknownRef(ref);
    let runs = this.runs.filter((r) => r.sha === sha);
    // Filters (REST description, checks/list-for-ref): check_name, status, app_id, and `filter` = latest
    // (default) | all — "latest returns the most recent check runs": here the newest run per name and app
    // (GitHub's exact tie rule is not documented).
    const name = q.get('check_name');
    if (name !== null) runs = runs.filter((r) => r.name === name);
    const status = q.get('status');
    if (status !== null) runs = runs.filter((r) => r.status === status);
    const appId = q.get('app_id');
    if (appId !== null) runs = runs.filter((r) => String(r.app === 'github-actions' ? ACTIONS_APP.id : hashId(r.app)) === appId);
    if ((q.get('filter') ?? 'latest') === 'latest') {
      const newest = new Map<string, FakeCheckRun>();
      for (const r of runs) newest.set(`${r.app}\n${r.name}`, r);
      runs = runs.filter((r) => newest.get(`${r.app}\n${r.name}`) === r);
    }
    runs = [...runs].reverse(); // newest first
    const page = paged(runs.map((r) => this.checkRunJson(r)));
    return { ...page, body: { total_count: runs.length, check_runs: page.body } };
  }

  /**
   * GET /commits/{ref} (REST description, repos/get-commit; `files`/`stats` left out). `commit.author` and
   * `commit.committer` are the git identities, always present; the top-level `author`/`committer` are the
   * GitHub accounts those emails belong to, null when GitHub links the email to no account
   * (octokit/octokit.js#1418, octobox/octobox#588, dogsheep/github-to-sqlite#18). Here an email links to an
   * account only in GitHub's noreply forms `login@users.noreply.github.com` / `id+login@users.noreply.github.com`,
   * and `noreply@github.com` is `web-flow`, "the Git committer for all web commits (merge/revert/edit/etc...)
   * made on GitHub.com" (lemurheavy/coveralls-public#1265).
   */
  private async commit(ref: string): Promise<Reply> {
    const sha = await this.resolve(ref);
    if (sha === null) return unknownRef(ref);
    let meta = this.syntheticMeta.get(sha) ?? null;
    let who: { author: { name: string; email: string; date: string }; committer: { name: string; email: string; date: string } } | null = null;
    if (meta === null && this.gitDir !== null) {
      const out = await runGit(this.gitDir, ['show', '-s', '--format=%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%P%x00%B', sha]);
      if (out.ok) {
        const [an = '', ae = '', ad = '', cn = '', ce = '', cd = '', parents = '', ...msg] = out.out.split('\0');
        who = { author: { name: an, email: ae, date: ad }, committer: { name: cn, email: ce, date: cd } };
        meta = { name: an, email: ae, date: ad, parent: parents.split(' ')[0] ?? '', message: msg.join('\0') };
      }
    }
    if (meta === null) return unknownRef(ref);
    const id = who ?? { author: { name: meta.name, email: meta.email, date: meta.date }, committer: { name: meta.name, email: meta.email, date: meta.date } };
    const api = `${this.s.apiBase}/repos/${this.s.fullName}`;
    const account = (email: string) => {
      if (email.toLowerCase() === 'noreply@github.com') return this.s.userJson('web-flow');
      const m = /^(?:\d+\+)?([^@+]+)@users\.noreply\.github\.com$/i.exec(email);
      return m ? this.s.userJson(m[1]!) : null;
    };
    return {
      status: 200,
      body: {
        sha, node_id: `C_${sha}`, url: `${api}/commits/${sha}`, html_url: `https://github.com/${this.s.fullName}/commit/${sha}`,
        comments_url: `${api}/commits/${sha}/comments`,
        commit: {
          author: id.author, committer: id.committer, message: meta.message, comment_count: 0,
          url: `${api}/git/commits/${sha}`, verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
        },
        author: account(id.author.email), committer: account(id.committer.email),
        parents: meta.parent !== '' ? [{ sha: meta.parent, url: `${api}/commits/${meta.parent}`, html_url: `https://github.com/${this.s.fullName}/commit/${meta.parent}` }] : [],
      },
    };
  }

  private async combinedStatus(ref: string): Promise<Reply> {
    const sha = await this.resolve(ref);
    if (sha === null) return unknownRef(ref);
    // The latest status per context; state "failure if any of the contexts report as error or failure,
    // pending if there are no statuses or a context is pending, success if the latest status for all
    // contexts is success" (REST description, repos/get-combined-status-for-ref).
    const latest = new Map<string, FakeStatus>();
    for (const st of this.statuses) if (st.sha === sha) latest.set(st.context, st);
    const list = [...latest.values()];
    const state = list.some((x) => x.state === 'error' || x.state === 'failure') ? 'failure'
      : list.length === 0 || list.some((x) => x.state === 'pending') ? 'pending' : 'success';
    const api = `${this.s.apiBase}/repos/${this.s.fullName}`;
    return {
      status: 200,
      body: {
        state, sha, total_count: list.length, statuses: list.map((x) => this.statusJson(x)),
        repository: { id: this.s.repoId, name: this.s.repo, full_name: this.s.fullName, owner: this.s.userJson(this.s.owner) },
        commit_url: `${api}/commits/${sha}`, url: `${api}/commits/${sha}/status`,
      },
    };
  }
}

// An unknown ref: GitHub's wording for a commit it cannot find; the status code (422) is not verified.
function unknownRef(ref: string): Reply {
  return { status: 422, body: { message: `No commit found for SHA: ${ref}`, documentation_url: 'https://docs.github.com/rest' } };
}

function sha1(s: string): string {
  return createHash('sha1').update(s).digest('hex');
}

function hashId(s: string): number {
  return parseInt(sha1(s).slice(0, 6), 16);
}
