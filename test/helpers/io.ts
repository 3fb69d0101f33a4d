// A command's IO captured in memory, run in a project's repository: what it printed on stdout and stderr.
import { PassThrough } from 'node:stream';
import type { IO } from '../../src/commands/common.js';

export type CapturedIO = IO & { out(): string; err(): string };

export function captureIO(project: { dir: string; env: Record<string, string | undefined> }): CapturedIO {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d) => (o += d));
  stderr.on('data', (d) => (e += d));
  return { stdout, stderr, cwd: project.dir, env: project.env, out: () => o, err: () => e };
}
