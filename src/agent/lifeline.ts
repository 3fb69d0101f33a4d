// The agent's lifeline to its daemon. Every agent runs under a small supervisor (bin/swarm-supervisor.pl
// where perl can run it, else supervisor.ts on node: one protocol, two programs, the same tests) that
// stops the agent's whole process group when the daemon that started it is gone — killed (even kill -9),
// crashed — or frozen (SIGSTOP, a hung disk), so no agent outlives its daemon by more than a grace period,
// on this machine or any other, whatever anybody else can see of it.
//
// How the supervisor knows: the daemon holds one end of a socket pair, the supervisor the other as its
// fd 3. The kernel closes the daemon's end the instant the daemon dies, so death is seen at once (EOF); a
// daemon that is alive writes one byte every `beatMs`, so a frozen one is seen when `graceMs` passes in
// silence. The same socket carries the supervisor's one report back: the agent's pid, or why it could not
// start it (the runner's spawn error, as without a supervisor).
//
// As a spawn-spec transform (command, args, env, cwd → the supervisor with the original as its child), it
// composes with others: a sandbox transform is applied to the agent's spec first, and this one outermost,
// so the supervisor runs outside the sandbox and starts the sandboxed command.
//
// Process groups and restart recovery: the supervisor leads the group the runner made (detached), and the
// agent stays in it — so the pid recorded for the attempt (the group's id), the runner's kills, recovery's
// pid + start-time match and the stray-agent sweep all name supervisor, agent and tool grandchildren as one.
// After a daemon's death the supervisor has usually ended the group before a restart looks; if not, the
// restart's kill of the recorded group finds the same processes.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lifeline, SpawnSpec } from './types.js';

/**
 * The supervisor program: dist/agent/supervisor.js beside this module. Loaded from src/ (the tests), it is
 * the built copy all the same: node runs plain JavaScript, and `npm test` builds first.
 */
export const SUPERVISOR = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../dist/agent/supervisor.js' : './supervisor.js', import.meta.url));

/** The same supervisor in perl (bin/ beside dist/ and src/, shipped as is): a few ms and MB per agent, not node's ~60 ms and ~40 MB. */
export const SUPERVISOR_PL = fileURLToPath(new URL('../../bin/swarm-supervisor.pl', import.meta.url));

/**
 * The supervisor program for this machine: perl with the core modules it needs, found on `env`'s PATH and
 * checked once (a minimal perl without them, or none: node, which is always there).
 */
export function supervisorProgram(env: Record<string, string | undefined>, node: string = process.execPath): string[] {
  for (const dir of (env.PATH ?? '').split(':').filter(Boolean)) {
    const perl = join(dir, 'perl');
    if (!existsSync(perl)) continue;
    try {
      execFileSync(perl, ['-c', SUPERVISOR_PL], { stdio: 'ignore', timeout: 10_000, env: { PATH: env.PATH ?? '' } });
      return [perl, SUPERVISOR_PL];
    } catch {
      break; // that perl cannot run it: node will
    }
  }
  return [node, SUPERVISOR];
}

/** The fd the supervisor reads the lifeline from (the runner's fourth stdio entry). */
export const LIFELINE_FD = 3;

/**
 * `spec`, run under the supervisor: its program (perl or node, `l.program`) with the grace periods, then
 * `--`, then the original command and its arguments; env and cwd are the agent's (the supervisor passes
 * them on as they are, and reads nothing else from its environment). The spawner gives it a pipe as fd 3.
 */
export function superviseSpec(spec: SpawnSpec, l: Lifeline, node: string = process.execPath): SpawnSpec {
  const [command, ...program] = l.program ?? [node, SUPERVISOR];
  return {
    command: command!,
    args: [...program, `--grace=${Math.round(l.graceMs)}`, `--kill-grace=${Math.round(l.killGraceMs)}`, '--', spec.command, ...spec.args],
    env: spec.env,
    cwd: spec.cwd,
  };
}

/**
 * The lifeline's timing for a daemon: in fleet mode the agent must be gone before another daemon may take
 * its ticket over (`lease_ttl` after the last renewal), so grace + kill grace stay within two thirds of the
 * ttl; a single daemon (no ttl) allows a frozen daemon half a minute.
 */
export function lifelineFor(leaseTtlMs: number | null, program?: string[]): Lifeline {
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  const graceMs = leaseTtlMs === null ? 30_000 : clamp(Math.floor(leaseTtlMs / 3), 2_000, 30_000);
  const killGraceMs = leaseTtlMs === null ? 10_000 : clamp(Math.floor(leaseTtlMs / 6), 1_000, 10_000);
  return { ...(program ? { program } : {}), graceMs, killGraceMs, beatMs: Math.min(1_000, Math.floor(graceMs / 4)) };
}

/** What the supervisor reports on the lifeline (one JSON line) when it could not start the agent. */
export interface SpawnFailure {
  message: string;
  code: string | null;
}

export function parseReport(line: string): SpawnFailure | null {
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    if (typeof v.spawn_error === 'string') return { message: v.spawn_error.slice(0, 500), code: typeof v.code === 'string' ? v.code : null };
  } catch {
    // not a report
  }
  return null;
}

/** The daemon's end of one attempt's lifeline: what the runner holds while the agent runs. */
export interface HeldLifeline {
  /** Why the supervisor could not start the agent, once it has said so; else null. */
  failure(): SpawnFailure | null;
  /** Stop the heartbeat and close the daemon's end. */
  stop(): void;
}

/**
 * Hold the daemon's end of the lifeline (the child's fd 3): a heartbeat byte every `beatMs` from this event
 * loop (silence = frozen, EOF = dead); back on it, the supervisor says only whether the agent could not be
 * started.
 */
export function holdLifeline(line: Socket, beatMs: number): HeldLifeline {
  let spawnFailure: SpawnFailure | null = null;
  line.on('error', () => {});
  let buf = '';
  line.on('data', (d: Buffer) => {
    buf = (buf + d.toString('utf8')).slice(-2000);
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      spawnFailure ??= parseReport(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  const beat = setInterval(() => line.write('.'), beatMs);
  return {
    failure: () => spawnFailure,
    stop: () => {
      clearInterval(beat);
      line.destroy();
    },
  };
}
