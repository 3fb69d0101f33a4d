// The GitHub Issues tracker: maps swarm's Tracker onto the REST API, over the connection of its code host
// (code-host.ts: pull requests, checks, merges — one Octokit, one auth, one rate budget). One fixed poll URL (so its ETag hits and an idle poll costs one uncounted 304), labels for claims,
// one sticky status comment per ticket, trust checks on who wrote the text (trust.ts). No scheduling here.
// An issue transferred to another repository (GitHub answers 301, never followed; or an issue whose
// `repository_url` is not this repository) is gone from this tracker: fetch() returns null and writes fail
// with 'not_found'.

import type { Config } from '../../config/types.js';
import type { Env } from '../../config/fields.js';
import { rereadGithubToken } from '../../config/credentials.js';
import { verifyConfig } from '../../config/verify.js';
import { isNotModified, type GitHubClient } from './client.js';
import { staticAuth, type GitHubAuth } from './auth.js';
import { statusOf } from './errors.js';
import { GitHubCodeHost, type AccessCheck } from './code-host.js';
import { isRepository, parseIssue, parseIssueList, toTicket, type GhIssue } from './map.js';
import { GitHubBlockers } from './blockers.js';
import { GitHubComments } from './comments.js';
import { GitHubTrust, type IssueAuthor } from './trust.js';
import { commentsForPrompt } from './prompt-comments.js';
import { GitHubLabels } from './labels.js';
import type { PrWatch } from './watch.js';
import type { GitHubMerges } from './merges.js';
import type { GitHubHooks } from './hooks.js';
import type { Appearance, CandidateList, ChangeActor, CodeHost, Mark, OpenPullRequest, OperatorChange, PullRequest, Ticket, TicketComment, Tracker, TrustVerdict } from '../types.js';

export interface GitHubTrackerOptions {
  config: Config;
  token: string;
  repo: { owner: string; name: string };
  /** Defaults to createOctokit with throttling on, 3 retries, against tracker.api_url. */
  octokit?: GitHubClient;
  /** Where the token of each request comes from (default: `token`, read again after a 401 when `env` is given). */
  auth?: GitHubAuth;
  now?: () => Date;
  /**
   * The environment the token came from. With it (and no `octokit`), a 401 makes the adapter read the token
   * source again — tracker.token of the current configuration, GITHUB_TOKEN, GH_TOKEN, `gh auth token` —
   * and carry on with a new token it finds.
   */
  env?: Env;
  /** The gh executable for that re-read (default "gh", found on the env's PATH). */
  ghCommand?: string;
  /** A new token found is appended here too (the services' secret list: agent env scrubbing). */
  secrets?: string[];
  /** The repository's code host to share the connection of (built with `auth`); default: one built here from tracker.api_url. */
  host?: GitHubCodeHost;
}

export type { AccessCheck };

const PAGE = 100;

/**
 * Tickets are the repository's issues. Its code host (`host`) is the same repository's: the tracker also
 * answers the CodeHost calls by handing them to it, so one object serves a GitHub-mode loop's both roles.
 */
export class GitHubTracker implements Tracker, CodeHost {
  readonly kind = 'github' as const;
  private config: Config;
  /** Pull requests, checks and merges of the same repository, over the same connection. */
  readonly host: GitHubCodeHost;
  private readonly gh: GitHubClient;
  private token: string;
  readonly auth: GitHubAuth;
  private readonly now: () => Date;
  private readonly trustApi: GitHubTrust;
  private readonly blockers: GitHubBlockers;
  /** Numbers of the items of the last listing (all open): a body blocker among them needs no request. */
  private listed: ReadonlySet<number> = new Set();
  private readonly commentsApi: GitHubComments;
  private readonly labels: GitHubLabels;
  /** Each listed or fetched issue's author (login and account id), for allowed_authors. */
  private readonly authors = new Map<string, IssueAuthor>();
  /** The code host's PR follow-through, verification after merge and repository webhook. */
  readonly watch: PrWatch;
  readonly merges: GitHubMerges;
  readonly hooks: GitHubHooks;

