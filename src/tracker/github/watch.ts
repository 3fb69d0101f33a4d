// PR follow-through on GitHub: what one pull request looks like now — state and head, the head commit's
// check runs and combined status, reviews, review comments and conversation comments with who may be
// trusted, and who made the head commit — read with conditional requests over the client's ETag cache, so
// watching an idle PR costs only 304s, which GitHub does not count against the rate limit.
//
// Requests per observe() of an open PR whose lists each fit one page (≤ 100 items), all conditional:
//   GET /repos/{o}/{r}/pulls/{n}                       state, merged_at, head.sha, head.ref
//   GET /repos/{o}/{r}/commits/{sha}/check-runs        check runs on the head
//   GET /repos/{o}/{r}/commits/{sha}/status            combined status (latest per context)
//   GET /repos/{o}/{r}/pulls/{n}/reviews
//   GET /repos/{o}/{r}/pulls/{n}/comments              review comments (on lines of the diff)
//   GET /repos/{o}/{r}/issues/{n}/comments             conversation comments
// = 6 requests, all answered 304 when nothing changed. Once per head sha (a commit never changes, so it is
// kept in memory): GET /commits/{sha} for who made it. A closed or merged PR costs the first request only
// (plus that commit read once). Trust costs what GitHubPeople costs: GET /user once, and one permission
// read per author at most every PERMISSION_TTL_MS (also conditional). Each further page of a list is one
// more request. The ETag cache is the client's (shared, least recently used, 1,000 entries).
//
// The head's checks — check runs, or the Actions runs for a token without Checks, the combined status and
// which of them the base branch requires — are read by watch-ci.ts.
//
// Trust is the rule for trigger labels: the token's user or a collaborator whose base `permission` is
// write or admin (people.ts). Swarm's own sticky status comment is left out of the comments.

import { isNotModified, type GitHubClient } from './client.js';
import type { GitHubPeople } from './people.js';
import { statusOf } from './errors.js';
import { fetchCheckExcerpt } from './watch-logs.js';
import { CiReader } from './watch-ci.js';
import { acceptedPermissionsOf, describeAccepted } from './permissions.js';
import { findSticky } from '../sticky.js';
import type { PrCheck, PrComment, PrHeadCommitter, PrObservation, PrReview, PrWatcher } from '../pr-watch.js';
import { TrackerError } from '../../errors.js';
import { isObj, numOrNull, str, strOrNull } from '../../util/json.js';

export type { PrCheck, PrComment, PrHeadCommitter, PrObservation, PrReview, PrWatcher } from '../pr-watch.js';

export { SUMMARY_MAX_CHARS } from './watch-ci.js';

const PAGE = 100;

export interface PrWatchOptions {
  /** For log downloads (the pre-signed URL a job-log request redirects to). Default: global fetch. */
  fetch?: typeof fetch;
  /** Timeout of one log download. Default 30 s. */
  logTimeoutMs?: number;
  /** Whether to read which checks the base branch requires (pr.followup_checks: required). Default yes. */
  requiredChecks?: () => boolean;
  now?: () => number;
}

const login = (user: unknown): string | null => (isObj(user) && typeof user.login === 'string' ? user.login : null);

function malformed(what: string): TrackerError {
  return new TrackerError('unavailable', `GitHub returned an unexpected payload for ${what}`);
}

/** Counts the requests of one observe and how many were answered 304. */
interface Tally {
  sent: number;
  notModified: number;
}

export class PrWatch implements PrWatcher {
  private readonly commits = new Map<string, PrHeadCommitter>();
  /** Per PR: the trusted flags of the last observation, so a permission change is never "unchanged". */
  private readonly trustSeen = new Map<number, string>();
  /** What GitHub asked for when it refused a commit read (a token without Contents: read), or null. */
  private commitsRefused: string | null = null;
  /** Also read by verification after merge (merges.ts): one memory of what this token may not read. */
  readonly ci: CiReader;

  constructor(
    private readonly gh: GitHubClient,
    private readonly repo: { owner: string; repo: string },
    private readonly people: GitHubPeople,
    private readonly mapError: (err: unknown, what: string) => TrackerError,
    private readonly opts: PrWatchOptions = {},
  ) {
    this.ci = new CiReader(gh, repo, mapError, opts.now ?? Date.now, opts.requiredChecks);
  }

