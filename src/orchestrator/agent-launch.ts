// Starting one agent process the contained way: the environment (an allow-list inside the sandbox; swarm's
// secrets scrubbed when unconfined), the sandbox transform around the spawn, the refs of the branch's
// folder noted before and put back after (ref-guard.ts), and the WORKFLOW.md guard told when an
// unconfined agent runs. The runner still does the spawning, gate and supervision.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config/types.js';
import type { RunRequest, RunResult } from '../agent/types.js';
import type { Runtime } from './runtime.js';
import { agentEnv } from '../config/env.js';
import { sandboxedAgentEnv } from '../config/agent-env.js';
import { rootBypassCheck } from '../agent/args.js';
import { refFolder, restoreForeignRefs, snapshotRefs } from '../workspace/ref-guard.js';
import type { AttemptScope } from '../agent/sandbox.js';

export interface LaunchContext {
  /** Ticket identifier, for log lines. */
  id: string;
  key: string;
  branch: string;
  worktree: string;
  workspaceRoot: string;
  /** The agent's git hooks folder (swarm's pre-push guard, push-guard.ts): readable inside the sandbox. */
  hooksDir?: string | null;
  workflowPath: string;
  /** Secret values swarm read for itself (scrubbed from an unconfined agent's environment). */
  secrets: string[];
  /** Whether another ticket's attempt for `branch` was prepared or ran at any time since `since` (ms). */
  busy: (branch: string, since: number) => boolean;
}

/** The agent's environment for this config, or why the agent may not start (root + bypass unconfined). */
export function launchEnv(rt: Runtime, cfg: Config, swarmVars: Record<string, string>, secrets: string[]): Record<string, string> | string {
  const sandboxed = cfg.agent.sandbox.enabled;
  const bypass = rootBypassCheck(cfg.agent.permission_mode, rt.isRoot, cfg.agent.env, sandboxed);
  if (typeof bypass === 'string') return bypass;
  return sandboxed ? sandboxedAgentEnv(rt.env, cfg.agent.env, swarmVars, bypass) : { ...agentEnv(rt.env, secrets, cfg.agent.env, swarmVars), ...bypass };
}

/**
 * The worktree's admin folder in the common `.git`, read from its `.git` file and checked: it must be
 * `<common>/worktrees/<name>` and point back at this worktree (the agent can rewrite its `.git` file, and
 * whatever it names becomes writable in the sandbox).
 */
export function worktreeGitDir(worktree: string, commonDir: string): string | null {
  try {
    const m = /^gitdir:\s*(.+)\s*$/m.exec(readFileSync(join(worktree, '.git'), 'utf8'));
    if (!m) return null;
    const dir = resolve(worktree, m[1]!.trim());
    if (dirname(dir) !== join(commonDir, 'worktrees')) return null;
    const back = readFileSync(join(dir, 'gitdir'), 'utf8').trim();
    return resolve(dir, back) === join(worktree, '.git') ? dir : null;
  } catch {
    return null;
  }
}

export type LaunchResult = { run: RunResult } | { setupError: string };

/** Run the agent (`req` carries command, args, env and cwd as for an unconfined run). */
export async function launchAgent(rt: Runtime, cfg: Config, ctx: LaunchContext, req: RunRequest): Promise<LaunchResult> {
  const sandboxed = cfg.agent.sandbox.enabled;
  const c = rt.containment;
  let spec = { command: req.command, args: req.args, env: req.env, cwd: req.cwd };
  let release = () => {};
  if (sandboxed) {
    if (!c?.sandbox) return { setupError: 'agent.sandbox is on but no sandbox is running in this process; restart swarm' };
    const gitDir = worktreeGitDir(ctx.worktree, c.commonDir);
    if (!gitDir || !existsSync(gitDir)) return { setupError: `the worktree's .git file no longer names its own folder under ${join(c.commonDir, 'worktrees')}; remove the worktree (swarm gc --force, or git worktree remove) so it is created afresh` };
    const scope: AttemptScope = {
      repoDir: rt.repoDir, commonDir: c.commonDir, swarmDir: rt.paths.dir, workspaceRoot: ctx.workspaceRoot, hooksDir: ctx.hooksDir ?? null, workflowPath: ctx.workflowPath,
      worktree: ctx.worktree, worktreeGitDir: gitDir, branch: ctx.branch, privateDir: join(rt.paths.dir, 'agents', safeName(ctx.key)),
      extra: cfg.agent.sandbox.filesystem,
    };
    try {
      const s = await c.sandbox.sandboxed(spec, scope);
      spec = s;
      release = s.release;
    } catch (err) {
      return { setupError: `could not set the agent's sandbox up: ${(err as Error).message.split('\n')[0]}` };
    }
  }
  const folder = refFolder(ctx.branch);
  const since = Date.now();
  const before = await snapshotRefs(rt.repoDir, folder);
  let started = false;
  let run: RunResult;
  try {
    run = await rt.runAgent({
      ...req, ...spec,
      onSpawn: (pid, start) => {
        started = true;
        c?.workflow.agentStarted(!sandboxed);
        req.onSpawn?.(pid, start);
      },
    });
  } finally {
    release();
    if (started) c?.workflow.agentEnded(!sandboxed);
  }
  if (started) {
    for (const r of await restoreForeignRefs(rt.repoDir, folder, before, ctx.branch, (b) => ctx.busy(b, since))) {
      const what = r.was === null ? 'created' : r.found === null ? 'deleted' : `moved from ${r.was.slice(0, 7)} to ${r.found.slice(0, 7)}`;
      rt.log.warn(`the agent ${what} ${r.ref}, which is not its branch; ${r.restored ? 'put it back' : 'could not put it back'}${r.found ? ` (its commit: ${r.found})` : ''}`, ctx.id);
    }
  }
  return { run };
}

const safeName = (key: string) => key.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 80) || 'ticket';