  constructor(opts: GitHubTrackerOptions) {
    this.config = opts.config;
    this.token = opts.token;
    this.now = opts.now ?? (() => new Date());
    this.auth = opts.auth ?? staticAuth(opts.token, opts.env ? { reread: (rejected) => this.reauth(rejected, opts) } : {});
    const tc = opts.config.tracker;
    this.host = opts.host ?? new GitHubCodeHost({
      api_url: tc.api_url ?? 'https://api.github.com', repo: opts.repo, auth: this.auth, octokit: opts.octokit,
      throttle: tc.throttle_writes, timeoutMs: tc.request_timeout, now: this.now, token: () => this.token,
      requiredChecks: () => this.config.pr.followup_checks !== 'all',
    });
    this.gh = this.host.gh;
    ({ watch: this.watch, merges: this.merges, hooks: this.hooks } = this.host);
    const clock = () => this.now().getTime();
    const mapError = (err: unknown, what: string) => this.host.mapError(err, what);
    const params = this.host.repoParams();
    this.trustApi = new GitHubTrust(this.gh, params, this.host.people, () => this.config.tracker, mapError, clock);
    this.commentsApi = new GitHubComments(this.gh, params, () => this.host.people.selfLogin(), mapError, clock);
    this.blockers = new GitHubBlockers(this.gh, params, clock, mapError);
    this.labels = new GitHubLabels(this.gh, params, (err, what, repoLevel) => this.host.mapError(err, what, repoLevel));
  }

  /** WORKFLOW.md is re-read every poll: take the new labels/flags without losing caches. */
  setConfig(config: Config): void {
    this.config = config;
  }

  get repoName(): string {
    return this.host.repoName;
  }

  notes(): string[] {
    return this.host.notes();
  }

  async candidates(): Promise<CandidateList> {
    const { owner, repo } = this.host.repoParams(); // adopting a move GitHub reported since the last poll
    const labels = this.config.tracker.labels.join(',');
    const issues: GhIssue[] = [];
    let unchanged = true;
    for (let page = 1; ; page++) {
      const params = {
        owner,
        repo,
        state: 'open' as const,
        ...(labels !== '' ? { labels } : {}),
        per_page: PAGE,
        ...(page > 1 ? { page } : {}),
      };
      const res = await this.host.call('listing issues', () => this.gh.request('GET /repos/{owner}/{repo}/issues', params), true);
      if (!isNotModified(res)) unchanged = false;
      const items = parseIssueList(res.data);
      issues.push(...items);
      if (items.length < PAGE) break;
    }
    this.listed = new Set(issues.map((i) => i.number));
    this.blockers.newListing();
    const tickets: Ticket[] = [];
    for (const issue of issues) {
      if (issue.isPull) continue;
      this.remember(issue);
      tickets.push(toTicket(issue, await this.blockers.open(issue, { listed: this.listed, fresh: false }), this.config.tracker));
    }
    return { tickets, unchanged };
  }

  /** A fresh read; its blockers are resolved the way candidates() resolves them (remembered "closed" re-checked). */
  async fetch(key: string): Promise<Ticket | null> {
    if (!/^\d+$/.test(key)) return null;
    const issue = await this.issueOrNull(Number(key));
    if (issue === null || issue.isPull) return null;
    this.remember(issue);
    return toTicket(issue, await this.blockers.open(issue, { listed: this.listed, fresh: true }), this.config.tracker);
  }

  /** The newest comments (at most NEWEST_COMMENTS), each flagged trusted when its author has write access. */
  async comments(ticket: Ticket): Promise<TicketComment[]> {
    const read = await this.commentsApi.current(ticket.number);
    const sticky = await this.commentsApi.stickyAmong(read.comments);
    return commentsForPrompt(read, sticky, this.host.people);
  }

  async trust(ticket: Ticket): Promise<TrustVerdict> {
    if (!this.authors.has(ticket.key) && this.config.tracker.allowed_authors.length > 0) {
      const issue = await this.issueOrNull(ticket.number);
      if (issue) this.remember(issue);
    }
    return this.trustApi.verdict(ticket, this.authors.get(ticket.key) ?? { login: null, id: null });
  }

  async changedBy(ticket: Ticket, change: OperatorChange): Promise<ChangeActor | null> {
    return 'removedLabel' in change ? this.trustApi.removedBy(ticket, change.removedLabel) : null;
  }

