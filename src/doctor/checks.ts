// `swarm doctor` checks, one function per concern. Each yields lines of {ok, name, detail, fix}; a check
// never throws (an unexpected error becomes a failed line naming it), so one problem never hides the rest.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Workflow } from '../config/types.js';
import { resolveGithubToken, resolveLinearKey } from '../config/credentials.js';
import { rootBypassCheck } from '../agent/args.js';
import { originUrl, parseGitHubRemote, remoteHeadBranch } from '../workspace/git.js';
import { findExecutable } from '../commands/common.js';
import { versionNote } from './claude.js';

export interface CheckLine {
  ok: boolean;
  name: string;
  detail: string;
  /** What to do about a failure (or a note on a pass). */
  fix?: string;
}

export interface DoctorContext {
  repoDir: string;
  wf: Workflow;
  env: Record<string, string | undefined>;
  fix: boolean;
  isRoot: boolean;
  /** Below this many free bytes under workspace.root the disk check fails (default 1 GiB). */
  minFreeBytes?: number;
  timeoutMs?: number;
}

const pass = (name: string, detail: string, fix?: string): CheckLine => ({ ok: true, name, detail, fix });
const fail = (name: string, detail: string, fix?: string): CheckLine => ({ ok: false, name, detail, fix });
const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/** Drop user:password@ from a remote URL before printing it. */
export function safeRemote(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

export async function checkRemote(ctx: DoctorContext): Promise<CheckLine[]> {
  const origin = await originUrl(ctx.repoDir).catch(() => null);
  if (!origin) return [fail('origin remote', 'no remote named origin', 'git remote add origin <url of your GitHub repository>')];
  const out = [pass('origin remote', safeRemote(origin))];
  const base = ctx.wf.config.workspace.base_branch ?? (await remoteHeadBranch(ctx.repoDir).catch(() => null)) ?? 'main';
  const res = spawnSync('git', ['ls-remote', '--heads', 'origin', base], { cwd: ctx.repoDir, encoding: 'utf8', timeout: ctx.timeoutMs ?? 30_000, env: { ...ctx.env, GIT_TERMINAL_PROMPT: '0' } as NodeJS.ProcessEnv });
  if (res.status !== 0) out.push(fail('base branch', `cannot list branches on origin: ${(res.stderr || res.error?.message || 'git ls-remote failed').trim().split('\n')[0]}`, 'check your git credentials and network access to origin'));
  else if (!res.stdout.includes(`refs/heads/${base}`)) out.push(fail('base branch', `origin has no branch ${base}`, `push it (git push origin ${base}) or set workspace.base_branch in WORKFLOW.md`));
  else out.push(pass('base branch', `origin/${base} exists`));
  return out;
}

export function checkAgent(ctx: DoctorContext): CheckLine[] {
  const a = ctx.wf.config.agent;
  const out: CheckLine[] = [];
  const path = findExecutable(a.command, ctx.env, ctx.repoDir);
  if (!path) {
    out.push(fail('agent command', `agent.command "${a.command}" was not found${a.command.includes('/') ? '' : ' on PATH'}`, 'install Claude Code (npm install -g @anthropic-ai/claude-code) or set agent.command to its path'));
  } else {
    const res = spawnSync(path, ['--version'], { cwd: ctx.repoDir, encoding: 'utf8', timeout: ctx.timeoutMs ?? 30_000, env: ctx.env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const version = (res.stdout ?? '').trim().split('\n')[0];
    if (res.status === 0 && version) out.push(pass('agent command', `${version} at ${path}`, versionNote(version)));
    else out.push(fail('agent command', `\`${a.command} --version\` failed: ${((res.stderr ?? '').trim().split('\n')[0] || res.error?.message || `exit ${res.status}`)}`, 'reinstall Claude Code or point agent.command at a working binary'));
  }
  const bypass = rootBypassCheck(a.permission_mode, ctx.isRoot, a.env);
  if (typeof bypass === 'string') out.push(fail('root and bypass mode', bypass));
  else if (bypass.IS_SANDBOX) out.push(pass('root and bypass mode', `running as root with permission_mode ${a.permission_mode}: swarm sets IS_SANDBOX=1 for the agent (Claude Code refuses otherwise)`, 'run swarm as a non-root user in a sandbox you trust'));
  else if (ctx.isRoot && a.env.IS_SANDBOX === '1') out.push(pass('root and bypass mode', 'running as root; agent.env sets IS_SANDBOX=1'));
  return out;
}

export async function checkTracker(ctx: DoctorContext): Promise<CheckLine[]> {
  const cfg = ctx.wf.config;
  try {
    switch (cfg.tracker.kind) {
      case 'github':
        return await checkGitHub(ctx);
      case 'linear':
        return await checkLinear(ctx);
      case 'local': {
        const dir = resolve(ctx.repoDir, cfg.tracker.path);
        if (!existsSync(dir)) return [fail('tickets folder', `${cfg.tracker.path} does not exist`, `mkdir -p ${cfg.tracker.path} and add one Markdown file per ticket`)];
        const n = readdirSync(dir).filter((f) => f.endsWith('.md')).length;
        return [pass('tickets folder', `${n} ticket file(s) in ${cfg.tracker.path}`)];
      }
    }
  } catch (err) {
    return [fail('tracker', message(err))];
  }
}

async function checkGitHub(ctx: DoctorContext): Promise<CheckLine[]> {
  const cfg = ctx.wf.config;
  let cred;
  try {
    cred = await resolveGithubToken(cfg, ctx.env, { timeoutMs: ctx.timeoutMs });
  } catch (err) {
    return [fail('tracker token', message(err), 'export GITHUB_TOKEN=… (a token with Issues and Pull requests write access) or run `gh auth login`')];
  }
  const out = [pass('tracker token', `GitHub token from ${cred.source}`)];
  let repo: { owner: string; name: string } | null = null;
  if (cfg.tracker.repo) {
    const [owner, name] = cfg.tracker.repo.split('/');
    repo = { owner: owner!, name: name! };
  } else {
    const origin = await originUrl(ctx.repoDir).catch(() => null);
    repo = origin ? parseGitHubRemote(origin) : null;
  }
  if (!repo) return [...out, fail('repository access', 'tracker.repo is not set and origin is not a GitHub URL', 'set tracker.repo: owner/name in WORKFLOW.md')];
  const slug = `${repo.owner}/${repo.name}`;
  const { createGitHubTracker } = await import('../tracker/github/tracker.js');
  const { createOctokit } = await import('../tracker/github/client.js');
  const apiUrl = cfg.tracker.api_url ?? 'https://api.github.com';
  const gh = createGitHubTracker({ config: cfg, token: cred.token, repo, octokit: createOctokit({ token: cred.token, apiUrl, throttle: false, retries: 1, timeoutMs: ctx.timeoutMs ?? 30_000 }) });
  try {
    const access = await gh.checkAccess();
    if (access.canPush === false) out.push(fail('repository access', `${slug} is readable as ${access.login ?? 'this token'} but the token cannot write to it`, 'swarm needs write access (labels, comments, pull requests): use a token with Issues and Pull requests read/write'));
    else out.push(pass('repository access', `${slug} as ${access.login ?? 'an app token'} (default branch ${access.defaultBranch})`));
  } catch (err) {
    return [...out, fail('repository access', message(err), 'check the token, its expiry and that it may access ' + slug)];
  }
  const tr = cfg.tracker;
  const wanted = [...new Set([...tr.labels, tr.running_label, tr.review_label, tr.failed_label])];
  const client = createOctokit({ token: cred.token, apiUrl, throttle: false, retries: 1, timeoutMs: ctx.timeoutMs ?? 30_000 });
  try {
    const labels = await client.paginate('GET /repos/{owner}/{repo}/labels', { owner: repo.owner, repo: repo.name, per_page: 100 });
    const have = new Set(labels.map((l) => String((l as { name?: unknown }).name).toLowerCase()));
    const missing = wanted.filter((l) => !have.has(l.toLowerCase()));
    if (missing.length === 0) out.push(pass('labels', `${wanted.join(', ')} exist`));
    else if (ctx.fix) {
      const created = await gh.ensureLabels(missing);
      out.push(pass('labels', `created ${created.join(', ') || 'nothing (they appeared meanwhile)'}`));
    } else out.push(fail('labels', `missing on ${slug}: ${missing.join(', ')}`, 'run `swarm doctor --fix` to create them'));
  } catch (err) {
    out.push(fail('labels', `cannot list labels: ${message(err)}`));
  }
  return out;
}

async function checkLinear(ctx: DoctorContext): Promise<CheckLine[]> {
  const cfg = ctx.wf.config;
  let cred;
  try {
    cred = resolveLinearKey(cfg, ctx.env);
  } catch (err) {
    return [fail('tracker token', message(err))];
  }
  const out = [pass('tracker token', `Linear API key from ${cred.source}`)];
  const { createLinearTracker } = await import('../tracker/linear/tracker.js');
  const tracker = createLinearTracker({ config: cfg, apiKey: cred.token, timeoutMs: ctx.timeoutMs });
  try {
    await tracker.resolve();
    const t = cfg.tracker;
    const states = [...t.states, t.running_state, t.review_state, ...(t.failed_state ? [t.failed_state] : [])];
    out.push(pass('team, states and labels', `team ${t.team}: states ${[...new Set(states)].join(', ')} and labels ${t.labels.join(', ')} found`));
    // The poll itself, once: Linear refuses a document above 10,000 complexity points, whatever it would list.
    try {
      const probe = await tracker.probeCandidates();
      const cost = probe.complexity === null ? '' : ` at ${probe.complexity.toLocaleString('en-US')} complexity points (Linear refuses more than 10,000)`;
      out.push(pass('candidates query', `accepted${cost}; ${probe.listed} issue(s) on its first page`));
    } catch (err) {
      const tooComplex = (err as { kind?: string }).kind === 'too_complex';
      out.push(fail('candidates query', message(err), tooComplex ? 'lower tracker.page_size in WORKFLOW.md (the default 50 stays well under the limit)' : undefined));
    }
  } catch (err) {
    out.push(fail('team, states and labels', message(err), 'create the missing state/label in Linear (Settings → Teams → Workflow / Labels) or change WORKFLOW.md'));
  }
  // Pull requests live on GitHub (docs/linear.md): say which hand-off this configuration gets.
  const { linearCodeHostApi } = await import('../services.js');
  const api = linearCodeHostApi(await originUrl(ctx.repoDir), ctx.env);
  try {
    const gh = await resolveGithubToken({ tracker: { token: cfg.tracker.token, api_url: api } }, ctx.env, { timeoutMs: ctx.timeoutMs });
    out.push(pass('pull requests', `found and opened on GitHub (${api}) with the token from ${gh.source}`));
  } catch (err) {
    if (cfg.pr.auto_open) out.push(fail('pull requests', message(err), 'export GITHUB_TOKEN=… (or `gh auth login`), or set pr.auto_open: false to hand off pushed branches without GitHub'));
    else out.push(pass('pull requests', 'no GitHub token: the hand-off is the pushed branch (pr.auto_open: false), with no PR detection'));
  }
  return out;
}

export function checkDisk(ctx: DoctorContext): CheckLine {
  const root = resolve(ctx.repoDir, ctx.wf.config.workspace.root);
  let dir = root;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    const s = statfsSync(dir);
    const free = s.bavail * s.bsize;
    const min = ctx.minFreeBytes ?? 1024 ** 3;
    const text = `${gib(free)} free under ${ctx.wf.config.workspace.root}`;
    return free >= min ? pass('disk space', text) : fail('disk space', `only ${text}`, `free space (each worktree is a checkout of the repository) or set workspace.root on a bigger disk`);
  } catch (err) {
    return fail('disk space', `cannot read free space under ${dir}: ${message(err)}`);
  }
}

function gib(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}
