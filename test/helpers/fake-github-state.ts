// The fake GitHub's data model: one repository's issues and pull requests (one shared number sequence, like
// GitHub), comments, label events, repository labels and collaborator permissions, plus the JSON GitHub
// would render for each. A deterministic clock (one second per mutation) keeps timestamps ordered.

export type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';
/** The roles a custom repository role can be built on (GitHub docs, "Managing custom repository roles"). */
export type BaseRole = 'read' | 'triage' | 'write' | 'maintain';

export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string[];
  user: string;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  /** True for the issue-space item of a pull request. */
  isPull: boolean;
  blockedBy: number[];
  /** Sub-issues (numbers in this repository), for `sub_issues_summary`. */
  subIssues: number[];
  /**
   * The body's edit history, oldest first, as GitHub's GraphQL `userContentEdits` holds it: once the body is
   * edited, the first entry is the creation itself (`includesCreatedEdit`), then one entry per edit.
   */
  edits: FakeContentEdit[];
}

/** One entry of an issue body's edit history (GitHub GraphQL reference, `UserContentEdit`). */
export interface FakeContentEdit {
  id: number;
  editedAt: string;
  editor: string;
  /** The body after this edit (the `diff` GitHub shows is derived from consecutive entries). */
  body: string;
}

export interface FakePull {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  state: 'open' | 'closed';
  draft: boolean;
  merged_at: string | null;
  /** After a merge (fake-github-merges.ts): the commit the base got, who merged, and how many commits the PR had. */
  merge_commit_sha: string | null;
  merged_by: string | null;
  commits_at_merge: number | null;
  /** Native auto-merge armed on it (fake-github-automerge.ts), or null. */
  auto_merge: { merge_method: 'merge' | 'squash' | 'rebase'; enabled_by: string; commit_title: string | null; commit_message: string | null } | null;
  user: string;
  created_at: string;
  updated_at: string;
}

export interface FakeComment {
  id: number;
  issue: number;
  user: string;
  body: string;
  created_at: string;
  updated_at: string;
}

export interface FakeEvent {
  id: number;
  issue: number;
  event: 'labeled' | 'unlabeled' | 'closed' | 'reopened' | 'renamed';
  actor: string;
  label: string | null;
  created_at: string;
  /** `renamed` events: the title before and after (REST issue events, "renamed": `rename: {from, to}`). */
  rename?: { from: string; to: string };
}

export interface FakeLabel {
  id: number;
  name: string;
  color: string;
  description: string;
}

// GET …/collaborators/{username}/permission: "The `permission` attribute provides the legacy base roles of
// `admin`, `write`, `read`, and `none`, where the `maintain` role is mapped to `write` and the `triage` role
// is mapped to `read`. The `role_name` attribute provides the name of the assigned role, including custom
// roles." (REST description, repos/get-collaborator-permission-level.)
const ROLE_TO_PERMISSION: Record<Permission, string> = {
  admin: 'admin', maintain: 'write', write: 'write', triage: 'read', read: 'read', none: 'none',
};

export class FakeGitHubState {
  readonly items = new Map<number, FakeIssue>();
  readonly pulls = new Map<number, FakePull>();
  readonly comments: FakeComment[] = [];
  readonly events: FakeEvent[] = [];
  readonly labels: FakeLabel[] = [];
  readonly permissions = new Map<string, Permission>();
  /** author_association overrides (a private organization member GitHub shows as NONE or CONTRIBUTOR). */
  readonly associations = new Map<string, string>();
  /** Users whose account id is not derived from the login (a login recycled by a new account). */
  readonly userIds = new Map<string, number>();
  /** Custom repository roles by user: their name and the role they are built on. */
  readonly customRoles = new Map<string, { name: string; base: BaseRole }>();
  /** Issues moved away: old number → where they went (repository id and number there). */
  readonly transferred = new Map<number, { repoId: number; number: number }>();
  /** Render issue_dependencies_summary (GitHub and GHES ≥ 3.19); false for an older GitHub Enterprise. */
  dependencies = true;
  /** A private repository: a fine-grained token's reads need their permission (public ones do not). */
  isPrivate = false;
  /** Names the repository had before (renamed or transferred): they answer with redirects. */
  readonly formerNames: string[] = [];
  /** The status a GET to a former name gets: 301 (what GitHub answers a renamed repository), or 307. */
  renamedGetStatus: 301 | 307 = 301;
  /** Required status checks of the default branch: branch protection's contexts and rulesets' contexts. */
  required: { protection: string[] | null; rulesets: string[] } = { protection: null, rulesets: [] };
  apiBase = '';
  private nextNumber = 1;
  private nextId = 1000;
  private clock = Date.parse('2024-01-01T00:00:00Z');

