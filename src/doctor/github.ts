// `swarm doctor` for GitHub: the credentials (token, token command or GitHub App), the repository, the
// labels swarm uses (`--fix` creates them), and what the token may actually do — probed, because a
// fine-grained token's grants are not visible anywhere else: an idempotent write (a swarm label saved again
// with its own colour), a commit-status read and a check-runs read (fine-grained tokens have no Checks
// permission: then the Actions runs read that replaces it). A refusal names the permission GitHub asks for
// (X-Accepted-GitHub-Permissions). Never throws: every problem is a line.
import type { CheckLine, DoctorContext } from './types.js';
import { originUrl, parseGitHubRemote } from '../workspace/git.js';
import { mapGitHubError, statusOf } from '../tracker/github/errors.js';

const pass = (name: string, detail: string, fix?: string): CheckLine => ({ ok: true, name, detail, fix });
const fail = (name: string, detail: string, fix?: string): CheckLine => ({ ok: false, name, detail, fix });
const warn = (name: string, detail: string, fix?: string): CheckLine => ({ ok: true, warn: true, name, detail, fix });
const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

type Json = Record<string, unknown>;

/** The labels swarm puts on or reads from issues: the trigger labels and its own marks. */
export function swarmLabels(cfg: DoctorContext['wf']['config']): string[] {
  const t = cfg.tracker;
  return [...new Set([...t.labels, t.running_label, t.review_label, t.failed_label, cfg.pr.needs_human_label])];
}

export async function checkGitHub(ctx: DoctorContext): Promise<CheckLine[]> {
  const cfg = ctx.wf.config;
  const origin = await originUrl(ctx.repoDir).catch(() => null);
  const parsed = origin ? parseGitHubRemote(origin) : null;
  const repo = cfg.tracker.repo ? { owner: cfg.tracker.repo.split('/')[0]!, name: cfg.tracker.repo.split('/')[1]! } : parsed;
  if (!repo) return [fail('repository access', 'tracker.repo is not set and origin is not a GitHub URL', 'set tracker.repo: owner/name in WORKFLOW.md')];
  const slug = `${repo.owner}/${repo.name}`;
  const { githubAuth } = await import('../services.js');
  const { githubApiUrl } = await import('../tracker/github/api-url.js');
  const apiUrl = cfg.tracker.api_url ?? githubApiUrl(parsed?.host);
  let auth;
  try {
    auth = (await githubAuth(cfg, apiUrl, () => repo, ctx, [])).auth;
    await auth.token(); // an App mints its installation token here; a command runs
  } catch (err) {
    return [fail('tracker token', message(err), 'export GITHUB_TOKEN=… (a token with Issues and Pull requests read/write), run `gh auth login`, or configure tracker.app_id + tracker.private_key (see the README)')];
  }
  const out: CheckLine[] = [];
  const { createGitHubTracker } = await import('../tracker/github/tracker.js');
  const { createOctokit } = await import('../tracker/github/client.js');
  const gh = createOctokit({ auth, apiUrl, throttle: false, retries: 1, timeoutMs: ctx.timeoutMs ?? 30_000 });
  const { GitHubCodeHost } = await import('../tracker/github/code-host.js');
  const host = new GitHubCodeHost({ api_url: apiUrl, repo, auth, octokit: gh });
  const tracker = createGitHubTracker({ config: cfg, token: '', auth, repo, octokit: gh, host });
  const who = auth.login ? await auth.login().catch(() => null) : null;
  out.push(pass('tracker token', `${auth.describe}${who ? ` acting as ${who}` : ''}`));
  let access;
  try {
    access = await tracker.checkAccess();
  } catch (err) {
    return [...out, fail('repository access', message(err), `check the token, its expiry and that it may access ${slug}`)];
  }
  if (access.canPush === false) out.push(fail('repository access', `${slug} is readable as ${access.login ?? 'this token'} but the account cannot push to it`, 'swarm needs write access (labels, comments, pull requests): give the account write access to the repository'));
  else out.push(pass('repository access', `${slug} as ${access.login ?? 'an app token'} (default branch ${access.defaultBranch}${access.private ? ', private' : ''})`));
  for (const n of tracker.notes()) out.push(warn('repository', n));

  const params = { owner: repo.owner, repo: repo.name };
  const mapped = (err: unknown, what: string) => mapGitHubError(err, { repo: slug, token: '', now: () => new Date(), what }).message;
  let labels: Json[] = [];
  try {
    labels = (await gh.paginate('GET /repos/{owner}/{repo}/labels', { ...params, per_page: 100 })) as Json[];
    const wanted = swarmLabels(cfg);
    const have = new Set(labels.map((l) => String(l.name).toLowerCase()));
    const missing = wanted.filter((l) => !have.has(l.toLowerCase()));
    if (missing.length === 0) out.push(pass('labels', `${wanted.join(', ')} exist`));
    else if (ctx.fix) {
      const created = await tracker.ensureLabels(missing);
      out.push(pass('labels', `created ${created.join(', ') || 'nothing (they appeared meanwhile)'}`));
      labels = (await gh.paginate('GET /repos/{owner}/{repo}/labels', { ...params, per_page: 100 })) as Json[];
    } else out.push(fail('labels', `missing on ${slug}: ${missing.join(', ')}`, 'run `swarm doctor --fix` to create them'));
  } catch (err) {
    out.push(fail('labels', `cannot list or create labels: ${mapped(err, 'managing labels')}`));
  }

  // A write that changes nothing: one of swarm's labels saved again with its own colour.
  const probe = labels.find((l) => swarmLabels(cfg).some((n) => n.toLowerCase() === String(l.name).toLowerCase()));
  if (!probe) out.push(fail('write access', 'not probed: none of swarm\'s labels exists yet', 'run `swarm doctor --fix` to create them'));
  else {
    try {
      await gh.request('PATCH /repos/{owner}/{repo}/labels/{name}', { ...params, name: String(probe.name), color: String(probe.color ?? 'ededed') });
      out.push(pass('write access', `the token may write issues (label ${String(probe.name)} saved again, unchanged)`));
    } catch (err) {
      out.push(fail('write access', mapped(err, `saving label ${String(probe.name)} again (a write that changes nothing)`), 'swarm writes labels, comments and pull requests: give the token Issues and Pull requests read/write'));
    }
  }
  out.push(...(await probeReads(gh, params, access.defaultBranch, mapped)));
  return out;
}

