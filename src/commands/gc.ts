// `swarm gc [--dry-run] [--force]`: remove the worktrees (and local branches) of tickets whose PR merged
// or closed or whose ticket closed, prune git's worktree metadata, delete transcripts older than
// state.transcript_days, report bytes freed. While a daemon runs in this clone the daemon does it (over its
// control socket, with its configuration and tracker token, leaving the tickets it works on alone); with
// none, this command does it itself. Only folders swarm marked in this repository's namespace are
// candidates; unpushed commits and uncommitted or untracked files are never deleted without --force.
import { existsSync } from 'node:fs';
import { daemonRequest } from '../control/client.js';
import { runSweep } from '../workspace/gc-run.js';
import type { IO } from './common.js';
import { commandContext } from './context.js';

export interface GcOptions {
  workflow?: string;
  dryRun?: boolean;
  force?: boolean;
  verbose?: boolean;
}

export async function gcCommand(opts: GcOptions, io: IO): Promise<number> {
  const ctx = commandContext(io, { workflow: opts.workflow });
  const paths = ctx.paths;
  if (opts.workflow === undefined) {
    const res = await daemonRequest(ctx.repoDir, paths, 'POST', '/api/v1/gc', { dry_run: opts.dryRun === true, force: opts.force === true, verbose: opts.verbose === true }, 30 * 60_000);
    if (res !== null) {
      const b = (res.body ?? {}) as { code?: unknown; text?: unknown; message?: unknown };
      if (res.status !== 200 || typeof b.text !== 'string') throw new Error(`the daemon could not collect garbage: ${typeof b.message === 'string' ? b.message : `HTTP ${res.status}`}`);
      io.stdout.write(b.text);
      return typeof b.code === 'number' ? b.code : 1;
    }
  }
  const wf = await ctx.workflow();
  const svc = await ctx.services();
  // Read again before every removal: a daemon that starts while gc runs is respected from then on.
  const liveDaemon = () => {
    const holder = ctx.holder();
    return holder ? { pid: holder.pid } : null;
  };
  const daemon = liveDaemon();
  const state = ctx.records();
  if (state === null && existsSync(paths.state)) {
    io.stderr.write(`swarm: ${paths.state} could not be read; deciding from pull requests only (\`swarm start\` repairs the state file)\n`);
  }
  if (daemon) io.stdout.write(`a daemon runs (pid ${daemon.pid}): its active tickets are left alone\n`);
  const out = await runSweep({ svc, wf, state, daemon, liveDaemon, reload: () => ctx.records() ?? state, runsDir: paths.runs, dryRun: opts.dryRun === true, force: opts.force === true, verbose: opts.verbose === true });
  io.stdout.write(out.text);
  return out.code;
}
