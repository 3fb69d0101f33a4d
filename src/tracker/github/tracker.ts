// The GitHub Issues tracker and GitHub code host: maps swarm's Tracker/CodeHost onto the REST API.
// One fixed poll URL (so its ETag hits and an idle poll costs one uncounted 304), labels for claims,
// one sticky status comment per ticket, trust checks on who applied the trigger label. No scheduling here.

import type { Config } from '../../config/types.js';
import { createOctokit, isNotModified, type GitHubClient } from './client.js';
import { mapGitHubError, statusOf } from './errors.js';
import { parseIssue, parseIssueList, toTicket } from './map.js';
import { GitHubComments } from './comments.js';
import { GitHubPeople } from './people.js';
import { GitHubPulls } from './pulls.js';
import type { Appearance, CandidateList, CodeHost, Mark, OpenPullRequest, PullRequest, Ticket, TicketComment, Tracker, TrustVerdict } from '../types.js';

export interface GitHubTrackerOptions {
  config: Config;
  token: string;
  repo: { owner: string; name: string };
  /** Defaults to createOctokit with throttling on, 3 retries, against tracker.api_url. */
  octokit?: GitHubClient;
  now?: () => Date;
}

export interface AccessCheck {
  /** The token's user; null for tokens that cannot read /user (GitHub App installation tokens). */
  login: string | null;
  defaultBranch: string;
  /** Whether the token may push (null when GitHub did not say). */
  canPush: boolean | null;
}

const PAGE = 100;

export class GitHubTracker implements Tracker, CodeHost {
  readonly kind = 'github' as const;
  private config: Config;
  private readonly gh: GitHubClient;
  private readonly token: string;
  private readonly owner: string;
  private readonly name: string;
  private readonly now: () => Date;
  private readonly people: GitHubPeople;
  private readonly trustCache = new Map<string, TrustVerdict>();
  private readonly commentsApi: GitHubComments;
  private readonly pulls: GitHubPulls;
  private readonly authors = new Map<string, string | null>();

  constructor(opts: GitHubTrackerOptions) {
    this.config = opts.config;
    this.token = opts.token;
    this.owner = opts.repo.owner;
    this.name = opts.repo.name;
    this.now = opts.now ?? (() => new Date());
    this.gh =
      opts.octokit ??
      createOctokit({
        token: opts.token,
        apiUrl: opts.config.tracker.api_url ?? 'https://api.github.com',
        throttle: opts.config.tracker.throttle_writes,
        retries: 3,
        timeoutMs: opts.config.tracker.request_timeout,
      });
    this.people = new GitHubPeople(this.gh, this.repoParams(), (err, what) => this.mapError(err, what));
    this.commentsApi = new GitHubComments(this.gh, this.repoParams(), () => this.people.selfLogin(), (err, what) => this.mapError(err, what));
    this.pulls = new GitHubPulls(this.gh, this.repoParams(), (err, what) => this.mapError(err, what));
  }

  /** WORKFLOW.md is re-read every poll: take the new labels/flags without losing caches. */
  setConfig(config: Config): void {
    this.config = config;
  }

  get repoName(): string {
    return `${this.owner}/${this.name}`;
  }

  async candidates(): Promise<CandidateList> {
    const labels = this.config.tracker.labels.join(',');
    const tickets: Ticket[] = [];
    let unchanged = true;
    for (let page = 1; ; page++) {
      const params = {
        owner: this.owner,
        repo: this.name,
        state: 'open' as const,
        ...(labels !== '' ? { labels } : {}),
        per_page: PAGE,
        ...(page > 1 ? { page } : {}),
      };
      const res = await this.call('listing issues', () => this.gh.request('GET /repos/{owner}/{repo}/issues', params), true);
      if (!isNotModified(res)) unchanged = false;
      const items = parseIssueList(res.data);
      for (const issue of items) {
        if (issue.isPull) continue;
        this.authors.set(String(issue.number), issue.author);
        tickets.push(toTicket(issue));
      }
      if (items.length < PAGE) break;
    }
    return { tickets, unchanged };
  }

  async fetch(key: string): Promise<Ticket | null> {
    if (!/^\d+$/.test(key)) return null;
    const issue = await this.issueOrNull(Number(key));
    if (issue === null || issue.isPull) return null;
    this.authors.set(key, issue.author);
    return toTicket(issue);
  }