  constructor(
    public owner: string,
    public repo: string,
    readonly defaultBranch: string,
    readonly tokenUser: string,
    readonly defaultUser: string,
    readonly defaultPermission: Permission,
    readonly repoId: number = 1296269,
  ) {}

  get fullName(): string {
    return `${this.owner}/${this.repo}`;
  }

  tick(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString();
  }

  id(): number {
    return this.nextId++;
  }

  permissionOf(user: string): Permission {
    return this.customRoles.get(user.toLowerCase())?.base ?? this.permissions.get(user.toLowerCase()) ?? this.defaultPermission;
  }

  item(n: number): FakeIssue {
    const it = this.items.get(n);
    if (!it) throw new Error(`fake-github: no issue or pull request #${n}`);
    return it;
  }

  /**
   * The repository's label of that name, created if missing. Names are unique regardless of case on GitHub
   * (a repository cannot hold both "Bug" and "bug": karelz/GitHubIssues#128, shiftkey/webhooks#110), so
   * adding "Bug" where "bug" exists adds "bug".
   */
  ensureRepoLabel(name: string): string {
    const have = this.labels.find((l) => l.name.toLowerCase() === name.toLowerCase());
    if (have) return have.name;
    this.labels.push({ id: this.id(), name, color: 'ededed', description: '' });
    return name;
  }

  createItem(input: { title: string; body?: string; labels?: string[]; user?: string; labeledBy?: string; state?: 'open' | 'closed'; isPull?: boolean }): FakeIssue {
    const now = this.tick();
    const it: FakeIssue = {
      number: this.nextNumber++,
      title: input.title,
      body: input.body ?? '',
      state: 'open',
      labels: [],
      user: input.user ?? this.defaultUser,
      created_at: now,
      updated_at: now,
      closed_at: null,
      isPull: input.isPull ?? false,
      blockedBy: [],
      subIssues: [],
      edits: [],
    };
    this.items.set(it.number, it);
    this.setLabels(it.number, input.labels ?? [], input.labeledBy ?? it.user);
    if (input.state === 'closed') this.setState(it.number, 'closed', it.user);
    return it;
  }

  setLabels(n: number, labels: string[], actor: string): void {
    const it = this.item(n);
    const lower = (xs: string[]) => xs.map((x) => x.toLowerCase());
    const removed = it.labels.filter((l) => !lower(labels).includes(l.toLowerCase()));
    const added = labels.filter((l, i) => !lower(it.labels).includes(l.toLowerCase()) && lower(labels).indexOf(l.toLowerCase()) === i).map((l) => this.ensureRepoLabel(l));
    if (removed.length === 0 && added.length === 0) return;
    const now = this.tick();
    for (const l of removed) this.events.push({ id: this.id(), issue: n, event: 'unlabeled', actor, label: l, created_at: now });
    for (const l of added) this.events.push({ id: this.id(), issue: n, event: 'labeled', actor, label: l, created_at: now });
    it.labels = [...it.labels.filter((l) => !removed.includes(l)), ...added];
    it.updated_at = now;
  }

  setState(n: number, state: 'open' | 'closed', actor: string): void {
    const it = this.item(n);
    if (it.state === state) return;
    const now = this.tick();
    it.state = state;
    it.closed_at = state === 'closed' ? now : null;
    it.updated_at = now;
    const pull = this.pulls.get(n);
    if (pull) {
      pull.state = state;
      pull.updated_at = now;
    }
    this.events.push({ id: this.id(), issue: n, event: state === 'closed' ? 'closed' : 'reopened', actor, label: null, created_at: now });
  }

