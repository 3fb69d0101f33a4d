// The daemon's hygiene hook: the same sweep as `swarm gc` (finished tickets' worktrees and branches,
// git worktree metadata, old transcripts) once at startup and then once a day. It runs beside the poll
// loop, never inside it, skips every ticket the daemon holds, and can never crash the daemon.
import type { Logger } from '../log/logger.js';
import type { SwarmState } from '../core/types.js';
import type { SwarmPaths } from '../state/paths.js';
import type { Workflow } from '../config/types.js';
import type { Services } from './runtime.js';
import { busyReason, formatBytes, sweep, type SweepReport } from '../workspace/gc.js';

export const SWEEP_INTERVAL_MS = 24 * 60 * 60 * 1000;

export interface SweeperSource {
  readonly services: Services;
  readonly workflow: Workflow;
  readonly state: SwarmState;
  readonly running: ReadonlyMap<string, unknown>;
}

export interface Sweeper {
  /** Run one sweep now (skipped, returning null, while one is in flight). */
  runNow(): Promise<SweepReport | null>;
  /** Stop the timer and wait for a sweep in flight (so an exit never cuts a `git worktree remove`). */
  stop(): Promise<void>;
}

export function startSweeper(o: { source: SweeperSource; paths: SwarmPaths; log: Logger; now?: () => number; intervalMs?: number }): Sweeper {
  const now = o.now ?? Date.now;
  let inFlight: Promise<SweepReport | null> | null = null;
  let stopped = false;

  const once = async (): Promise<SweepReport | null> => {
    const src = o.source;
    const svc = src.services;
    const running = new Set(src.running.keys());
    try {
      const report = await sweep({
        worktrees: svc.worktrees,
        tracker: svc.tracker,
        codeHost: svc.codeHost,
        state: src.state,
        busy: (ts) => (stopped ? 'the daemon is stopping' : busyReason(ts, { pid: process.pid, running: new Set([...running, ...src.running.keys()]) })),
        runsDir: o.paths.runs,
        transcriptDays: src.workflow.config.state.transcript_days,
        now: now(),
        dryRun: false,
        force: false,
      });
      const did = report.removed.length + report.transcripts.deleted;
      o.log.event(
        { type: 'gc', removed: report.removed.map((r) => r.path), kept: report.kept.map((k) => ({ path: k.path, reason: k.reason })), transcripts_deleted: report.transcripts.deleted, bytes_freed: report.bytesFreed, errors: report.errors },
        { message: did > 0 || report.kept.length > 0 ? `gc: removed ${report.removed.length} worktree(s) and ${report.transcripts.deleted} transcript(s), freed ${formatBytes(report.bytesFreed)}${report.kept.length ? `; kept ${report.kept.length} (${report.kept[0]!.reason}${report.kept.length > 1 ? ', …' : ''})` : ''}` : null },
      );
      for (const e of report.errors) o.log.warn(`gc: ${e}`);
      return report;
    } catch (err) {
      o.log.warn(`gc sweep failed (will try again in a day): ${(err as Error).message}`);
      return null;
    }
  };

  const runNow = (): Promise<SweepReport | null> => {
    if (inFlight || stopped) return Promise.resolve(null);
    inFlight = once().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };

  // Startup sweep on the next tick (after the daemon has started), then daily; timers never hold the process.
  const first = setTimeout(() => void runNow(), 0);
  first.unref();
  const timer = setInterval(() => void runNow(), o.intervalMs ?? SWEEP_INTERVAL_MS);
  timer.unref();

  return {
    runNow,
    async stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await inFlight?.catch(() => undefined);
    },
  };
}