  /** What this token cannot read, each with the fix (see PrWatcher.notes). */
  notes(): string[] {
    const commits = this.commitsRefused !== null ? [`commits unreadable with this token (GitHub asks for ${this.commitsRefused}): who pushed to a PR branch is not named when a human takes over`] : [];
    return [...this.ci.notes(), ...commits];
  }

  async observe(prNumber: number): Promise<PrObservation> {
    const tally: Tally = { sent: 0, notModified: 0 };
    const pull = await this.get(tally, `reading pull request #${prNumber}`, 'GET /repos/{owner}/{repo}/pulls/{pull_number}', { pull_number: prNumber });
    const p = pull.data;
    if (!isObj(p) || typeof p.number !== 'number' || !isObj(p.head) || typeof p.head.sha !== 'string') throw malformed(`pull request #${prNumber}`);
    const merged = typeof p.merged_at === 'string' && p.merged_at !== '';
    const state: PrObservation['state'] = merged ? 'merged' : p.state === 'open' ? 'open' : 'closed';
    const sha = p.head.sha;
    const baseBranch = isObj(p.base) ? str(p.base.ref) : '';
    const autoMerge = isObj(p.auto_merge) ? { merge_method: str(p.auto_merge.merge_method) } : null;
    const base = {
      number: p.number, state, head_sha: sha, head_branch: str(p.head.ref), base_branch: baseBranch, node_id: str(p.node_id),
      merge_commit_sha: merged ? strOrNull(p.merge_commit_sha) : null, commits: numOrNull(p.commits) ?? 0, auto_merge: autoMerge,
    };
    if (state !== 'open') {
      const head_pushed_by = await this.headCommitter(tally, sha);
      return { ...base, unchanged: tally.sent === tally.notModified, checks: [], reviews: [], comments: [], head_pushed_by };
    }
    const list = (what: string, route: string, params: Record<string, unknown>, pick: (d: unknown) => unknown[] | null, raw = false) => this.pages(tally, what, route, params, pick, raw);
    const [headChecks, reviews, reviewComments, conversation, head_pushed_by] = await Promise.all([
      this.ci.headChecks(list, sha),
      this.reviews(tally, prNumber),
      this.reviewComments(tally, prNumber),
      this.conversation(tally, prNumber),
      this.headCommitter(tally, sha),
    ]);
    const comments = [...reviewComments, ...conversation].sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id - b.id));
    const trust = JSON.stringify([reviews.map((r) => [r.id, r.trusted]), comments.map((c) => [c.id, c.trusted])]);
    const trustSame = this.trustSeen.get(prNumber) === trust;
    if (this.trustSeen.size >= 1000) this.trustSeen.clear();
    this.trustSeen.set(prNumber, trust);
    const checks = await this.ci.withRequired(headChecks, baseBranch);
    return { ...base, unchanged: tally.sent === tally.notModified && trustSame, checks, reviews, comments, head_pushed_by };
  }

  logExcerpt(check: PrCheck, maxBytes: number): Promise<string> {
    return fetchCheckExcerpt(this.gh, this.repo, check, maxBytes, this.opts);
  }

  // --- reads ---

  /** One conditional read, counted; a failure is mapped to a TrackerError (`raw`: thrown as GitHub answered). */
  private async get(tally: Tally, what: string, route: string, params: Record<string, unknown>, raw = false): Promise<{ data: unknown; status: number }> {
    try {
      const res = await this.gh.request(route, { ...this.repo, ...params });
      tally.sent++;
      if (isNotModified(res)) tally.notModified++;
      return res;
    } catch (err) {
      tally.sent++;
      throw raw ? err : this.mapError(err, what);
    }
  }

  /** All pages of a list; `items` picks the array out of a page (check runs and statuses come wrapped). */
  private async pages(tally: Tally, what: string, route: string, params: Record<string, unknown>, items: (data: unknown) => unknown[] | null, raw = false): Promise<unknown[]> {
    const all: unknown[] = [];
    for (let page = 1; ; page++) {
      const res = await this.get(tally, what, route, { ...params, per_page: PAGE, ...(page > 1 ? { page } : {}) }, raw);
      const got = items(res.data);
      if (got === null) throw malformed(what);
      all.push(...got);
      if (got.length < PAGE) return all;
    }
  }

  private async reviews(tally: Tally, n: number): Promise<PrReview[]> {
    const raw = await this.pages(tally, 'reading reviews', 'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', { pull_number: n }, (d) => (Array.isArray(d) ? d : null));
    const out: PrReview[] = [];
    for (const r of raw) {
      // A PENDING review is an unsubmitted draft, visible to its author only.
      if (!isObj(r) || typeof r.id !== 'number' || r.state === 'PENDING') continue;
      const author = login(r.user);
      out.push({
        id: r.id, author: author ?? 'ghost', trusted: await this.people.isWriter(author), state: str(r.state),
        commit_id: str(r.commit_id), submitted_at: str(r.submitted_at), body: str(r.body),
      });
    }
    return out;
  }

  private async reviewComments(tally: Tally, n: number): Promise<PrComment[]> {
    const raw = await this.pages(tally, 'reading review comments', 'GET /repos/{owner}/{repo}/pulls/{pull_number}/comments', { pull_number: n }, (d) => (Array.isArray(d) ? d : null));
    const out: PrComment[] = [];
    for (const c of raw) {
      if (!isObj(c) || typeof c.id !== 'number') continue;
      const author = login(c.user);
      // `line` is null once the diff moved on (an outdated comment): then the line is `original_line`
      // in `original_commit_id`.
      const line = numOrNull(c.line);
      const original = line === null ? numOrNull(c.original_line) : null;
      out.push({
        id: c.id, author: author ?? 'ghost', trusted: await this.people.isWriter(author), body: str(c.body),
        path: strOrNull(c.path), line: line ?? original,
        commit_id: line === null && original !== null ? strOrNull(c.original_commit_id) ?? strOrNull(c.commit_id) : strOrNull(c.commit_id),
        created_at: str(c.created_at), kind: 'review',
      });
    }
    return out;
  }

  private async conversation(tally: Tally, n: number): Promise<PrComment[]> {
    // A PR's conversation comments are issue comments (the PR is an issue with the same number).
    const raw = await this.pages(tally, 'reading PR comments', 'GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { issue_number: n }, (d) => (Array.isArray(d) ? d : null));
    const self = await this.people.selfLogin();
    const out: PrComment[] = [];
    for (const c of raw) {
      if (!isObj(c) || typeof c.id !== 'number') continue;
      const author = login(c.user);
      const body = str(c.body);
      if (findSticky([{ id: c.id, author, body }], self) !== null) continue; // swarm's own status comment
      out.push({ id: c.id, author: author ?? 'ghost', trusted: await this.people.isWriter(author), body, path: null, line: null, commit_id: null, created_at: str(c.created_at), kind: 'conversation' });
    }
    return out;
  }

  /** Who made commit `sha` — read once per sha: a commit never changes. */
  private async headCommitter(tally: Tally, sha: string): Promise<PrHeadCommitter> {
    const known = this.commits.get(sha);
    if (known) return known;
    let data: unknown;
    tally.sent++;
    try {
      const res = await this.gh.request('GET /repos/{owner}/{repo}/commits/{ref}', { ...this.repo, ref: sha });
      if (isNotModified(res)) tally.notModified++;
      data = res.data;
    } catch (err) {
      // A head GitHub cannot resolve (404, 422 "No commit found"): say nothing about who made it (not
      // remembered) rather than fail the whole observation.
      const status = statusOf(err);
      if (status === 404 || status === 422) return { login: null, committer_email: null };
      // A token without Contents: read (fine-grained): who pushed is unknown; whose head it is still comes
      // from swarm's own record of its commits.
      if (status === 403 && this.mapError(err, 'reading a commit').kind === 'auth') {
        this.commitsRefused = describeAccepted(acceptedPermissionsOf(err)) ?? 'Contents: read';
        return { login: null, committer_email: null };
      }
      throw this.mapError(err, `reading commit ${sha.slice(0, 12)}`);
    }
    const d = isObj(data) ? data : {};
    const git = isObj(d.commit) ? d.commit : {};
    // `web-flow` is "the Git committer for all web commits (merge/revert/edit/etc...) made on GitHub.com"
    // (lemurheavy/coveralls-public#1265): the person is then the author.
    const committer = login(d.committer);
    const who: PrHeadCommitter = {
      login: committer !== null && committer.toLowerCase() !== 'web-flow' ? committer : login(d.author),
      committer_email: isObj(git.committer) ? strOrNull(git.committer.email) : null,
    };
    if (this.commits.size >= 500) this.commits.clear();
    this.commits.set(sha, who);
    return who;
  }
}
