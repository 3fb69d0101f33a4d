// One `swarm gc` run and its printed report, whoever runs it: the command on its own, or the running
// daemon for the command (over the control socket), which passes the tickets it works on as busy.
import type { Workflow } from '../config/types.js';
import type { CodeHost, Tracker } from '../tracker/types.js';
import type { Worktrees } from './worktree.js';
import type { SwarmState } from '../core/types.js';
import { busyReason, formatSweep, sweep } from './gc.js';

export interface SweepRun {
  svc: { worktrees: Worktrees; tracker: Tracker; codeHost: CodeHost; secrets: string[] };
  wf: Workflow;
  state: SwarmState | null;
  /** The daemon working in this clone (its running tickets are left alone), or null. */
  daemon: { pid: number; running?: ReadonlySet<string> } | null;
  /** The daemon as it is right now (read again before every removal: one that starts meanwhile is respected). */
  liveDaemon?: () => { pid: number; running?: ReadonlySet<string> } | null;
  /** The state as it is right now (read again right before each removal: a ticket claimed meanwhile is kept). */
  reload?: () => SwarmState | null;
  runsDir: string;
  dryRun: boolean;
  force: boolean;
  verbose: boolean;
}

export async function runSweep(r: SweepRun): Promise<{ code: number; text: string }> {
  const report = await sweep({
    worktrees: r.svc.worktrees,
    tracker: r.svc.tracker,
    codeHost: r.svc.codeHost,
    state: r.state,
    busy: (ts) => busyReason(ts, r.liveDaemon ? r.liveDaemon() : r.daemon),
    reload: r.reload,
    runsDir: r.runsDir,
    transcriptDays: r.wf.config.state.transcript_days,
    now: Date.now(),
    dryRun: r.dryRun,
    force: r.force,
  });
  const text = r.svc.secrets.reduce((t, s) => (s.length >= 4 ? t.split(s).join('***') : t), formatSweep(report, r.verbose));
  return { code: report.errors.length > 0 ? 1 : 0, text };
}