  async show(ticket: Ticket, appearance: Appearance): Promise<void> {
    const tc = this.config.tracker;
    const has = (l: string) => ticket.labels.some((x) => x.toLowerCase() === l.toLowerCase());
    const mark = appearance.mark;
    const want: Record<Mark, string | null> = { running: tc.running_label, review: tc.review_label, failed: tc.failed_label, released: null, cleared: null };
    const wanted = want[mark];
    // `released` drops only the claim; every other mark replaces all of swarm's labels.
    const owned = mark === 'released' ? [tc.running_label] : [tc.running_label, tc.review_label, tc.failed_label];
    // Reverted after its merge: the issue the merge closed is opened again (once: only while not confirmed).
    if (appearance.reopen && !ticket.open) await this.reopen(ticket);
    const revertedLabel = verifyConfig(this.config).reverted_label;
    if (appearance.reverted && !has(revertedLabel)) await this.labels.add(ticket, revertedLabel);
    // Add before removing, so the ticket never looks unclaimed (and claimable) between the two writes.
    if (wanted !== null && !has(wanted)) await this.labels.add(ticket, wanted);
    for (const label of owned) {
      if (label.toLowerCase() !== wanted?.toLowerCase() && has(label)) await this.labels.remove(ticket, label);
    }
    const human = this.config.pr.needs_human_label;
    if (appearance.needsHuman && !has(human)) await this.labels.add(ticket, human);
    else if (!appearance.needsHuman && mark !== 'review' && has(human)) await this.labels.remove(ticket, human);
    // The PR is linked by its own body ("Closes #n") and shown in the sticky comment.
    if (appearance.sticky !== null) await this.commentsApi.upsertSticky(ticket.number, appearance.sticky);
  }

  /** Reopen a closed issue (REST: "Update an issue" with state open; GitHub records a `reopened` event). */
  private async reopen(ticket: Ticket): Promise<void> {
    await this.host.call(`reopening issue #${ticket.number}`, () => this.gh.request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', { ...this.host.repoParams(), issue_number: ticket.number, state: 'open' }));
  }

  findPullRequest(branch: string): Promise<PullRequest | null> {
    return this.host.findPullRequest(branch);
  }

  openPullRequest(req: OpenPullRequest): Promise<PullRequest> {
    return this.host.openPullRequest(req);
  }

  /** For `doctor`: who the token is and whether the repository is reachable. */
  checkAccess(): Promise<AccessCheck> {
    return this.host.checkAccess();
  }

  /** For `doctor --fix`: create the repository labels that are missing; returns the names created. */
  ensureLabels(names: readonly string[]): Promise<string[]> {
    return this.labels.ensure(names);
  }

  rateLimit(): { remaining: number | null; resetAt: string | null } {
    return this.host.rateLimit();
  }

  requestCount(): number {
    return this.host.requestCount();
  }

  // --- helpers ---

  private remember(issue: GhIssue): void {
    if (this.authors.size >= 5000) this.authors.delete(this.authors.keys().next().value as string);
    this.authors.set(String(issue.number), { login: issue.author, id: issue.authorId });
  }

  /** The issue, or null when it is not (or no longer) in this repository: missing, deleted or transferred. */
  private async issueOrNull(n: number): Promise<GhIssue | null> {
    let issue: GhIssue;
    try {
      const res = await this.gh.request('GET /repos/{owner}/{repo}/issues/{issue_number}', { ...this.host.repoParams(), issue_number: n });
      issue = parseIssue(res.data);
    } catch (err) {
      const status = statusOf(err);
      // "The API returns a 301 Moved Permanently status if the issue was transferred to another repository.
      // If the issue was transferred to or deleted from a repository where the authenticated user lacks read
      // access, the API returns a 404 … deleted from a repository where the authenticated user has read
      // access, … 410 Gone" (REST description, "Get an issue").
      if (status === 301 || status === 404 || status === 410) return null;
      throw this.host.mapError(err, `reading issue #${n}`);
    }
    if (issue.repositoryUrl !== null && !isRepository(issue.repositoryUrl, this.repoName)) return null;
    return issue;
  }

  /** After a 401: the token source's current value when it differs (registered as a secret), else null. */
  private async reauth(rejected: string, opts: GitHubTrackerOptions): Promise<string | null> {
    const next = await rereadGithubToken(this.config, opts.env ?? {}, rejected, { ghCommand: opts.ghCommand, secrets: opts.secrets });
    if (next !== null) this.token = next;
    return next;
  }
}

export function createGitHubTracker(opts: GitHubTrackerOptions): GitHubTracker {
  return new GitHubTracker(opts);
}
