// The fake GitHub's REST routes: each takes the parsed request and answers like api.github.com would
// (status codes, error bodies, pagination). Transport concerns (auth, ETag, faults, rate limit) live in
// fake-github.ts.

import { execFile } from 'node:child_process';
import type { FakeChecks } from './fake-github-checks.js';
import type { FakeActions } from './fake-github-actions.js';
import type { FakeMerges } from './fake-github-merges.js';
import type { FakeGitHubState, FakeIssue, FakePull } from './fake-github-state.js';

export interface RouteRequest {
  method: string;
  pathname: string;
  query: URLSearchParams;
  body: unknown;
}

export interface RouteResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteOptions {
  gitDir: string | null;
  dependencies: boolean;
  checks: FakeChecks;
  actions: FakeActions;
  merges: FakeMerges;
}

type Handler = (req: RouteRequest, m: string[], s: FakeGitHubState, o: RouteOptions) => RouteResponse | Promise<RouteResponse>;

const notFound = (): RouteResponse => ({ status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } });
const invalid = (errors: unknown[]): RouteResponse => ({ status: 422, body: { message: 'Validation Failed', errors, documentation_url: 'https://docs.github.com/rest' } });

function obj(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/** Page a list like GitHub: per_page (default 30, max 100), page, and a Link header. */
function paged(req: RouteRequest, s: FakeGitHubState, all: unknown[]): RouteResponse {
  const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page') ?? 30) || 30));
  const page = Math.max(1, Number(req.query.get('page') ?? 1) || 1);
  const last = Math.max(1, Math.ceil(all.length / perPage));
  const link = (p: number, rel: string) => {
    const q = new URLSearchParams(req.query);
    q.set('page', String(p));
    return `<${s.apiBase}${req.pathname}?${q.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
  if (page > 1) links.push(link(1, 'first'), link(page - 1, 'prev'));
  return { status: 200, body: all.slice((page - 1) * perPage, page * perPage), headers: links.length > 0 ? { link: links.join(', ') } : {} };
}

function findItem(s: FakeGitHubState, n: string): FakeIssue | null {
  return s.items.get(Number(n)) ?? null;
}

function git(gitDir: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile('git', ['--git-dir', gitDir, ...args], (err, stdout) => resolve({ ok: err === null, out: String(stdout).trim() }));
  });
}

async function pullJson(s: FakeGitHubState, o: RouteOptions, p: FakePull) {
  const [head, base] = [await o.checks.headSha(p), await o.checks.baseSha(p)];
  // `commits`: "the number of commits in the pull request" (REST description, pull-request).
  const count = o.gitDir !== null ? Number((await git(o.gitDir, ['rev-list', '--count', `${base}..${head}`])).out) || 1 : 1;
  return s.pullJson(p, { head, base, commits: count });
}

function listIssues(req: RouteRequest, s: FakeGitHubState): RouteResponse {
  const state = req.query.get('state') ?? 'open';
  // `labels` is a comma-separated AND list (REST description, issues/list-for-repo). Matched regardless of
  // case here: label names are unique regardless of case on GitHub, and the REST filter is reported to be
  // case-insensitive (github/awesome-copilot labels-api notes); GitHub does not document it either way.
  const wanted = (req.query.get('labels') ?? '').split(',').map((l) => l.trim().toLowerCase()).filter((l) => l !== '');
  const sort = req.query.get('sort') ?? 'created';
  const dir = req.query.get('direction') === 'asc' ? 1 : -1;
  const items = [...s.items.values()]
    .filter((it) => state === 'all' || it.state === state)
    .filter((it) => wanted.every((w) => it.labels.some((l) => l.toLowerCase() === w)))
    .sort((a, b) => {
      const key = (it: FakeIssue) => (sort === 'updated' ? it.updated_at : it.created_at);
      return (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.number - b.number) * dir;
    });
  return paged(req, s, items.map((it) => s.issueJson(it)));
}

async function createPull(req: RouteRequest, s: FakeGitHubState, o: RouteOptions): Promise<RouteResponse> {
  const b = obj(req.body);
  const rawHead = typeof b.head === 'string' ? b.head : '';
  const head = rawHead.includes(':') ? rawHead.slice(rawHead.indexOf(':') + 1) : rawHead;
  const base = typeof b.base === 'string' ? b.base : '';
  if (head === '' || base === '') return invalid([{ resource: 'PullRequest', field: head === '' ? 'head' : 'base', code: 'missing_field' }]);
  if (typeof b.title !== 'string' || b.title === '') return invalid([{ resource: 'PullRequest', field: 'title', code: 'missing_field' }]);
  const open = [...s.pulls.values()].find((p) => p.head === head && p.state === 'open');
  if (open) {
    return invalid([{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${s.owner}:${head}.` }]);
  }
  if (o.gitDir !== null) {
    if (!(await git(o.gitDir, ['rev-parse', '--verify', '--quiet', `refs/heads/${head}`])).ok) {
      return invalid([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
    }
    if (!(await git(o.gitDir, ['rev-parse', '--verify', '--quiet', `refs/heads/${base}`])).ok) {
      return invalid([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    }
    const ahead = await git(o.gitDir, ['rev-list', '--count', `refs/heads/${base}..refs/heads/${head}`]);
    if (ahead.ok && ahead.out === '0') {
      return invalid([{ resource: 'PullRequest', code: 'custom', message: `No commits between ${base} and ${head}` }]);
    }
  }
  const pull = s.createPull({ head, base, title: b.title, body: typeof b.body === 'string' ? b.body : '', user: s.tokenUser, draft: b.draft === true });
  return { status: 201, body: await pullJson(s, o, pull) };
}

function labelsInBody(body: unknown): string[] {
  const raw = Array.isArray(body) ? body : obj(body).labels;
  if (!Array.isArray(raw)) return [];
  return raw.map((l) => (typeof l === 'string' ? l : String(obj(l).name ?? ''))).filter((l) => l !== '');
}

const routes: Array<[string, RegExp, Handler]> = [
  ['GET', /^\/user$/, (_r, _m, s) => ({ status: 200, body: { ...s.userJson(s.tokenUser), name: s.tokenUser } })],
  // "Get a user" (REST description, users/get-by-username): the account's public profile, `id` included; 404
  // for a login no account has. Every well-formed login is an account here (ids: fake-github-state userId).
  ['GET', /^\/users\/([^/]+)$/, (_r, m, s) => {
    const login = decodeURIComponent(m[1]!);
    return /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\[bot\])?$/.test(login) ? { status: 200, body: { ...s.userJson(login), name: login } } : notFound();
  }],
  ['GET', /^\/rate_limit$/, () => ({ status: 200, body: {} })],
  ['GET', /^\/repos\/([^/]+)\/([^/]+)$/, (_r, _m, s, o) => {
    const role = s.permissionOf(s.tokenUser);
    const push = ['admin', 'maintain', 'write'].includes(role);
    return {
      status: 200,
      body: {
        id: s.repoId, name: s.repo, full_name: s.fullName, owner: s.userJson(s.owner), private: s.isPrivate,
        html_url: `https://github.com/${s.fullName}`, default_branch: s.defaultBranch, ...o.merges.settings,
        permissions: { admin: role === 'admin', maintain: role === 'admin' || role === 'maintain', push, triage: push || role === 'triage', pull: role !== 'none' },
      },
    };
  }],
  ['GET', /^\/repos\/[^/]+\/[^/]+\/issues$/, (r, _m, s) => listIssues(r, s)],
  ['POST', /^\/repos\/[^/]+\/[^/]+\/issues$/, (r, _m, s) => {
    const b = obj(r.body);
    if (typeof b.title !== 'string' || b.title === '') return invalid([{ resource: 'Issue', field: 'title', code: 'missing_field' }]);
    const it = s.createItem({ title: b.title, body: typeof b.body === 'string' ? b.body : '', labels: labelsInBody(b), user: s.tokenUser });
    return { status: 201, body: s.issueJson(it) };
  }],
  ['GET', /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/, (_r, m, s) => {
    const c = s.comments.find((x) => x.id === Number(m[1]));
    return c ? { status: 200, body: s.commentJson(c) } : notFound();
  }],
  ['PATCH', /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/, (r, m, s) => {
    const c = s.comments.find((x) => x.id === Number(m[1]));
    if (!c) return notFound();
    const b = obj(r.body);
    if (typeof b.body !== 'string') return invalid([{ resource: 'IssueComment', field: 'body', code: 'missing_field' }]);
    c.body = b.body;
    c.updated_at = s.tick();
    return { status: 200, body: s.commentJson(c) };
  }],
  ['DELETE', /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/, (_r, m, s) => {
    const i = s.comments.findIndex((x) => x.id === Number(m[1]));
    if (i < 0) return notFound();
    s.comments.splice(i, 1);
    return { status: 204 };
  }],
  ['GET', /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)$/, (_r, m, s) => {
    const it = findItem(s, m[1]!);
    return it ? { status: 200, body: s.issueJson(it) } : notFound();
  }],
  ['PATCH', /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)$/, (r, m, s) => {
    const it = findItem(s, m[1]!);
    if (!it) return notFound();
    const b = obj(r.body);
    s.editIssue(it.number, { ...(typeof b.title === 'string' ? { title: b.title } : {}), ...(typeof b.body === 'string' ? { body: b.body } : {}) }, s.tokenUser);
    if (Array.isArray(b.labels)) s.setLabels(it.number, labelsInBody(b), s.tokenUser);
    if (b.state === 'open' || b.state === 'closed') s.setState(it.number, b.state, s.tokenUser);
    it.updated_at = s.tick();
    return { status: 200, body: s.issueJson(it) };
  }],
  ['POST', /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/labels$/, (r, m, s) => {
    const it = findItem(s, m[1]!);
    if (!it) return notFound();
    const add = labelsInBody(r.body);
    s.setLabels(it.number, [...it.labels, ...add.filter((l) => !it.labels.some((x) => x.toLowerCase() === l.toLowerCase()))], s.tokenUser);
    return { status: 200, body: it.labels.map((l) => s.labelJson(l)) };
  }],
  // Removing an absent label: 404 "Label does not exist" (what GitHub answers; the REST description lists
  // 404 for issues/remove-label). The name matches regardless of case, like every label name on GitHub
  // (rust-lang/triagebot#1915/#1953 remove labels typed in another case); not documented either way.
  ['DELETE', /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/labels\/(.+)$/, (_r, m, s) => {
    const it = findItem(s, m[1]!);
    const name = decodeURIComponent(m[2]!);
    if (!it || !it.labels.some((l) => l.toLowerCase() === name.toLowerCase())) {
      return { status: 404, body: { message: 'Label does not exist', documentation_url: 'https://docs.github.com/rest' } };
    }
    s.setLabels(it.number, it.labels.filter((l) => l.toLowerCase() !== name.toLowerCase()), s.tokenUser);
    return { status: 200, body: it.labels.map((l) => s.labelJson(l)) };
  }],
  ['GET', /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/, (r, m, s) => {
    const it = findItem(s, m[1]!);
    if (!it) return notFound();
    return paged(r, s, s.comments.filter((c) => c.issue === it.number).map((c) => s.commentJson(c)));
  }],
  ['POST', /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/, (r, m, s) => {
    const it = findItem(s, m[1]!);
    if (!it) return notFound();
    const b = obj(r.body);
    if (typeof b.body !== 'string' || b.body === '') return invalid([{ resource: 'IssueComment', field: 'body', code: 'missing_field' }]);
    return { status: 201, body: s.commentJson(s.addComment(it.number, s.tokenUser, b.body)) };
  }],
  ['GET', /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/events$/, (r, m, s) => {
    const it = findItem(s, m[1]!);
    if (!it) return notFound();
    return paged(r, s, s.events.filter((e) => e.issue === it.number).map((e) => s.eventJson(e)));
  }],
  // Native dependencies (REST description, issues/list-dependencies-blocked-by): full issue objects, closed
  // blockers included — each carries its `state`, and only issue_dependencies_summary.blocked_by counts the
  // open ones (ready-for-agent#49: "GitHub also returns closed Issues in the blockedBy connection"). GitHub
  // Enterprise before 3.19 has no such endpoint: 404 (`dependencies: false`).
  ['GET', /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/dependencies\/blocked_by$/, (r, m, s, o) => {
    const it = findItem(s, m[1]!);
    if (!it || !o.dependencies) return notFound();
    return paged(r, s, it.blockedBy.map((n) => s.items.get(n)).filter((x) => x !== undefined).map((x) => s.issueJson(x)));
  }],
  ['GET', /^\/repos\/[^/]+\/[^/]+\/labels$/, (r, _m, s) => paged(r, s, s.labels.map((l) => ({ ...s.labelJson(l.name) })))],
  ['POST', /^\/repos\/[^/]+\/[^/]+\/labels$/, (r, _m, s) => {
    const b = obj(r.body);
    if (typeof b.name !== 'string' || b.name === '') return invalid([{ resource: 'Label', field: 'name', code: 'missing_field' }]);
    const name = b.name;
    if (s.labels.some((l) => l.name.toLowerCase() === name.toLowerCase())) return invalid([{ resource: 'Label', field: 'name', code: 'already_exists' }]);
    s.labels.push({ id: s.id(), name, color: typeof b.color === 'string' ? b.color : 'ededed', description: typeof b.description === 'string' ? b.description : '' });
    return { status: 201, body: s.labelJson(name) };
  }],
  // "Must have push access to view collaborator permission." — what GitHub answers a token whose user cannot
  // push (yegor256/rultor#1407 quotes the 403 and its documentation_url).
  ['GET', /^\/repos\/[^/]+\/[^/]+\/collaborators\/([^/]+)\/permission$/, (_r, m, s) => (['admin', 'maintain', 'write'].includes(s.permissionOf(s.tokenUser))
    ? { status: 200, body: s.permissionJson(decodeURIComponent(m[1]!)) }
    : { status: 403, body: { message: 'Must have push access to view collaborator permission.', documentation_url: 'https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user' } })],
  // Update a label (REST description, issues/update-label): new_name, color, description; 404 when absent.
  ['PATCH', /^\/repos\/[^/]+\/[^/]+\/labels\/(.+)$/, (r, m, s) => {
    const name = decodeURIComponent(m[1]!);
    const label = s.labels.find((l) => l.name.toLowerCase() === name.toLowerCase());
    if (!label) return notFound();
    const b = obj(r.body);
    if (typeof b.color === 'string') {
      if (!/^[0-9a-fA-F]{6}$/.test(b.color)) return invalid([{ resource: 'Label', field: 'color', code: 'invalid' }]);
      label.color = b.color;
    }
    if (typeof b.description === 'string') label.description = b.description;
    if (typeof b.new_name === 'string' && b.new_name !== '') label.name = b.new_name;
    return { status: 200, body: s.labelJson(label.name) };
  }],
  // A branch with its protection summary (REST description, repos/get-branch: branch-with-protection; the
  // required_status_checks part is readable with Contents: read, google/go-github#3095).
  ['GET', /^\/repos\/[^/]+\/[^/]+\/branches\/(.+)$/, async (_r, m, s, o) => {
    const name = decodeURIComponent(m[1]!);
    const contexts = name === s.defaultBranch ? s.required.protection : null;
    // The branch's tip in the bare origin (404 "Branch not found" for a branch that is not there).
    const tip = o.gitDir !== null ? (await git(o.gitDir, ['rev-parse', '--verify', '--quiet', `refs/heads/${name}^{commit}`])).out : '0'.repeat(40);
    if (tip === '') return { status: 404, body: { message: 'Branch not found', documentation_url: 'https://docs.github.com/rest/branches/branches#get-a-branch' } };
    return {
      status: 200,
      body: {
        name, commit: { sha: tip, url: `${s.apiBase}/repos/${s.fullName}/commits/${name}` }, protected: contexts !== null,
        protection: contexts !== null
          ? { enabled: true, required_status_checks: { enforcement_level: 'non_admins', contexts, checks: contexts.map((c) => ({ context: c, app_id: null })) } }
          : { enabled: false, required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] } },
        protection_url: `${s.apiBase}/repos/${s.fullName}/branches/${name}/protection`,
      },
    };
  }],
  // Active rules of a branch (REST description, repos/get-branch-rules): a required_status_checks rule lists
  // parameters.required_status_checks[{context, integration_id?}].
  ['GET', /^\/repos\/[^/]+\/[^/]+\/rules\/branches\/(.+)$/, (r, m, s) => {
    const name = decodeURIComponent(m[1]!);
    const rules = name === s.defaultBranch && s.required.rulesets.length > 0
      ? [{ type: 'required_status_checks', parameters: { strict_required_status_checks_policy: false, required_status_checks: s.required.rulesets.map((context) => ({ context })) }, ruleset_source_type: 'Repository', ruleset_source: s.fullName, ruleset_id: 42 }]
      : [];
    return paged(r, s, rules);
  }],
  ['GET', /^\/repos\/[^/]+\/[^/]+\/pulls$/, async (r, _m, s, o) => {
    const state = r.query.get('state') ?? 'open';
    const headQ = r.query.get('head');
    let pulls = [...s.pulls.values()].filter((p) => state === 'all' || p.state === state);
    // `head` must be "user:ref-name" or "organization:ref-name" (REST description, pulls/list). Without the
    // owner GitHub silently ignores the filter and lists every PR (github/docs#16647, hub4j/github-api#538,
    // crowdin/github-action#164).
    if (headQ !== null && headQ.includes(':')) {
      const [owner, branch] = [headQ.slice(0, headQ.indexOf(':')), headQ.slice(headQ.indexOf(':') + 1)];
      pulls = owner.toLowerCase() === s.owner.toLowerCase() ? pulls.filter((p) => p.head === branch) : [];
    }
    const base = r.query.get('base');
    if (base !== null) pulls = pulls.filter((p) => p.base === base);
    pulls.sort((a, b) => b.number - a.number);
    const out = [];
    for (const p of pulls) out.push(await pullJson(s, o, p));
    return paged(r, s, out);
  }],
  ['POST', /^\/repos\/[^/]+\/[^/]+\/pulls$/, (r, _m, s, o) => createPull(r, s, o)],
  // One PR: `head.sha` is the head branch's tip (the bare origin's, when the fake has one).
  ['GET', /^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)$/, async (_r, m, s, o) => {
    const p = s.pulls.get(Number(m[1]));
    return p ? { status: 200, body: await pullJson(s, o, p) } : notFound();
  }],
];

