// The fake GitHub's data model: one repository's issues and pull requests (one shared number sequence, like
// GitHub), comments, label events, repository labels and collaborator permissions, plus the JSON GitHub
// would render for each. A deterministic clock (one second per mutation) keeps timestamps ordered.

export type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

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
  event: 'labeled' | 'unlabeled' | 'closed' | 'reopened';
  actor: string;
  label: string | null;
  created_at: string;
}

export interface FakeLabel {
  id: number;
  name: string;
  color: string;
  description: string;
}

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
  apiBase = '';
  private nextNumber = 1;
  private nextId = 1000;
  private clock = Date.parse('2024-01-01T00:00:00Z');

  constructor(
    readonly owner: string,
    readonly repo: string,
    readonly defaultBranch: string,
    readonly tokenUser: string,
    readonly defaultUser: string,
    readonly defaultPermission: Permission,
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
    return this.permissions.get(user.toLowerCase()) ?? this.defaultPermission;
  }

  item(n: number): FakeIssue {
    const it = this.items.get(n);
    if (!it) throw new Error(`fake-github: no issue or pull request #${n}`);
    return it;
  }

  ensureRepoLabel(name: string): void {
    if (!this.labels.some((l) => l.name.toLowerCase() === name.toLowerCase())) {
      this.labels.push({ id: this.id(), name, color: 'ededed', description: '' });
    }
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
    const added = labels.filter((l, i) => !lower(it.labels).includes(l.toLowerCase()) && lower(labels).indexOf(l.toLowerCase()) === i);
    if (removed.length === 0 && added.length === 0) return;
    const now = this.tick();
    for (const l of removed) this.events.push({ id: this.id(), issue: n, event: 'unlabeled', actor, label: l, created_at: now });
    for (const l of added) {
      this.ensureRepoLabel(l);
      this.events.push({ id: this.id(), issue: n, event: 'labeled', actor, label: l, created_at: now });
    }
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
    const now = this.tick();
    pull.merged_at = now;
    this.setState(n, 'closed', this.tokenUser);
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
    return { login, id: hash(login), type: login.endsWith('[bot]') ? 'Bot' : 'User' };
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
      comments: this.comments.filter((c) => c.issue === it.number).length,
      created_at: it.created_at,
      updated_at: it.updated_at,
      closed_at: it.closed_at,
      url: `${repoUrl}/issues/${it.number}`,
      repository_url: repoUrl,
      html_url: `https://github.com/${this.fullName}/${kind}/${it.number}`,
      ...(it.isPull
        ? { pull_request: { url: `${repoUrl}/pulls/${it.number}`, html_url: `https://github.com/${this.fullName}/pull/${it.number}`, merged_at: this.pulls.get(it.number)?.merged_at ?? null } }
        : {}),
    };
  }

  pullJson(p: FakePull) {
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
      user: this.userJson(p.user),
      created_at: p.created_at,
      updated_at: p.updated_at,
      url: `${repoUrl}/pulls/${p.number}`,
      html_url: `https://github.com/${this.fullName}/pull/${p.number}`,
      head: { ref: p.head, label: `${this.owner}:${p.head}`, repo },
      base: { ref: p.base, label: `${this.owner}:${p.base}`, repo },
    };
  }

  commentJson(c: FakeComment) {
    return {
      id: c.id,
      node_id: `IC_${c.id}`,
      body: c.body,
      user: this.userJson(c.user),
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
    };
  }

  permissionJson(user: string) {
    const role = this.permissionOf(user);
    return { permission: ROLE_TO_PERMISSION[role], role_name: role, user: this.userJson(user) };
  }
}

function hash(s: string): number {
  let h = 7;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) % 1_000_000;
  return h + 1;
}