  createPull(input: { head: string; base?: string; title?: string; body?: string; user?: string; draft?: boolean }): FakePull {
    const it = this.createItem({ title: input.title ?? input.head, body: input.body ?? '', user: input.user ?? this.tokenUser, isPull: true });
    const pull: FakePull = {
      number: it.number,
      title: it.title,
      body: it.body,
      head: input.head,
      base: input.base ?? this.defaultBranch,
      state: 'open',
      draft: input.draft ?? false,
      merged_at: null,
      merge_commit_sha: null,
      merged_by: null,
      commits_at_merge: null,
      auto_merge: null,
      user: it.user,
      created_at: it.created_at,
      updated_at: it.updated_at,
    };
    this.pulls.set(pull.number, pull);
    return pull;
  }

  mergePull(n: number): void {
    const pull = this.pulls.get(n);
    if (!pull) throw new Error(`fake-github: no pull request #${n}`);
    pull.merged_at = this.tick();
    this.closeMerged(n, this.tokenUser);
  }

  /** A merged PR closes, and so do the issues its body names with a closing keyword (merged into the default branch). */
  closeMerged(n: number, actor: string): void {
    const pull = this.pulls.get(n)!;
    this.setState(n, 'closed', actor);
    // Merged into the default branch, a closing keyword in the body closes the issue it names (GitHub docs,
    // "Linking a pull request to an issue using a keyword": close(s|d), fix(es|ed), resolve(s|d) #n).
    if (pull.base !== this.defaultBranch) return;
    for (const m of pull.body.matchAll(/\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s+#(\d+)\b/gi)) {
      const target = this.items.get(Number(m[1]));
      if (target && !target.isPull && target.state === 'open') this.setState(target.number, 'closed', actor);
    }
  }

  /**
   * Move issue `n` to `dest` (GitHub: "Transferring an issue to another repository"). It gets the next number
   * there; "comments and assignees are retained" while labels are kept only where the target has them
   * (docs.github.com, github/docs#3197; triagebot's transfer notes). Here it is gone: its old number answers
   * 301 (see the routes). Returns the new number.
   */
  transferTo(n: number, dest: FakeGitHubState): number {
    const it = this.item(n);
    if (it.isPull) throw new Error(`fake-github: #${n} is a pull request; only issues transfer`);
    const moved = dest.createItem({ title: it.title, body: it.body, user: it.user, state: it.state });
    const keep = it.labels.filter((l) => dest.labels.some((d) => d.name.toLowerCase() === l.toLowerCase()));
    if (keep.length > 0) dest.setLabels(moved.number, keep, this.tokenUser);
    for (const c of this.comments.filter((x) => x.issue === n)) dest.comments.push({ ...c, id: dest.id(), issue: moved.number });
    this.comments.splice(0, this.comments.length, ...this.comments.filter((x) => x.issue !== n));
    this.items.delete(n);
    for (const other of this.items.values()) other.blockedBy = other.blockedBy.filter((b) => b !== n);
    this.transferred.set(n, { repoId: dest.repoId, number: moved.number });
    return moved.number;
  }

  /**
   * `actor` changes the title and/or body, as the web UI or PATCH /issues/{n} would. A new title is a
   * `renamed` issue event with the actor (REST issue events: "renamed — The issue or pull request title was
   * changed", carrying `rename.from`/`rename.to`); a new body is an entry in the body's edit history that
   * GraphQL serves (`Issue.userContentEdits`, `lastEditedAt`, `editor`). Both move `updated_at`.
   */
  editIssue(n: number, patch: { title?: string; body?: string }, actor: string): void {
    const it = this.item(n);
    const now = this.tick();
    if (patch.title !== undefined && patch.title !== it.title) {
      this.events.push({ id: this.id(), issue: n, event: 'renamed', actor, label: null, created_at: now, rename: { from: it.title, to: patch.title } });
      it.title = patch.title;
    }
    if (patch.body !== undefined && patch.body !== it.body) {
      if (it.edits.length === 0) it.edits.push({ id: this.id(), editedAt: it.created_at, editor: it.user, body: it.body });
      it.edits.push({ id: this.id(), editedAt: now, editor: actor, body: patch.body });
      it.body = patch.body;
    }
    it.updated_at = now;
  }

  addComment(n: number, user: string, body: string): FakeComment {
    const it = this.item(n);
    const now = this.tick();
    const c: FakeComment = { id: this.id(), issue: n, user, body, created_at: now, updated_at: now };
    this.comments.push(c);
    it.updated_at = now;
    return c;
  }

  // --- JSON as GitHub renders it ---

  userJson(login: string) {
    return { login, id: this.userId(login), type: login.endsWith('[bot]') ? 'Bot' : 'User' };
  }

  userId(login: string): number {
    return this.userIds.get(login.toLowerCase()) ?? hash(login.toLowerCase());
  }

  /**
   * `author_association` on issues and comments (REST description: OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR,
   * FIRST_TIMER, FIRST_TIME_CONTRIBUTOR, MANNEQUIN, NONE). The fake's repository belongs to a user: its owner
   * is OWNER, anyone given a permission or role here is COLLABORATOR, everyone else NONE. GitHub also reports
   * CONTRIBUTOR (or NONE) for organization members whose membership is private (actions/github-script#643,
   * rust-lang/triagebot#2094): swarm never decides trust on it.
   */
  association(login: string): string {
    const key = login.toLowerCase();
    const given = this.associations.get(key);
    if (given) return given;
    if (key === this.owner.toLowerCase()) return 'OWNER';
    return this.permissions.has(key) || this.customRoles.has(key) ? 'COLLABORATOR' : 'NONE';
  }

  labelJson(name: string) {
    const l = this.labels.find((x) => x.name.toLowerCase() === name.toLowerCase());
    return { id: l?.id ?? 0, name, color: l?.color ?? 'ededed', description: l?.description ?? '', default: false };
  }

  issueJson(it: FakeIssue) {
    const repoUrl = `${this.apiBase}/repos/${this.fullName}`;
    const kind = it.isPull ? 'pull' : 'issues';
    return {
      id: 5_000_000 + it.number,
      node_id: `I_${it.number}`,
      number: it.number,
      title: it.title,
      body: it.body === '' ? null : it.body,
      state: it.state,
      labels: it.labels.map((l) => this.labelJson(l)),
      user: this.userJson(it.user),
      author_association: this.association(it.user),
      comments: this.comments.filter((c) => c.issue === it.number).length,
      created_at: it.created_at,
      updated_at: it.updated_at,
      closed_at: it.closed_at,
      ...(this.dependencies ? { issue_dependencies_summary: this.dependencySummary(it) } : {}),
      sub_issues_summary: this.subIssueSummary(it),
      url: `${repoUrl}/issues/${it.number}`,
      repository_url: repoUrl,
      html_url: `https://github.com/${this.fullName}/${kind}/${it.number}`,
      ...(it.isPull
        ? { pull_request: { url: `${repoUrl}/pulls/${it.number}`, html_url: `https://github.com/${this.fullName}/pull/${it.number}`, merged_at: this.pulls.get(it.number)?.merged_at ?? null } }
        : {}),
    };
  }

  /**
   * `issue_dependencies_summary` on every issue object (REST description, schema issue). Field meanings from
   * GitHub's GraphQL reference (IssueDependenciesSummary): blockedBy "Count of issues this issue is blocked
   * by", totalBlockedBy "Total count of issues this issue is blocked by (open and closed)" — so blocked_by
   * counts open blockers only; live answers agree (a blocker closed → blocked_by 0, total_blocked_by 1).
   */
  dependencySummary(it: FakeIssue) {
    const blockers = it.blockedBy.map((n) => this.items.get(n)).filter((x): x is FakeIssue => x !== undefined);
    const blocking = [...this.items.values()].filter((x) => x.blockedBy.includes(it.number));
    return {
      blocked_by: blockers.filter((b) => b.state === 'open').length,
      total_blocked_by: blockers.length,
      blocking: blocking.filter((b) => b.state === 'open').length,
      total_blocking: blocking.length,
    };
  }

  /**
   * `sub_issues_summary` {total, completed, percent_completed} on every issue object (REST description,
   * schema issue; GitHub's sub-issues, 2025): completed counts the closed sub-issues.
   */
  subIssueSummary(it: FakeIssue) {
    const subs = it.subIssues.map((n) => this.items.get(n)).filter((x): x is FakeIssue => x !== undefined);
    const completed = subs.filter((x) => x.state === 'closed').length;
    return { total: subs.length, completed, percent_completed: subs.length === 0 ? 0 : Math.floor((completed * 100) / subs.length) };
  }

  /** The repository answers to `fullName` from now on; its old name redirects (fake-github.ts). */
  rename(fullName: string): void {
    this.formerNames.push(this.fullName);
    [this.owner, this.repo] = fullName.split('/') as [string, string];
  }

  pullJson(p: FakePull, sha: { head: string; base: string; commits?: number }) {
    const repoUrl = `${this.apiBase}/repos/${this.fullName}`;
    const repo = { full_name: this.fullName, name: this.repo, owner: this.userJson(this.owner) };
    return {
      id: 7_000_000 + p.number,
      node_id: `PR_${p.number}`,
      number: p.number,
      title: p.title,
      body: p.body === '' ? null : p.body,
      state: p.state,
      draft: p.draft,
      merged_at: p.merged_at,
      merged: p.merged_at !== null,
      // null until merged here (a merge made by mergePull() has no commit: the fake does not model it).
      merge_commit_sha: p.merge_commit_sha,
      merged_by: p.merged_by !== null ? this.userJson(p.merged_by) : null,
      commits: p.commits_at_merge ?? sha.commits ?? 1,
      auto_merge: p.auto_merge ? { enabled_by: this.userJson(p.auto_merge.enabled_by), merge_method: p.auto_merge.merge_method, commit_title: p.auto_merge.commit_title, commit_message: p.auto_merge.commit_message } : null,
      user: this.userJson(p.user),
      created_at: p.created_at,
      updated_at: p.updated_at,
      url: `${repoUrl}/pulls/${p.number}`,
      html_url: `https://github.com/${this.fullName}/pull/${p.number}`,
      head: { ref: p.head, sha: sha.head, label: `${this.owner}:${p.head}`, repo },
      base: { ref: p.base, sha: sha.base, label: `${this.owner}:${p.base}`, repo },
    };
  }

  commentJson(c: FakeComment) {
    return {
      id: c.id,
      node_id: `IC_${c.id}`,
      body: c.body,
      user: this.userJson(c.user),
      author_association: this.association(c.user),
      created_at: c.created_at,
      updated_at: c.updated_at,
      html_url: `https://github.com/${this.fullName}/issues/${c.issue}#issuecomment-${c.id}`,
      issue_url: `${this.apiBase}/repos/${this.fullName}/issues/${c.issue}`,
    };
  }

  eventJson(e: FakeEvent) {
    return {
      id: e.id,
      node_id: `LE_${e.id}`,
      event: e.event,
      actor: this.userJson(e.actor),
      created_at: e.created_at,
      ...(e.label !== null ? { label: { name: e.label, color: this.labelJson(e.label).color } } : {}),
      ...(e.rename ? { rename: { ...e.rename } } : {}),
    };
  }

  permissionJson(user: string) {
    const custom = this.customRoles.get(user.toLowerCase());
    // A custom role reports the base level it is built on as `permission`, its own name as `role_name`.
    if (custom) return { permission: ROLE_TO_PERMISSION[custom.base], role_name: custom.name, user: this.userJson(user) };
    const role = this.permissionOf(user);
    return { permission: ROLE_TO_PERMISSION[role], role_name: role, user: this.userJson(user) };
  }
}

function hash(s: string): number {
  let h = 7;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) % 1_000_000;
  return h + 1;
}