/** Answer a request for repository `s` (the caller picked it by /repos/{owner}/{repo} or /repositories/{id}). */
export async function route(req: RouteRequest, s: FakeGitHubState, o: RouteOptions): Promise<RouteResponse> {
  // A transferred issue: "The API returns a 301 Moved Permanently status if the issue was transferred to
  // another repository" (REST description, issues/get), Location naming the new place by repository id (the
  // form GitHub uses for moved repositories: "Location: https://api.github.com/repositories/12247303",
  // gidgethub/gidgethub#214). That every path under the issue (labels, comments) and every method answers
  // the same way is not documented: assumed, so that a client that followed would be caught.
  const moved = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)(\/.*)?$/.exec(req.pathname);
  const to = moved ? s.transferred.get(Number(moved[1])) : undefined;
  if (moved && to) {
    const location = `${s.apiBase}/repositories/${to.repoId}/issues/${to.number}${moved[2] ?? ''}`;
    return { status: 301, body: { message: 'Moved Permanently', url: location, documentation_url: 'https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects' }, headers: { location } };
  }
  const merge = await o.merges.route(req.method, req.pathname, req.body);
  if (merge) return merge;
  const follow = await o.checks.route({ method: req.method, pathname: req.pathname, query: req.query, gitDir: o.gitDir }, (all) => paged(req, s, all));
  if (follow) return follow;
  const actions = o.actions.route(req.method, req.pathname, req.query, (all) => paged(req, s, all));
  if (actions) return actions;
  for (const [method, re, handler] of routes) {
    if (method !== req.method) continue;
    const m = re.exec(req.pathname);
    if (m) return handler(req, [...m], s, o);
  }
  return notFound();
}
