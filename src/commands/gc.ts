// `swarm gc [--dry-run] [--force]`: remove the worktrees (and local branches) of tickets whose PR merged
// or closed or whose ticket closed, prune git's worktree metadata, delete transcripts older than
// state.transcript_days, report bytes freed. While a daemon runs in this clone the daemon does it (over its
// control socket, with its configuration and tracker token, leaving the tickets it works on alone); with
// none, this command does it itself. Only folders swarm marked in this repository's namespace are
// candidates; unpushed commits and uncommitted or untracked files are never deleted without --force.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FileStateStore } from '../backend/embedded/state-store.js';
import { swarmPaths } from '../state/paths.js';
import { lockAlive, readLock } from '../state/lock.js';
import { makeServices } from '../services.js';
import { daemonRequest } from '../control/client.js';
import { loadWorkflowOrLastGood } from '../config/last-good.js';
import { runSweep } from '../workspace/gc-run.js';
import { findRepoRoot, type IO } from './common.js';

export interface GcOptions {
  workflow?: string;
  dryRun?: boolean;
  force?: boolean;
  verbose?: boolean;
}

export async function gcCommand(opts: GcOptions, io: IO): Promise<number> {
  const repoDir = findRepoRoot(io.cwd);
  const paths = swarmPaths(repoDir);
  if (opts.workflow === undefined) {
    const res = await daemonRequest(repoDir, paths, 'POST', '/api/v1/gc', { dry_run: opts.dryRun === true, force: opts.force === true, verbose: opts.verbose === true }, 30 * 60_000);
    if (res !== null) {
      const b = (res.body ?? {}) as { code?: unknown; text?: unknown; message?: unknown };
      if (res.status !== 200 || typeof b.text !== 'string') throw new Error(`the daemon could not collect garbage: ${typeof b.message === 'string' ? b.message : `HTTP ${res.status}`}`);
      io.stdout.write(b.text);
      return typeof b.code === 'number' ? b.code : 1;
    }
  }
  const loaded = loadWorkflowOrLastGood(resolve(io.cwd, opts.workflow ?? join(repoDir, 'WORKFLOW.md')), io.env, paths);
  if (loaded.broken) io.stderr.write(`swarm: ${loaded.broken}\nswarm: using the last good configuration (saved ${loaded.savedAt})\n`);
  const wf = loaded.workflow;
  const svc = await makeServices(wf, { repoDir, env: io.env, log: () => {} });
  // Read again before every removal: a daemon that starts while gc runs is respected from then on.
  const liveDaemon = () => {
    const holder = readLock(paths.lock);
    return holder && lockAlive(holder) ? { pid: holder.pid } : null;
  };
  const daemon = liveDaemon();
  const store = new FileStateStore(paths.state);
  const state = store.peek();
  if (state === null && existsSync(paths.state)) {
    io.stderr.write(`swarm: ${paths.state} could not be read; deciding from pull requests only (\`swarm start\` repairs the state file)\n`);
  }
  if (daemon) io.stdout.write(`a daemon runs (pid ${daemon.pid}): its active tickets are left alone\n`);
  const out = await runSweep({ svc, wf, state, daemon, liveDaemon, reload: () => store.peek() ?? state, runsDir: paths.runs, dryRun: opts.dryRun === true, force: opts.force === true, verbose: opts.verbose === true });
  io.stdout.write(out.text);
  return out.code;
}
