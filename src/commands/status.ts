// `swarm status [--json] [--watch]`: reads state.json and the lock; works with or without a daemon.
import chalk from 'chalk';
import { FileStateStore, emptyState } from '../state/file-store.js';
import { swarmPaths } from '../state/paths.js';
import { lockAlive, readLock } from '../state/lock.js';
import { buildSnapshot, renderStatus, plain, type Paint, type Snapshot } from '../status.js';
import { findRepoRoot, useColor, type IO } from './common.js';

export function snapshotFor(repoDir: string, now = Date.now()): Snapshot {
  const paths = swarmPaths(repoDir);
  const state = new FileStateStore(paths.state).peek() ?? emptyState(now);
  const info = readLock(paths.lock);
  return buildSnapshot(state, info ? { info, alive: lockAlive(info) } : null, now);
}

export async function statusCommand(opts: { json?: boolean; watch?: boolean }, io: IO): Promise<number> {
  const repoDir = findRepoRoot(io.cwd);
  const paint: Paint = useColor(io) ? chalkPaint() : plain;
  const width = Math.max(60, Math.min(160, (io.stdout as { columns?: number }).columns ?? 80));
  const draw = () => {
    const snap = snapshotFor(repoDir);
    return opts.json ? JSON.stringify(snap, null, 2) + '\n' : renderStatus(snap, paint, width);
  };
  if (!opts.watch) {
    io.stdout.write(draw());
    return 0;
  }
  await new Promise<void>((resolve) => {
    const tick = () => io.stdout.write('\x1b[H\x1b[2J' + draw());
    tick();
    const timer = setInterval(tick, 1000);
    process.once('SIGINT', () => {
      clearInterval(timer);
      resolve();
    });
  });
  return 0;
}

function chalkPaint(): Paint {
  return { bold: chalk.bold, dim: chalk.dim, red: chalk.red, green: chalk.green, yellow: chalk.yellow, cyan: chalk.cyan };
}
