// The DaemonHandle over a live Orchestrator: what the HTTP server and the control socket call. Snapshots
// come from buildSnapshot, exactly like `swarm status --json`; explain and gc run with the daemon's own
// configuration and tracker credentials (so a shell without the token can ask); the console's pages come
// from console/routes.ts.
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import { readLock, type LockInfo } from '../state/lock.js';
import type { SwarmPaths } from '../state/paths.js';
import { buildSnapshot } from '../report/status.js';
import { extraFromState } from '../report/status-account.js';
import { renderMetrics } from '../report/metrics.js';
import { findTicketState } from '../core/ticket-keys.js';
import { explainTicket } from '../report/explain-run.js';
import { runSweep } from '../workspace/gc-run.js';
import { webhooksOn } from '../webhooks/health.js';
import type { DaemonHandle } from './api.js';
import { RefreshGate } from './refresh-gate.js';
import { consolePage, type ConsoleContext } from './console/routes.js';

export interface HandleExtras {
  /** The console's history and live feed (absent: no pages). */
  console?: Pick<ConsoleContext, 'history' | 'bus' | 'currentTool'>;
  loginLink?: DaemonHandle['loginLink'];
}

export function orchestratorHandle(orch: Orchestrator, paths: SwarmPaths, now: () => number = Date.now, extras: HandleExtras = {}): DaemonHandle {
  const lock = (): LockInfo => {
    const onDisk = readLock(paths.lock);
    if (onDisk && onDisk.pid === process.pid) return onDisk;
    const d = orch.view.daemon;
    return { pid: process.pid, pid_start: null, started_at: d.started_at, heartbeat_at: new Date(now()).toISOString(), workflow: d.workflow };
  };
  const gate = new RefreshGate();
  const snapshot = () => {
    const viewed = orch.viewed; // the records with this daemon's own view, fresher than its last report
    return buildSnapshot(viewed, { info: lock(), alive: true }, now(), extraFromState(viewed, true, orch.account?.view().record ?? null));
  };
  const ticket = (id: string) => {
    const ts = findTicketState(orch.state, id);
    return ts ? { ticket: ts, running: orch.running.has(ts.key) } : null;
  };
  const c = extras.console;
  const ctx: ConsoleContext | null = c
    ? { snapshot, ticket, maxAttempts: () => orch.workflow.config.agent.max_attempts, history: c.history, bus: c.bus, currentTool: c.currentTool, runsDir: paths.runs, now }
    : null;
  return {
    snapshot,
    ticket,
    metrics() {
      const tracker = orch.services.tracker;
      const eligibleWaiting = orch.eligibleWaiting;
      const snap = snapshot();
      const acct = snap.account;
      return renderMetrics({
        snapshot: snap,
        state: orch.state,
        tracker: { kind: tracker.kind, requests: tracker.requestCount(), rateLimitRemaining: tracker.rateLimit().remaining },
        poll: orch.pollStats,
        eligibleWaiting,
        fleetDbRoundTrips: orch.rt.fleetView.view()?.db_round_trips ?? null,
        account: acct ? { name: acct.name, utilization: acct.window?.utilization ?? null, paused: acct.pause !== null } : null,
        laneQueue: orch.view.queue?.lane_queue ?? null,
        webhooks: webhooksOn(orch.workflow.config) ? { stats: orch.webhooks.stats.view(), view: orch.webhooks.view() } : null,
      });
    },
    refresh() {
      const answer = gate.take(now(), orch.workflow.config.polling.interval);
      if (answer.ok) orch.refresh();
      return answer;
    },
    pause: (untilMs) => orch.controls.pause(untilMs),
    resume: () => orch.controls.resume(),
    retry: (key, force) => orch.controls.retry(key, force),
    release: (key) => orch.controls.release(key),
    cancel: (key) => orch.controls.cancel(key),
    message: async (key, text) => orch.controls.message(key, text),
    async explain(id) {
      const out = await explainTicket(id, {
        wf: orch.workflow, svc: orch.services, state: orch.viewed, daemon: { running: true, pid: process.pid },
        running: new Set(orch.running.keys()), account: orch.account?.view() ?? null, now: now(),
      });
      return 'notFound' in out ? { status: 404, body: { ok: false, message: out.notFound } } : { status: 200, body: out.report };
    },
    async gc({ dryRun, force, verbose }) {
      const out = await runSweep({
        svc: orch.services, wf: orch.workflow, state: orch.state, daemon: { pid: process.pid, running: new Set(orch.running.keys()) },
        liveDaemon: () => ({ pid: process.pid, running: new Set(orch.running.keys()) }), reload: () => orch.state,
        runsDir: paths.runs, dryRun, force, verbose: verbose === true,
      });
      return { code: out.code, text: `a daemon runs (pid ${process.pid}): its active tickets are left alone\n${out.text}` };
    },
    loginLink: extras.loginLink,
    page: ctx ? (req) => consolePage(req, ctx) : undefined,
  };
}
