// `swarm doctor` checks, one function per concern. Each yields lines of {ok, name, detail, fix}; a check
// never throws (an unexpected error becomes a failed line naming it), so one problem never hides the rest.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CheckLine, DoctorContext } from './types.js';
import { resolveGithubToken, resolveLinearKey } from '../config/credentials.js';
import { rootBypassCheck } from '../agent/args.js';
import { originUrl, remoteHeadBranch } from '../workspace/git.js';
import { findExecutable } from '../util/executable.js';
import { versionNote } from './claude.js';
import { safeGit } from '../workspace/git-safety.js';

const pass = (name: string, detail: string, fix?: string): CheckLine => ({ ok: true, name, detail, fix });
const fail = (name: string, detail: string, fix?: string): CheckLine => ({ ok: false, name, detail, fix });
const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/** Drop user:password@ from a remote URL before printing it. */
export function safeRemote(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

export async function checkRemote(ctx: DoctorContext): Promise<CheckLine[]> {
  const origin = await originUrl(ctx.repoDir).catch(() => null);
  if (!origin) {
    // Local tickets need no code host: a finished branch is the hand-off, kept in this repository.
    if (ctx.wf.config.tracker.kind === 'local') return [pass('origin remote', 'none: with the local tracker handed-off branches stay in this repository', 'git remote add origin <url> to have swarm push them')];
    return [fail('origin remote', 'no remote named origin', 'git remote add origin <url of your GitHub repository>')];
  }
  const out = [pass('origin remote', safeRemote(origin))];
  const base = ctx.wf.config.workspace.base_branch ?? (await remoteHeadBranch(ctx.repoDir).catch(() => null)) ?? 'main';
  const git = await safeGit(ctx.repoDir, ['ls-remote', '--heads', 'origin', base], ctx.env);
  const res = spawnSync('git', git.args, { cwd: ctx.repoDir, encoding: 'utf8', timeout: ctx.timeoutMs ?? 30_000, env: git.env });
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
  const bypass = rootBypassCheck(a.permission_mode, ctx.isRoot, a.env, a.sandbox.enabled);
  if (typeof bypass === 'string') out.push(fail('root and bypass mode', bypass));
  else if (bypass.IS_SANDBOX) out.push(pass('root and bypass mode', `running as root with permission_mode ${a.permission_mode}: inside swarm's sandbox the agent gets IS_SANDBOX=1 (Claude Code refuses otherwise)`, 'running swarm as a non-root user is still safer'));
  else if (ctx.isRoot && a.env.IS_SANDBOX === '1' && !a.sandbox.enabled) out.push(fail('root and bypass mode', `running as root, unconfined (agent.sandbox: off), and agent.env declares this machine a sandbox (IS_SANDBOX=1): nothing swarm can check contains the agent`, 'turn agent.sandbox on, or run swarm as a non-root user'));
  return out;
}

export async function checkTracker(ctx: DoctorContext): Promise<CheckLine[]> {
  const cfg = ctx.wf.config;
  try {
    switch (cfg.tracker.kind) {
      case 'github':
        return await (await import('./github.js')).checkGitHub(ctx);
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
    if (t.kind !== 'linear') throw new Error('not a Linear configuration');
    const states = [...t.states, t.running_state, t.review_state, ...(t.failed_state ? [t.failed_state] : [])];
    out.push(pass('team, states and labels', `team ${t.team}: states ${[...new Set(states)].join(', ')} and labels ${t.labels.join(', ')} found`));
    // The poll itself, once: Linear refuses a document above 10,000 complexity points, whatever it would list.
    try {
      const probe = await tracker.probeCandidates();
      const cost = probe.complexity === null ? '' : ` at ${probe.complexity.toLocaleString('en-US')} complexity points (Linear refuses more than 10,000)`;
      out.push(pass('candidates query', `accepted${cost}; ${probe.listed} issue(s) on its first page`));
      out.push(await pollingCost(ctx, tracker));
    } catch (err) {
      const tooComplex = (err as { kind?: string }).kind === 'too_complex';
      out.push(fail('candidates query', message(err), tooComplex ? 'lower tracker.page_size in WORKFLOW.md (the default 50 stays well under the limit)' : undefined));
    }
  } catch (err) {
    out.push(fail('team, states and labels', message(err), 'create the missing state/label in Linear (Settings → Teams → Workflow / Labels) or change WORKFLOW.md'));
  }
  // Pull requests live on GitHub (docs/linear.md): say which hand-off this configuration gets.
  const { linearCodeHostApi } = await import('../tracker/github/api-url.js');
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

/** What this configuration's polling costs Linear an hour, measured: a warning above half the key's budget. */
async function pollingCost(ctx: DoctorContext, tracker: import('../tracker/linear/tracker.js').LinearTracker): Promise<CheckLine> {
  try {
    const m = await tracker.measurePolling();
    const { pollingCostPerHour } = await import('../tracker/linear/cost.js');
    const cfg = ctx.wf.config;
    const est = pollingCostPerHour(cfg.polling.interval, cfg.tracker.kind === 'linear' ? cfg.tracker.full_sweep : 0, m.sweep, m.changes, m.budgets);
    if (!est.overHalf) return pass('polling cost', est.detail);
    return { ok: true, warn: true, name: 'polling cost', detail: `${est.detail}: more than half of it`, fix: 'raise polling.interval or tracker.full_sweep, or lower tracker.page_size, in WORKFLOW.md (claims, comments and other uses of the key share the budget)' };
  } catch (err) {
    return fail('polling cost', `could not measure the poll: ${message(err)}`);
  }
}

/**
 * Spend limits: without agent.max_cost_usd or budget.daily_usd nothing bounds what retries, reopened tickets
 * and follow-ups may cost. A warning, not a failure: the operator may mean it.
 */
export function checkBudget(ctx: DoctorContext): CheckLine {
  const { agent, budget } = ctx.wf.config;
  if (agent.max_cost_usd === null && budget.daily_usd === null) {
    return { ok: true, warn: true, name: 'spend limit', detail: 'neither agent.max_cost_usd nor budget.daily_usd is set: nothing bounds what agents may spend', fix: 'set agent.max_cost_usd (per ticket, across attempts) and/or budget.daily_usd in WORKFLOW.md' };
  }
  const parts = [agent.max_cost_usd !== null ? `$${agent.max_cost_usd} per ticket` : null, budget.daily_usd !== null ? `$${budget.daily_usd} a day` : null].filter(Boolean);
  return pass('spend limit', parts.join(', '));
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