/** The reads PR follow-through needs, on the default branch's head. */
async function probeReads(gh: import('../tracker/github/client.js').GitHubClient, params: { owner: string; repo: string }, branch: string, mapped: (err: unknown, what: string) => string): Promise<CheckLine[]> {
  const out: CheckLine[] = [];
  try {
    await gh.request('GET /repos/{owner}/{repo}/commits/{ref}/status', { ...params, ref: branch, per_page: 1 });
    out.push(pass('commit statuses', 'readable (PR follow-through sees CI that reports statuses)'));
  } catch (err) {
    if (statusOf(err) === 422 || statusOf(err) === 404) out.push(pass('commit statuses', `not probed: ${branch} has no commit yet`));
    else out.push(fail('commit statuses', mapped(err, 'reading commit statuses'), 'grant the token Commit statuses: read, or PR follow-through misses CI that reports statuses'));
  }
  try {
    await gh.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { ...params, ref: branch, per_page: 1 });
    out.push(pass('check runs', 'readable (PR follow-through sees every CI app)'));
    return out;
  } catch (err) {
    if (statusOf(err) === 422 || statusOf(err) === 404) {
      out.push(pass('check runs', `not probed: ${branch} has no commit yet`));
      return out;
    }
    if (statusOf(err) !== 403) {
      out.push(fail('check runs', mapped(err, 'reading check runs')));
      return out;
    }
    out.push(warn('check runs', `check runs unreadable with this token (fine-grained tokens lack Checks): ${mapped(err, 'reading check runs')}`, 'PR follow-through reads commit statuses and GitHub Actions runs instead; checks of other apps are not seen. A classic token (repo scope) or a GitHub App with Checks: read sees them'));
  }
  try {
    await gh.request('GET /repos/{owner}/{repo}/actions/runs', { ...params, per_page: 1 });
    out.push(pass('actions runs', 'readable: failing GitHub Actions workflows are followed up through the Actions API'));
  } catch (err) {
    out.push(fail('actions runs', mapped(err, 'reading GitHub Actions runs'), 'grant the token Actions: read, or a failing workflow never starts a follow-up'));
  }
  return out;
}
