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
// A token that cannot read check runs (a fine-grained token: it has no Checks permission) gets a 403 on
// the check-runs read; that is recorded once (notes(), shown by `swarm status` and `swarm doctor`) and the
// GitHub Actions runs of the head are read instead (actions-runs.ts); the check-runs read is tried again an
// hour later. When a check does not pass, the base branch's required checks are read (required-checks.ts,
// cached) and every check marked required or not, for `pr.followup_checks`.
//
// Trust is the rule for trigger labels: the token's user or a collaborator whose base `permission` is
// write or admin (people.ts). Swarm's own sticky status comment is left out of the comments.

import { isNotModified, type GitHubClient } from './client.js';
import type { GitHubPeople } from './people.js';
import { statusOf } from './errors.js';
import { fetchCheckExcerpt } from './watch-logs.js';
import { actionsChecks } from './actions-runs.js';
import { markRequired, RequiredChecks } from './required-checks.js';
import { acceptedPermissionsOf, describeAccepted } from './permissions.js';
import { findSticky } from '../sticky.js';
import type { PrCheck, PrComment, PrHeadCommitter, PrObservation, PrReview, PrWatcher } from '../pr-watch.js';
import { TrackerError } from '../../errors.js';

export type { PrCheck, PrComment, PrHeadCommitter, PrObservation, PrReview, PrWatcher } from '../pr-watch.js';

const PAGE = 100;
/** Check run summaries may run to 65,535 characters; a prompt needs the headline. */
export const SUMMARY_MAX_CHARS = 2000;

export interface PrWatchOptions {
  /** For log downloads (the pre-signed URL a job-log request redirects to). Default: global fetch. */
  fetch?: typeof fetch;
  /** Timeout of one log download. Default 30 s. */
  logTimeoutMs?: number;
  /** Whether to read which checks the base branch requires (pr.followup_checks: required). Default yes. */
  requiredChecks?: () => boolean;
  now?: () => number;
}

