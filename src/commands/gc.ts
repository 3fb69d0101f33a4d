// `swarm gc [--dry-run] [--force]`: remove the worktrees (and local branches) of tickets whose PR merged
// or closed or whose ticket closed, prune git's worktree metadata, delete transcripts older than
// state.transcript_days, report bytes freed. Works with or without a running daemon: while one runs,
// the tickets it holds are left alone. Only folders swarm marked in this repository's namespace are
// candidates; unpushed commits and uncommitted or untracked files are never deleted without --force.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadWorkflow } from '../config/workflow.js';
import { FileStateStore } from '../state/file-store.js';
import { swarmPaths } from '../state/paths.js';
import { lockAlive, readLock } from '../state/lock.js';
import { makeServices } from '../services.js';
import { busyReason, formatSweep, sweep } from '../workspace/gc.js';
import { findRepoRoot, type IO } from './common.js';

export interface GcOptions {
  workflow?: string;
  dryRun?: boolean;
  force?: boolean;
  verbose?: boolean;
}

export async function gcCommand(opts: GcOptions, io: IO): Promise<number> {
  const repoDir = findRepoRoot(io.cwd);
  const wf = loadWorkflow(resolve(io.cwd, opts.workflow ?? join(repoDir, 'WORKFLOW.md')), io.env);
  const paths = swarmPaths(repoDir);
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
  const report = await sweep({
    worktrees: svc.worktrees,
    tracker: svc.tracker,
    codeHost: svc.codeHost,
    state,
    busy: (ts) => busyReason(ts, liveDaemon()),
    reload: () => store.peek() ?? state,
    runsDir: paths.runs,
    transcriptDays: wf.config.state.transcript_days,
    now: Date.now(),
    dryRun: opts.dryRun === true,
    force: opts.force === true,
  });
  io.stdout.write(svc.secrets.reduce((text, s) => (s.length >= 4 ? text.split(s).join('***') : text), formatSweep(report, opts.verbose)));
  return report.errors.length > 0 ? 1 : 0;
}
