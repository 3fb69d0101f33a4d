// What a read-side command works from, handed over once instead of rebuilt in each command: the
// repository and its `.swarm` paths, the IO, the daemon running here (the lock's live holder), and — each
// loaded only when first asked for — WORKFLOW.md (the last good copy while the file is broken, said once on
// stderr), the tracker and worktree services, the ticket records (state.json, read-only) and the live
// daemon's report (daemon.json: its configuration in force and its views; a dead daemon's is ignored).
import { join, resolve } from 'node:path';
import type { Workflow } from '../config/types.js';
import type { SwarmState, ViewedState } from '../core/types.js';
import type { Services } from '../orchestrator/runtime.js';
import { liveReport, readReport, withReport, type DaemonReport } from '../report/daemon-report.js';
import { FileStateStore } from '../backend/embedded/state-store.js';
import { emptyState } from '../state/empty-state.js';
import { lockAlive, readLock, type LockInfo } from '../state/lock.js';
import { swarmPaths, type SwarmPaths } from '../state/paths.js';
import { findRepoRoot, type IO } from './common.js';

export interface CommandContext {
  readonly io: IO;
  readonly repoDir: string;
  readonly paths: SwarmPaths;
  /** The WORKFLOW.md this command reads (--workflow, else the repository's). */
  readonly workflowPath: string;
  /** The lock as it is on disk now (alive or not), or null: read again on each call. */
  lock(): LockInfo | null;
  /** The daemon running in this clone now (the lock's live holder), or null: read again on each call. */
  holder(): LockInfo | null;
  /** WORKFLOW.md, or the last good copy while it is broken (the problem is said on stderr, once). */
  workflow(): Promise<Workflow>;
  /** The tracker and worktree services for workflow(), made once. */
  services(): Promise<Services>;
  /** state.json as it is now, read-only (null: absent or unreadable). */
  records(): SwarmState | null;
  /** The live daemon's report (null: no daemon runs, or it has not reported yet). */
  report(): DaemonReport | null;
  /** The records (empty when there are none) with the live daemon's view from its report (no daemon: the configuration the last one ran with). */
  viewed(now?: number): ViewedState;
}

export interface ContextOptions {
  workflow?: string;
  /** How the last good configuration is announced while WORKFLOW.md is broken ("explaining with", …). */
  usingLastGood?: string;
}

export function commandContext(io: IO, opts: ContextOptions = {}): CommandContext {
  const repoDir = findRepoRoot(io.cwd);
  const paths = swarmPaths(repoDir);
  const workflowPath = resolve(io.cwd, opts.workflow ?? join(repoDir, 'WORKFLOW.md'));
  const store = new FileStateStore(paths.state);
  let wf: Promise<Workflow> | null = null;
  let svc: Promise<Services> | null = null;
  const ctx: CommandContext = {
    io,
    repoDir,
    paths,
    workflowPath,
    lock: () => readLock(paths.lock),
    holder() {
      const info = readLock(paths.lock);
      return info && lockAlive(info) ? info : null;
    },
    workflow() {
      // Loaded when asked (the parser and the prompt's template engine are heavy): `status` never is.
      wf ??= import('../config/last-good.js').then(({ loadWorkflowOrLastGood }) => {
        const loaded = loadWorkflowOrLastGood(workflowPath, io.env, paths);
        if (loaded.broken) io.stderr.write(`swarm: ${loaded.broken}\nswarm: ${opts.usingLastGood ?? 'using'} the last good configuration (saved ${loaded.savedAt})\n`);
        return loaded.workflow;
      });
      return wf;
    },
    services() {
      svc ??= Promise.all([ctx.workflow(), import('../services.js')]).then(([w, { makeServices }]) => makeServices(w, { repoDir, env: io.env, log: () => {} }));
      return svc;
    },
    records: () => store.peek(),
    report: () => liveReport(paths.report, ctx.holder()),
    viewed: (now = Date.now()) => {
      const live = ctx.report();
      return withReport(store.peek() ?? emptyState(now), live, live ? null : readReport(paths.report));
    },
  };
  return ctx;
}