  /** Blockers still open: the body's "blocked by #N" references plus GitHub's native dependencies. */
  async openBlockers(ticket: Ticket): Promise<string[]> {
    const open = new Set<string>();
    for (const ref of ticket.blockers) {
      const n = Number(ref.replace(/^#/, ''));
      if (!Number.isInteger(n) || n <= 0 || n === ticket.number) continue;
      const issue = await this.issueOrNull(n);
      if (issue !== null && issue.state === 'open') open.add(`#${n}`);
    }
    const route = 'GET /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by';
    try {
      const res = await this.gh.request(route, { ...this.repoParams(), issue_number: ticket.number, per_page: PAGE });
      for (const raw of Array.isArray(res.data) ? (res.data as unknown[]) : []) {
        const issue = parseIssue(raw);
        if (issue.state !== 'open') continue;
        const repoUrl = (raw as { repository_url?: unknown }).repository_url;
        const other = typeof repoUrl === 'string' && !repoUrl.endsWith(`/repos/${this.repoName}`);
        open.add(other ? `${repoUrl.replace(/^.*\/repos\//, '')}#${issue.number}` : `#${issue.number}`);
      }
    } catch (err) {
      if (statusOf(err) !== 404) throw this.mapError(err, 'reading dependencies');
    }
    return [...open];
  }

  async comments(ticket: Ticket): Promise<TicketComment[]> {
    const all = await this.commentsApi.list(ticket.number);
    const sticky = await this.commentsApi.stickyAmong(all);
    const out: TicketComment[] = [];
    for (const c of all) {
      if (c === sticky) continue; // swarm's own status comment is not part of the conversation
      out.push({ author: c.author ?? 'ghost', body: c.body, created_at: c.created_at, trusted: await this.people.isWriter(c.author) });
    }
    return out;
  }

  async trust(ticket: Ticket): Promise<TrustVerdict> {
    const tc = this.config.tracker;
    if (!tc.trusted_labelers_only && tc.allowed_authors.length === 0) {
      return { trusted: true, reason: 'no trust restrictions configured' };
    }
    const cacheKey = JSON.stringify([ticket.key, ticket.updated_at, tc.labels, tc.trusted_labelers_only, tc.allowed_authors]);
    const cached = this.trustCache.get(cacheKey);
    if (cached) return cached;
    const verdict = await this.computeTrust(ticket);
    if (this.trustCache.size >= 2000) this.trustCache.clear(); // keys carry updated_at: old ones are dead
    this.trustCache.set(cacheKey, verdict);
    return verdict;
  }

  private async computeTrust(ticket: Ticket): Promise<TrustVerdict> {
    const tc = this.config.tracker;
    const reasons: string[] = [];
    if (tc.allowed_authors.length > 0) {
      const author = this.authors.has(ticket.key) ? this.authors.get(ticket.key) ?? null : (await this.issueOrNull(ticket.number))?.author ?? null;
      const allowed = tc.allowed_authors.map((a) => a.toLowerCase());
      if (author === null || !allowed.includes(author.toLowerCase())) {
        return { trusted: false, reason: `issue author @${author ?? 'unknown'} is not in tracker.allowed_authors` };
      }
      reasons.push(`author @${author} is allowed`);
    }
    if (tc.trusted_labelers_only) {
      const events = await this.call('reading issue events', () =>
        this.gh.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/events', { ...this.repoParams(), issue_number: ticket.number, per_page: PAGE }),
      );
      const verdict = await this.people.labelerVerdict(events as unknown[], tc.labels);
      if (!verdict.trusted) return verdict;
      reasons.push(verdict.reason);
    }
    return { trusted: true, reason: reasons.join('; ') };
  }

  async show(ticket: Ticket, appearance: Appearance): Promise<void> {
    const tc = this.config.tracker;
    const has = (l: string) => ticket.labels.some((x) => x.toLowerCase() === l.toLowerCase());
    const mark = appearance.mark;
    const want: Record<Mark, string | null> = { running: tc.running_label, review: tc.review_label, failed: tc.failed_label, released: null, cleared: null };
    const wanted = want[mark];
    // `released` drops only the claim; every other mark replaces all of swarm's labels.
    const owned = mark === 'released' ? [tc.running_label] : [tc.running_label, tc.review_label, tc.failed_label];
    // Add before removing, so the ticket never looks unclaimed (and claimable) between the two writes.
    if (wanted !== null && !has(wanted)) await this.addLabel(ticket, wanted);
    for (const label of owned) {
      if (label.toLowerCase() !== wanted?.toLowerCase() && has(label)) await this.removeLabel(ticket, label);
    }
    // The PR is linked by its own body ("Closes #n") and shown in the sticky comment.
    if (appearance.sticky !== null) await this.commentsApi.upsertSticky(ticket.number, appearance.sticky);
  }

  findPullRequest(branch: string): Promise<PullRequest | null> {
    return this.pulls.find(branch);
  }

  openPullRequest(req: OpenPullRequest): Promise<PullRequest> {
    return this.pulls.open(req);
  }

  /** For `doctor`: who the token is and whether the repository is reachable. */
  async checkAccess(): Promise<AccessCheck> {
    const login = await this.people.selfLogin();
    const res = await this.call('reading the repository', () => this.gh.request('GET /repos/{owner}/{repo}', this.repoParams()), true);
    const data = res.data as { default_branch?: unknown; permissions?: { push?: unknown } };
    return {
      login,
      defaultBranch: typeof data.default_branch === 'string' ? data.default_branch : 'main',
      canPush: typeof data.permissions?.push === 'boolean' ? data.permissions.push : null,
    };
  }

  /** For `doctor --fix`: create the repository labels that are missing; returns the names created. */
  async ensureLabels(names: readonly string[]): Promise<string[]> {
    const existing = await this.call('listing labels', () => this.gh.paginate('GET /repos/{owner}/{repo}/labels', { ...this.repoParams(), per_page: PAGE }), true);
    const have = new Set(existing.map((l) => String(l.name).toLowerCase()));
    const created: string[] = [];
    for (const name of names) {
      if (have.has(name.toLowerCase())) continue;
      try {
        await this.gh.request('POST /repos/{owner}/{repo}/labels', { ...this.repoParams(), name, color: labelColor(name) });
        created.push(name);
        have.add(name.toLowerCase());
      } catch (err) {
        if (statusOf(err) !== 422) throw this.mapError(err, `creating label ${name}`); // 422: created meanwhile
      }
    }
    return created;
  }

  rateLimit(): { remaining: number | null; resetAt: string | null } {
    const s = this.gh.swarm;
    return { remaining: s.rateLimitRemaining, resetAt: s.rateLimitReset === null ? null : new Date(s.rateLimitReset * 1000).toISOString() };
  }

  requestCount(): number {
    return this.gh.swarm.requests;
  }

  // --- helpers ---

  private repoParams(): { owner: string; repo: string } {
    return { owner: this.owner, repo: this.name };
  }

  private mapError(err: unknown, what: string, repoLevel = false) {
    return mapGitHubError(err, { repo: this.repoName, token: this.token, now: this.now, what, repoLevel });
  }

  private async call<T>(what: string, fn: () => Promise<T>, repoLevel = false): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.mapError(err, what, repoLevel);
    }
  }

