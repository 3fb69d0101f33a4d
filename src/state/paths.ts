// Where swarm keeps its files for a repository. One place, so every command agrees.
import { join } from 'node:path';

export interface SwarmPaths {
  dir: string;
  state: string;
  events: string;
  runs: string;
  lock: string;
  /** The running daemon's report (report/daemon-report.ts): where it listens, its configuration in force, its views. */
  report: string;
}

export function swarmPaths(repoDir: string): SwarmPaths {
  const dir = join(repoDir, '.swarm');
  return {
    dir,
    state: join(dir, 'state.json'),
    events: join(dir, 'events.jsonl'),
    runs: join(dir, 'runs'),
    lock: join(dir, 'daemon.lock'),
    report: join(dir, 'daemon.json'),
  };
}

/** Run file for one attempt; the key is made filesystem-safe by the caller's worktree naming. */
export function runFile(paths: SwarmPaths, safeKey: string, attempt: number): string {
  return join(paths.runs, safeKey, `${attempt}.jsonl`);
}
