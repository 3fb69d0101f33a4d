// Everything that keeps the agent in its box, for one daemon: the OS sandbox (when agent.sandbox is on),
// the ancestor-memory guard and the WORKFLOW.md guard. Built at start-up — a sandbox that cannot run is a
// start-up error naming the fix — and kept in step with WORKFLOW.md reloads.
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import type { Config, Workflow } from '../config/types.js';
import { rootBypassCheck } from '../agent/args.js';
import { ConfigError } from '../errors.js';
import { AgentSandbox, allowedHosts, SANDBOX_FIX } from '../agent/sandbox.js';
import { extraPathProblem } from '../agent/sandbox-policy.js';
import { gitAt } from '../workspace/git.js';
import { MemoryGuard } from './memory-guard.js';
import { WorkflowGuard } from './workflow-guard.js';
import { expandHome } from '../workspace/root.js';

export interface ContainmentOptions {
  repoDir: string;
  swarmDir: string;
  workflowPath: string;
  env: Record<string, string | undefined>;
  config: Config;
}

export class Containment {
  private constructor(
    private readonly o: ContainmentOptions & { commonDir: string },
    /** null: the agent runs unconfined (agent.sandbox: off). */
    public sandbox: AgentSandbox | null,
    readonly memory: MemoryGuard,
    readonly workflow: WorkflowGuard,
  ) {}

  /** Start-up: throws ConfigError (exit 2) when the sandbox is on but cannot run here, naming the fix. */
  static async open(o: ContainmentOptions): Promise<Containment> {
    const commonDir = resolve(o.repoDir, (await gitAt(o.repoDir).raw(['rev-parse', '--git-common-dir'])).trim());
    const problem = extraPathProblem({ repoDir: o.repoDir, commonDir, swarmDir: o.swarmDir, workflowPath: o.workflowPath }, o.config.agent.sandbox.filesystem);
    if (problem) throw new ConfigError(`${o.workflowPath}: ${problem}`);
    const sandbox = o.config.agent.sandbox.enabled ? await startSandbox(o.workflowPath, hostsFor(o.config, o.env)) : null;
    const memory = new MemoryGuard(memoryOptions(o.repoDir, o.swarmDir, o.config, o.env));
    const workflow = new WorkflowGuard(o.workflowPath, o.repoDir);
    const c = new Containment({ ...o, commonDir }, sandbox, memory, workflow);
    c.accept();
    return c;
  }

  get commonDir(): string {
    return this.o.commonDir;
  }

  /** The operator vouches for what is there now (start-up, `swarm resume`). */
  accept(): void {
    this.memory.accept();
    this.workflow.accept();
  }

  /**
   * A reloaded WORKFLOW.md: start the sandbox if it was just turned on, pass new network hosts on. Returns
   * why the new configuration cannot be used (the last good one then stays), or null.
   */
  async adopt(config: Config, workflowPath: string): Promise<string | null> {
    const problem = extraPathProblem({ repoDir: this.o.repoDir, commonDir: this.o.commonDir, swarmDir: this.o.swarmDir, workflowPath }, config.agent.sandbox.filesystem);
    if (problem) return problem;
    this.memory.setOptions(memoryOptions(this.o.repoDir, this.o.swarmDir, config, this.o.env));
    if (!config.agent.sandbox.enabled) return null;
    const hosts = hostsFor(config, this.o.env);
    if (this.sandbox) {
      this.sandbox.setHosts(hosts);
      return null;
    }
    try {
      this.sandbox = await startSandbox(workflowPath, hosts);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  async close(): Promise<void> {
    await this.sandbox?.close().catch(() => undefined);
    this.sandbox = null;
  }
}

/** A reloaded configuration the agent's containment cannot take (its sandbox cannot start, root unconfined). */
export async function reloadProblem(c: Containment | undefined, isRoot: boolean, wf: Workflow): Promise<string | null> {
  const a = wf.config.agent;
  const root = rootBypassCheck(a.permission_mode, isRoot, a.env, a.sandbox.enabled);
  if (typeof root === 'string') return `${wf.path}: ${root}`;
  return (await c?.adopt(wf.config, wf.path)) ?? null;
}

async function startSandbox(workflowPath: string, hosts: string[]): Promise<AgentSandbox> {
  try {
    return await AgentSandbox.start(hosts);
  } catch (err) {
    throw new ConfigError(`${workflowPath}: agent.sandbox is on but the sandbox cannot run here (${(err as Error).message}): ${SANDBOX_FIX}`);
  }
}

/** The model API (ANTHROPIC_BASE_URL as the agent will see it) and agent.sandbox.network.allow. */
export function hostsFor(config: Config, env: Record<string, string | undefined>): string[] {
  return allowedHosts(config.agent.sandbox, config.agent.env.ANTHROPIC_BASE_URL ?? env.ANTHROPIC_BASE_URL);
}

function memoryOptions(repoDir: string, swarmDir: string, config: Config, env: Record<string, string | undefined>) {
  const home = env.HOME ?? homedir();
  // ~/worktrees is the home folder's, as services.ts reads it (a bad root is refused there, by name).
  let root = config.workspace.root;
  try {
    root = expandHome(root, home);
  } catch {
    /* refused when the services are built */
  }
  return { repoDir, swarmDir, workspaceRoot: resolve(repoDir, root), home };
}

