// The GitHub code host: where swarm's branches become pull requests, whatever the tracker (renovate's
// platform/scm split: the tracker is tickets, the code host is PRs, branches and checks). Built from
// `{ api_url, repo, auth }` alone; the GitHub tracker shares it (one Octokit, one auth, one rate budget)
// and Linear mode uses one of its own. PR lookup and opening (pulls.ts), PR follow-through (watch.ts),
// verification after merge (merges.ts), the repository webhook (hooks.ts). No scheduling, no policy.
import { createOctokit, type GitHubClient } from './client.js';
import type { GitHubAuth } from './auth.js';
import { mapGitHubError } from './errors.js';
import { GitHubPeople } from './people.js';
import { GitHubPulls } from './pulls.js';
import { PrWatch } from './watch.js';
import { GitHubMerges } from './merges.js';
import { GitHubHooks } from './hooks.js';
import type { CodeHost, OpenPullRequest, PullRequest } from '../types.js';

export interface GitHubCodeHostOptions {
  /** The REST API: tracker.api_url in GitHub mode; GITHUB_API_URL or the origin's host in Linear mode (api-url.ts). */
  api_url: string;
  repo: { owner: string; name: string };
  auth: GitHubAuth;
  /** Defaults to createOctokit with 3 retries against `api_url`. */
  octokit?: GitHubClient;
  /** Space writes 1–3 s apart (tracker.throttle_writes); default true. */
  throttle?: boolean;
  /** Per-request timeout in ms (tracker.request_timeout); default 30 s. */
  timeoutMs?: number;
  now?: () => Date;
  /** The token as last handed out, kept out of error messages. */
  token?: () => string;
  /** PR follow-through reads the base branch's required checks (pr.followup_checks: required); default true. */
  requiredChecks?: () => boolean;
}

export interface AccessCheck {
  /** The token's user (an App: `<slug>[bot]`); null for tokens that cannot read /user and say nothing else. */
  login: string | null;
  /** Whether the repository is private (GitHub then refuses what a token may not read, instead of serving it as public). */
  private: boolean | null;
  defaultBranch: string;
  /** Whether the token may push (null when GitHub did not say). */
  canPush: boolean | null;
}

export class GitHubCodeHost implements CodeHost {
  readonly kind = 'github' as const;
  /** The connection, shared with the GitHub tracker when it is one. */
  readonly gh: GitHubClient;
  readonly auth: GitHubAuth;
  /** Who has which permission on the repository (PR reviews, and the tracker's trust checks). */
  readonly people: GitHubPeople;
  /** PR follow-through for this repository. */
  readonly watch: PrWatch;
  /** Verification after merge: the base branch's checks, native auto-merge. */
  readonly merges: GitHubMerges;
  /** The repository webhook (webhooks: setup, keep-alive pings, doctor). */
  readonly hooks: GitHubHooks;
  private readonly pulls: GitHubPulls;
  private owner: string;
  private name: string;
  /** The configured owner/name when GitHub said the repository now lives elsewhere. */
  private movedFrom: string | null = null;
  private readonly now: () => Date;
  private readonly token: () => string;

  constructor(opts: GitHubCodeHostOptions) {
    this.owner = opts.repo.owner;
    this.name = opts.repo.name;
    this.auth = opts.auth;
    this.now = opts.now ?? (() => new Date());
    this.token = opts.token ?? (() => '');
    this.gh = opts.octokit ?? createOctokit({ auth: opts.auth, apiUrl: opts.api_url, throttle: opts.throttle ?? true, retries: 3, timeoutMs: opts.timeoutMs ?? 30_000 });
    const clock = () => this.now().getTime();
    const mapError = (err: unknown, what: string) => this.mapError(err, what);
    const params = this.repoParams();
    this.people = new GitHubPeople(this.gh, params, mapError, clock, this.auth.login ? () => this.auth.login!() : undefined);
    this.pulls = new GitHubPulls(this.gh, params, mapError);
    this.watch = new PrWatch(this.gh, params, this.people, mapError, { now: clock, requiredChecks: opts.requiredChecks ?? (() => true) });
    this.merges = new GitHubMerges(this.gh, () => this.repoParams(), mapError, clock, this.watch.ci);
    this.hooks = new GitHubHooks(this.gh, params);
  }

  get repoName(): string {
    // GitHub said the repository moved (renamed or transferred): it answers to its new name from now on.
    const to = this.gh.swarm.moved.get(`${this.owner}/${this.name}`.toLowerCase());
    if (to !== undefined) {
      this.movedFrom ??= `${this.owner}/${this.name}`;
      [this.owner, this.name] = to.split('/') as [string, string];
    }
    return `${this.owner}/${this.name}`;
  }

  /** Standing problems an operator should know of (shown by `swarm status` and `swarm doctor`). */
  notes(): string[] {
    const out: string[] = [];
    const name = this.repoName;
    if (this.movedFrom !== null) out.push(`repository ${this.movedFrom} now answers as ${name} (GitHub redirects): swarm follows it; set tracker.repo (or the origin remote) to ${name}`);
    return [...out, ...this.watch.notes(), ...this.merges.notes().filter((n) => !this.watch.notes().includes(n))];
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
    const data = res.data as { default_branch?: unknown; permissions?: { push?: unknown }; private?: unknown };
    return {
      login,
      private: typeof data.private === 'boolean' ? data.private : null,
      defaultBranch: typeof data.default_branch === 'string' ? data.default_branch : 'main',
      canPush: typeof data.permissions?.push === 'boolean' ? data.permissions.push : null,
    };
  }

  rateLimit(): { remaining: number | null; resetAt: string | null } {
    const s = this.gh.swarm;
    return { remaining: s.rateLimitRemaining, resetAt: s.rateLimitReset === null ? null : new Date(s.rateLimitReset * 1000).toISOString() };
  }

  requestCount(): number {
    return this.gh.swarm.requests;
  }

  // --- for the GitHub tracker, which shares this connection (never called through the fleet fence) ---

  /** owner/repo for a request, after adopting a move GitHub reported. */
  repoParams(): { owner: string; repo: string } {
    void this.repoName;
    return { owner: this.owner, repo: this.name };
  }

  mapError(err: unknown, what: string, repoLevel = false) {
    return mapGitHubError(err, { repo: this.repoName, token: this.token(), now: this.now, what, repoLevel });
  }

  async call<T>(what: string, fn: () => Promise<T>, repoLevel = false): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.mapError(err, what, repoLevel);
    }
  }
}
