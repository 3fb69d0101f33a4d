// The OS sandbox around the whole agent process (@anthropic-ai/sandbox-runtime: bubblewrap and a filtering
// proxy on Linux, Seatbelt on macOS). One per daemon: started once (its proxy runs in this process), then
// `sandboxed(spec, scope)` turns the spawn of one attempt into the spawn of that attempt inside the sandbox.
// The result is an ordinary spawn spec (`/bin/sh -c 'bwrap … -- … claude …'`), so whatever spawns the agent
// (the runner, a supervisor wrapped around it) spawns it unchanged; `release()` once the process is gone.
//
// Killing: bubblewrap runs the agent in its own PID namespace with --die-with-parent, so when the process
// group swarm signals (sh and bwrap) dies, the kernel kills everything inside, whatever session or group
// the agent's children put themselves in. A TERM therefore ends the agent at once (bwrap does not pass
// signals on); nothing inside survives it.
import { mkdirSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { SandboxConfig } from '../config/sandbox.js';
import type { SpawnSpec } from './types.js';
import { filesystemPolicy, foldersToCreate, innerCommand, modelApiHosts, noProxyFor, type SandboxPaths } from './sandbox-policy.js';

/** The spawn of one attempt inside the sandbox. */
export interface SandboxedSpawn extends SpawnSpec {
  /** Call once the process has exited (or was never started): frees the sandbox's per-run mounts and temp dir. */
  release(): void;
}

/** One attempt's paths and the operator's extra paths (everything the per-attempt policy depends on). */
export type AttemptScope = Omit<SandboxPaths, 'home' | 'claudeConfigDir'> & { extra: SandboxConfig['filesystem'] };

/** The transform other parts compose with (f23's supervisor wraps the spec this returns). */
export type SandboxTransform = (spec: SpawnSpec, scope: AttemptScope) => Promise<SandboxedSpawn>;

export const SANDBOX_FIX = 'install bubblewrap, socat and ripgrep (apt-get install bubblewrap socat ripgrep), or set `agent.sandbox: off` in WORKFLOW.md to run the agent unconfined, knowingly';

type Manager = typeof import('@anthropic-ai/sandbox-runtime').SandboxManager;

/** The network part of the sandbox's configuration: the model API plus agent.sandbox.network.allow. */
export function allowedHosts(config: SandboxConfig, baseUrl: string | undefined): string[] {
  return [...new Set([...modelApiHosts(baseUrl), ...config.network.allow])];
}

/** Why the sandbox cannot run on this machine (null: it can), without starting it. */
export async function sandboxProblem(): Promise<string | null> {
  if (process.platform !== 'linux' && process.platform !== 'darwin') return `the agent sandbox runs on Linux and macOS, not ${process.platform}`;
  const { SandboxManager } = await import('@anthropic-ai/sandbox-runtime');
  if (!SandboxManager.isSupportedPlatform()) return 'this platform is not supported by the sandbox runtime';
  const deps = await SandboxManager.checkDependenciesAsync();
  return deps.errors.length > 0 ? deps.errors.join('; ') : null;
}

export class AgentSandbox {
  private constructor(
    private readonly manager: Manager,
    private hosts: string[],
  ) {}

  /**
   * Start the sandbox's proxy and prove the sandbox works by running `true` in it. Throws an Error whose
   * message says what is missing; the caller turns it into a start-up error naming the fix.
   */
  static async start(hosts: string[]): Promise<AgentSandbox> {
    const problem = await sandboxProblem();
    if (problem) throw new Error(problem);
    const { SandboxManager } = await import('@anthropic-ai/sandbox-runtime');
    // The library resets itself (kills its proxy bridges) on the first SIGINT/SIGTERM; swarm's first signal
    // drains and running agents still need the model API, so swarm closes the sandbox itself at the end.
    const before = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
    try {
      await SandboxManager.initialize(runtimeConfig(hosts));
    } finally {
      for (const sig of ['SIGINT', 'SIGTERM'] as const) {
        for (const l of process.listeners(sig)) if (!before[sig].includes(l)) process.removeListener(sig, l);
      }
    }
    const sandbox = new AgentSandbox(SandboxManager, hosts);
    try {
      await sandbox.probe();
    } catch (err) {
      await sandbox.close();
      throw err;
    }
    return sandbox;
  }

  /** The hosts the agent may reach (the proxy applies a change to running agents too). */
  get allowed(): readonly string[] {
    return this.hosts;
  }

  setHosts(hosts: string[]): void {
    if (hosts.join('\n') === this.hosts.join('\n')) return;
    this.hosts = hosts;
    this.manager.updateConfig(runtimeConfig(hosts));
  }

  /** `spec` run inside the sandbox for one attempt, with the attempt's own temp dir and session folder. */
  readonly sandboxed = async (spec: SpawnSpec, scope: AttemptScope): Promise<SandboxedSpawn> => {
    const home = spec.env.HOME ?? '/';
    const { extra, ...where } = scope;
    const paths: SandboxPaths = { ...where, home, claudeConfigDir: spec.env.CLAUDE_CONFIG_DIR || `${home.replace(/\/+$/, '')}/.claude` };
    rmSync(scope.privateDir, { recursive: true, force: true });
    for (const dir of foldersToCreate(paths)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${scope.privateDir}/tmp`;
    const set = { NO_PROXY: noProxyFor(this.hosts), no_proxy: noProxyFor(this.hosts), TMPDIR: tmp, CLAUDE_CODE_TMPDIR: tmp };
    if (spec.command.includes('=')) throw new Error(`agent.command ${spec.command} contains "=", which cannot be run inside the sandbox`);
    const fs = filesystemPolicy(paths, extra);
    let wrapped: string;
    try {
      wrapped = await this.manager.wrapWithSandbox(innerCommand(spec.command, spec.args, set), undefined, { filesystem: fs }, undefined, {
        commandId: `swarm-${randomBytes(6).toString('hex')}`,
      });
    } catch (err) {
      rmSync(scope.privateDir, { recursive: true, force: true });
      throw err; // a wrap that threw has released what it held
    }
    let released = false;
    return {
      command: '/bin/sh',
      args: ['-c', wrapped],
      cwd: spec.cwd,
      env: { ...spec.env, TMPDIR: tmp, GH_CONFIG_DIR: `${scope.privateDir}/gh` },
      release: () => {
        if (released) return;
        released = true;
        this.manager.cleanupAfterCommand();
        rmSync(scope.privateDir, { recursive: true, force: true });
      },
    };
  };

  async close(): Promise<void> {
    await this.manager.reset();
  }

  /** Run `true` in the sandbox: bubblewrap refusing (no user namespaces, a missing capability) shows here. */
  private async probe(): Promise<void> {
    const wrapped = await this.manager.wrapWithSandbox('true', undefined, { filesystem: { denyRead: [], allowWrite: [], denyWrite: [] } });
    const res = await new Promise<{ code: number | null; err: string }>((done) => {
      const child = spawn('/bin/sh', ['-c', wrapped], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
      child.on('error', (e) => done({ code: -1, err: e.message }));
      child.on('close', (code) => done({ code, err }));
    });
    this.manager.cleanupAfterCommand();
    if (res.code !== 0) throw new Error(`a test run in the sandbox failed (exit ${res.code}): ${res.err.trim().split('\n').pop() ?? ''}`);
  }
}

function runtimeConfig(hosts: string[]) {
  return { network: { allowedDomains: hosts, deniedDomains: [] }, filesystem: { denyRead: [], allowWrite: [], denyWrite: [] } };
}