  private async issueOrNull(n: number) {
    try {
      const res = await this.gh.request('GET /repos/{owner}/{repo}/issues/{issue_number}', { ...this.repoParams(), issue_number: n });
      return parseIssue(res.data);
    } catch (err) {
      const status = statusOf(err);
      if (status === 404 || status === 410) return null;
      throw this.mapError(err, `reading issue #${n}`);
    }
  }

  private async addLabel(ticket: Ticket, label: string): Promise<void> {
    await this.call(`adding label ${label} to ${ticket.identifier}`, () =>
      this.gh.request('POST /repos/{owner}/{repo}/issues/{issue_number}/labels', { ...this.repoParams(), issue_number: ticket.number, labels: [label] }),
    );
  }

  private async removeLabel(ticket: Ticket, label: string): Promise<void> {
    try {
      await this.gh.request('DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}', { ...this.repoParams(), issue_number: ticket.number, name: label });
    } catch (err) {
      if (statusOf(err) !== 404) throw this.mapError(err, `removing label ${label} from ${ticket.identifier}`); // 404: absent, done
    }
  }
}

function labelColor(name: string): string {
  if (/running/i.test(name)) return 'fbca04';
  if (/review/i.test(name)) return '0e8a16';
  if (/fail/i.test(name)) return 'd93f0b';
  return '5319e7';
}

export function createGitHubTracker(opts: GitHubTrackerOptions): GitHubTracker {
  return new GitHubTracker(opts);
}
