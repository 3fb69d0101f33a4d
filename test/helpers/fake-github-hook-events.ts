// What the fake GitHub delivers when its state changes, for fake-github-hooks.ts: the state's append-only
// logs (issue events, comments, check runs, statuses, reviews) are where every change lands, whether a test
// or swarm (through the API) made it; each new entry becomes the event GitHub would send for it. Payload
// shapes as the REST description's webhook schemas define them (`webhook-issues-labeled`,
// `webhook-issue-comment-created`, `webhook-pull-request-closed`, `webhook-pull-request-synchronize`,
// `webhook-pull-request-review-submitted`, `webhook-check-run-completed`, `webhook-status`): action, the
// object, repository, sender. Issue-space events of a pull request arrive as pull_request events (GitHub
// sends no issues events for pull requests); check_run.pull_requests lists this repository's open PRs with
// that head, as GitHub fills it.
import type { FakeChecks, FakeCheckRun, FakeReview, FakeStatus } from './fake-github-checks.js';
import type { FakeComment, FakeEvent, FakeGitHubState } from './fake-github-state.js';

type Make = () => Record<string, unknown> | Promise<Record<string, unknown>>;

export class HookEvents {
  constructor(
    private readonly s: FakeGitHubState,
    private readonly checks: FakeChecks,
    /** Deliver `event` with the payload `make` builds (when a hook wants it). */
    private readonly emit: (event: string, make: Make) => void,
  ) {
    observe(s.events, (e) => this.onIssueEvent(e));
    observe(s.comments, (c) => this.onComment(c));
    observe(checks.runs, (r) => this.onCheckRun(r));
    observe(checks.statuses, (st) => this.onStatus(st));
    observe(checks.reviews, (r) => this.onReview(r));
  }

  /** Payload builders from the fake's state, as GitHub renders them. */
  readonly payload = {
    issues: (n: number, action: string, opts: { label?: string; sender?: string } = {}) => ({
      action,
      issue: this.s.issueJson(this.s.item(n)),
      ...(opts.label ? { label: this.s.labelJson(opts.label) } : {}),
      repository: this.repositoryJson(),
      sender: this.s.userJson(opts.sender ?? this.s.defaultUser),
    }),
    checkRun: async (runId: number, action = 'completed') => {
      const run = this.checks.runs.find((r) => r.id === runId);
      if (!run) throw new Error(`fake-github: no check run ${runId}`);
      return { action, check_run: { ...this.checks.checkRunJson(run), pull_requests: await this.pullsWithHead(run.sha) }, repository: this.repositoryJson(), sender: this.s.userJson('github-actions[bot]') };
    },
  };

  repositoryJson() {
    return { id: this.s.repoId, node_id: `R_${this.s.repoId}`, name: this.s.repo, full_name: this.s.fullName, private: false, owner: this.s.userJson(this.s.owner), html_url: `https://github.com/${this.s.fullName}`, default_branch: this.s.defaultBranch };
  }

  private async pullsWithHead(sha: string) {
    const out = [];
    for (const p of this.s.pulls.values()) {
      if (p.state !== 'open') continue;
      const head = await this.checks.headSha(p);
      if (head !== sha) continue;
      const repo = { id: this.s.repoId, url: `${this.s.apiBase}/repos/${this.s.fullName}`, name: this.s.repo };
      out.push({ id: 7_000_000 + p.number, number: p.number, url: `${this.s.apiBase}/repos/${this.s.fullName}/pulls/${p.number}`, head: { ref: p.head, sha: head, repo }, base: { ref: p.base, sha: await this.checks.baseSha(p), repo } });
    }
    return out;
  }

  private onIssueEvent(e: FakeEvent): void {
    const it = this.s.items.get(e.issue);
    if (!it) return;
    const sender = e.actor;
    if (it.isPull) {
      const p = this.s.pulls.get(e.issue);
      if (!p) return;
      this.emit('pull_request', async () => ({
        action: e.event, number: p.number, pull_request: this.s.pullJson(p, { head: await this.checks.headSha(p), base: await this.checks.baseSha(p) }),
        ...(e.label ? { label: this.s.labelJson(e.label) } : {}), repository: this.repositoryJson(), sender: this.s.userJson(sender),
      }));
      return;
    }
    this.emit('issues', () => this.payload.issues(e.issue, e.event, { label: e.label ?? undefined, sender }));
  }

  /** issues.edited (the test API edits an issue in place). */
  edited(n: number): void {
    if (this.s.items.get(n)?.isPull === false) this.emit('issues', () => this.payload.issues(n, 'edited'));
  }

  /** pull_request.synchronize: new commits on the PR's head branch. */
  synchronized(n: number, sender: string): void {
    const p = this.s.pulls.get(n);
    if (!p) return;
    this.emit('pull_request', async () => ({
      action: 'synchronize', number: p.number, pull_request: this.s.pullJson(p, { head: await this.checks.headSha(p), base: await this.checks.baseSha(p) }),
      repository: this.repositoryJson(), sender: this.s.userJson(sender),
    }));
  }

  private onComment(c: FakeComment): void {
    if (!this.s.items.has(c.issue)) return;
    this.emit('issue_comment', () => ({ action: 'created', issue: this.s.issueJson(this.s.item(c.issue)), comment: this.s.commentJson(c), repository: this.repositoryJson(), sender: this.s.userJson(c.user) }));
  }

  private onCheckRun(r: FakeCheckRun): void {
    this.emit('check_run', () => this.payload.checkRun(r.id, r.status === 'completed' ? 'completed' : 'created'));
  }

  private onStatus(st: FakeStatus): void {
    this.emit('status', () => ({
      id: st.id, sha: st.sha, name: this.s.fullName, state: st.state, description: st.description, target_url: st.target_url, context: st.context,
      branches: [], commit: { sha: st.sha }, created_at: st.created_at, updated_at: st.created_at, repository: this.repositoryJson(), sender: this.s.userJson(this.s.defaultUser),
    }));
  }

  private onReview(r: FakeReview): void {
    const p = this.s.pulls.get(r.pull);
    if (!p) return;
    this.emit('pull_request_review', async () => ({
      action: 'submitted', review: this.checks.reviewJson(r), pull_request: this.s.pullJson(p, { head: await this.checks.headSha(p), base: await this.checks.baseSha(p) }),
      repository: this.repositoryJson(), sender: this.s.userJson(r.user),
    }));
  }
}

/** Call `fn` for every item later pushed onto `list` (the list itself is unchanged). */
function observe<T>(list: T[], fn: (item: T) => void): void {
  const push = list.push.bind(list);
  Object.defineProperty(list, 'push', {
    value: (...items: T[]) => {
      const n = push(...items);
      for (const it of items) fn(it);
      return n;
    },
    configurable: true,
    writable: true,
  });
}

