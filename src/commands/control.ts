// `swarm pause [--for DURATION]`, `swarm resume`, `swarm retry <ticket>`, `swarm release <ticket>`: act on
// the running daemon through its control socket, or on state.json (under the lock) when none runs.
import { parseDuration } from '../config/duration.js';
import { sendControl, type ControlAction } from '../control/client.js';
import { swarmPaths } from '../state/paths.js';
import { findRepoRoot, type IO } from './common.js';
import { UsageError } from '../errors.js';

export async function controlCommand(action: ControlAction, io: IO, now: () => number = Date.now): Promise<number> {
  const repoDir = findRepoRoot(io.cwd);
  const res = await sendControl(repoDir, swarmPaths(repoDir), action, now);
  const where = res.via === 'daemon' ? '' : ' (no daemon running: state.json updated; it applies at the next `swarm start`)';
  if (res.unknown) throw new UsageError(res.message);
  (res.ok ? io.stdout : io.stderr).write(`${res.ok ? '' : 'swarm: '}${res.message}${res.ok ? where : ''}\n`);
  return res.ok ? 0 : 1;
}

export function pauseAction(opts: { for?: string }, now: number): ControlAction {
  if (opts.for === undefined) return { kind: 'pause', untilMs: null };
  let ms: number;
  try {
    ms = parseDuration(opts.for, '--for', 'the command line');
  } catch {
    throw new UsageError(`--for must be a duration like 30m, 2h or 1d (got "${opts.for}")`);
  }
  if (ms <= 0) throw new UsageError('--for must be longer than zero');
  return { kind: 'pause', untilMs: now + ms };
}
