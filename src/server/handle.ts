// The DaemonHandle over a live Orchestrator: what the HTTP server and the control socket call. Snapshots
// come from buildSnapshot, exactly like `swarm status --json`.
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import { readLock, type LockInfo } from '../state/lock.js';
import type { SwarmPaths } from '../state/paths.js';
import { buildSnapshot } from '../report/status.js';
import { extraFromState } from '../report/status-account.js';
import { withReport } from '../report/daemon-report.js';
import { renderMetrics } from '../report/metrics.js';
import { findTicketState } from '../core/ticket-keys.js';
import { webhooksOn } from '../webhooks/health.js';
import type { DaemonHandle } from './api.js';
import { RefreshGate } from './refresh-gate.js';

export function orchestratorHandle(orch: Orchestrator, paths: SwarmPaths, now: () => number = Date.now): DaemonHandle {
  const lock = (): LockInfo => {
    const onDisk = readLock(paths.lock);
    if (onDisk && onDisk.pid === process.pid) return onDisk;
    const d = orch.state.daemon;
    const at = new Date(now()).toISOString();
    return { pid: process.pid, pid_start: null, started_at: d?.started_at ?? at, heartbeat_at: d?.heartbeat_at ?? at, workflow: d?.workflow ?? '' };
  };
  const gate = new RefreshGate();
  const snapshot = () => buildSnapshot(withReport(orch.state, orch.report), { info: lock(), alive: true }, now(), extraFromState(orch.state, true, orch.account?.view().record ?? null));
  return {
    snapshot,
    ticket(id) {
      const ts = findTicketState(orch.state, id);
      return ts ? { ticket: ts, running: orch.running.has(ts.key) } : null;
    },
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
        fleetDbRoundTrips: orch.rt.coordinator.view()?.db_round_trips ?? null,
        account: acct ? { name: acct.name, utilization: acct.window?.utilization ?? null, paused: acct.pause !== null } : null,
        laneQueue: orch.state.queue?.lane_queue ?? null,
        webhooks: webhooksOn(orch.workflow.config) ? { stats: orch.webhooks.stats.view(), view: orch.webhooks.view() } : null,
      });
    },
    refresh() {
      const answer = gate.take(now(), orch.workflow.config.polling.interval);
      if (answer.ok) orch.refresh();
      return answer;
    },
    pause: (untilMs) => orch.pauseOperator(untilMs),
    resume: () => orch.resumeOperator(),
    retry: (key) => orch.retryTicket(key),
    release: (key) => orch.releaseTicket(key),
  };
}
