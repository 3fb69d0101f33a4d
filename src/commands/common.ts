// Helpers every command shares: the IO it writes to, the repository root, usage errors (exit 2).
import { UsageError } from '../errors.js';
import { spawnSync } from 'node:child_process';

export interface IO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  cwd: string;
  env: Record<string, string | undefined>;
}


export function findRepoRoot(cwd: string): string {
  const res = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8' });
  if (res.error) throw new UsageError('git was not found on PATH: install git, then run swarm inside your repository');
  if (res.status !== 0) throw new UsageError(`${cwd} is not inside a git repository: run swarm from your project's git checkout (or \`git init\` first)`);
  return res.stdout.trim();
}

export function useColor(io: IO): boolean {
  return io.stdout.isTTY === true && !('NO_COLOR' in io.env) && io.env.TERM !== 'dumb';
}