/** A read refused with 403 is tried again after this long (the token may have been replaced). */
const REPROBE_MS = 60 * 60_000;
/** Conclusions that need nothing: no required-checks read for them. */
const PASSING = new Set(['success', 'neutral', 'skipped']);

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const login = (user: unknown): string | null => (isObj(user) && typeof user.login === 'string' ? user.login : null);
const cap = (s: string): string => (s.length > SUMMARY_MAX_CHARS ? `${s.slice(0, SUMMARY_MAX_CHARS - 1)}…` : s);

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
  /** When the check-runs read, and the Actions read in its place, were refused (403), and what GitHub asked for. */
  private checkRunsRefused: { at: number; needs: string | null } | null = null;
  private actionsRefused: { at: number; needs: string | null } | null = null;
  private requiredUnknown: string | null = null;
  private commitsRefused: string | null = null;
  /** What the last refused read's X-Accepted-GitHub-Permissions asked for. */
  private lastNeeds: string | null = null;
  private readonly required: RequiredChecks;
  private readonly now: () => number;

  constructor(
    private readonly gh: GitHubClient,
    private readonly repo: { owner: string; repo: string },
    private readonly people: GitHubPeople,
    private readonly mapError: (err: unknown, what: string) => TrackerError,
    private readonly opts: PrWatchOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.required = new RequiredChecks((route, params) => this.gh.request(route, { ...this.repo, ...params }), this.now);
  }

  /** What this token cannot read, each with the fix (see PrWatcher.notes). */
  notes(): string[] {
    const out: string[] = [];
    const asked = (r: { needs: string | null }) => (r.needs !== null ? `; GitHub asks for ${r.needs}` : '');
    if (this.checkRunsRefused) {
      out.push(`check runs unreadable with this token (fine-grained tokens lack Checks${asked(this.checkRunsRefused)}): PR follow-through reads commit statuses, reviews and GitHub Actions runs instead; checks of other apps are not seen (a classic token with the repo scope, or a GitHub App with Checks: read, sees them)`);
    }
    if (this.actionsRefused) out.push(`GitHub Actions runs unreadable with this token too${asked(this.actionsRefused)}: grant it Actions: read, or a failing workflow never starts a follow-up`);
    if (this.commitsRefused) out.push(`commits unreadable with this token (GitHub asks for ${this.commitsRefused}): who pushed to a PR branch is not named when a human takes over`);
    if (this.requiredUnknown) out.push(`required checks unknown (${this.requiredUnknown}): every failing check starts a follow-up (grant Contents: read and Metadata: read to act on required checks only)`);
    return out;
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
    const base = { number: p.number, state, head_sha: sha, head_branch: str(p.head.ref) };
    if (state !== 'open') {
      const head_pushed_by = await this.headCommitter(tally, sha);
      return { ...base, unchanged: tally.sent === tally.notModified, checks: [], reviews: [], comments: [], head_pushed_by };
    }
    const [runs, statuses, reviews, reviewComments, conversation, head_pushed_by] = await Promise.all([
      this.ciChecks(tally, sha),
      this.statuses(tally, sha),
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
    const checks = await this.withRequired([...runs, ...statuses], baseBranch);
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

  /** Check runs, or (for a token refused them) the GitHub Actions runs of the head; [] when neither is readable. */
  private async ciChecks(tally: Tally, sha: string): Promise<PrCheck[]> {
    const now = this.now();
    if (this.checkRunsRefused === null || now - this.checkRunsRefused.at >= REPROBE_MS) {
      const runs = await this.refusable(() => this.checkRuns(tally, sha), 'reading check runs');
      if (runs !== null) {
        this.checkRunsRefused = null;
        return runs;
      }
      this.checkRunsRefused = { at: now, needs: this.lastNeeds };
    }
    if (this.actionsRefused !== null && now - this.actionsRefused.at < REPROBE_MS) return [];
    const list = (what: string, route: string, params: Record<string, unknown>, pick: (d: unknown) => unknown[] | null) => this.pages(tally, what, route, params, pick, true);
    const actions = await this.refusable(() => actionsChecks(list, sha), 'reading GitHub Actions runs');
    this.actionsRefused = actions === null ? { at: now, needs: this.lastNeeds } : null;
    return actions ?? [];
  }

  /** `fn`'s answer, or null when GitHub refused it with a 403 for want of a permission (rate limits are thrown). */
  private async refusable<T>(fn: () => Promise<T>, what: string): Promise<T | null> {
    try {
      return await fn();
    } catch (err) {
      if (statusOf(err) !== 403) throw err instanceof TrackerError ? err : this.mapError(err, what);
      const mapped = this.mapError(err, what);
      if (mapped.kind !== 'auth') throw mapped; // a secondary rate limit answers 403 too
      this.lastNeeds = describeAccepted(acceptedPermissionsOf(err));
      return null;
    }
  }

  /** Marks each check required or not when one does not pass (pr.followup_checks: required). */
  private async withRequired(checks: PrCheck[], branch: string): Promise<PrCheck[]> {
    if (this.opts.requiredChecks?.() === false || branch === '' || checks.every((c) => c.conclusion === null || PASSING.has(c.conclusion))) return checks;
    const req = await this.required.of(branch);
    this.requiredUnknown = req.kind === 'unknown' ? req.why : null;
    return markRequired(checks, req);
  }

  private async checkRuns(tally: Tally, sha: string): Promise<PrCheck[]> {
    // `filter=latest` (the default) already answers the most recent run per check; a re-run keeps its
    // name, so the newest (highest id) per app and name is kept in case an older one slips through.
    const raw = await this.pages(tally, 'reading check runs', 'GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { ref: sha, filter: 'latest' },
      (d) => (isObj(d) && Array.isArray(d.check_runs) ? d.check_runs : null), true);
    const newest = new Map<string, PrCheck>();
    for (const r of raw) {
      if (!isObj(r) || typeof r.id !== 'number') continue;
      const out = isObj(r.output) ? r.output : {};
      const check: PrCheck = {
        id: r.id, name: str(r.name), status: str(r.status), conclusion: strOrNull(r.conclusion),
        summary: cap(str(out.summary) || str(out.title)), app: isObj(r.app) ? str(r.app.slug) : '',
        details_url: strOrNull(r.details_url), source: 'check_run',
      };
      const key = `${check.app}\n${check.name}`;
      const seen = newest.get(key);
      if (!seen || seen.id < check.id) newest.set(key, check);
    }
    return [...newest.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id));
  }

  private async statuses(tally: Tally, sha: string): Promise<PrCheck[]> {
    // The combined status holds the latest status per context (REST: repos/get-combined-status-for-ref).
    const raw = await this.pages(tally, 'reading the commit status', 'GET /repos/{owner}/{repo}/commits/{ref}/status', { ref: sha },
      (d) => (isObj(d) && Array.isArray(d.statuses) ? d.statuses : null));
    const out: PrCheck[] = [];
    for (const s of raw) {
      if (!isObj(s) || typeof s.id !== 'number') continue;
      const st = str(s.state);
      out.push({
        id: s.id, name: str(s.context), status: st === 'pending' ? 'pending' : 'completed', conclusion: st === 'pending' || st === '' ? null : st,
        summary: cap(str(s.description)), app: '', details_url: strOrNull(s.target_url), source: 'status',
      });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id));
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
