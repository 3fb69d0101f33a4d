// `GET /metrics`: the daemon's numbers in the Prometheus text exposition format (version 0.0.4). Pure:
// the caller gathers the inputs (snapshot, state, tracker counters, poll timing).
import type { Snapshot } from './status.js';
import type { SwarmState } from '../core/types.js';
import { webhookMetrics, type WebhookMetricsInput } from './metrics-webhooks.js';

export interface MetricsInput {
  snapshot: Snapshot;
  state: SwarmState;
  tracker: { kind: string; requests: number; rateLimitRemaining: number | null };
  poll: { count: number; lastDurationMs: number };
  /** Tickets eligible at the last poll and not running (waiting for a slot). */
  eligibleWaiting: number;
  /** The shared Claude account, when the daemon knows it: its window utilization (0–1) and whether its usage-limit pause is in force. */
  account?: { name: string; utilization: number | null; paused: boolean } | null;
  /** Waiting tickets per lane (urgent, normal, background) at the last poll. */
  laneQueue?: Record<'urgent' | 'normal' | 'background', number> | null;
  /** Fleet mode: statements this daemon has sent to the fleet database (FleetDb.roundTrips). */
  fleetDbRoundTrips?: number | null;
  /** Webhook deliveries, their delivery → action times, polls saved, health (when webhooks are configured). */
  webhooks?: WebhookMetricsInput | null;
}

type Labels = Record<string, string>;
interface Sample { labels?: Labels; value: number; /** A histogram's _bucket, _sum or _count. */ suffix?: string }

export function renderMetrics(m: MetricsInput): string {
  const out: string[] = [];
  const metric: Emit = (name, type, help, samples) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const s of samples) out.push(`${name}${s.suffix ?? ''}${fmtLabels(s.labels)} ${fmtValue(s.value)}`);
  };
  const s = m.snapshot;
  const tickets = Object.values(m.state.tickets);
  metric('swarm_up', 'gauge', 'Whether the daemon is serving (always 1 when scraped).', [{ value: 1 }]);
  metric('swarm_draining', 'gauge', 'Whether the daemon is draining (no new work).', [{ value: s.daemon.draining ? 1 : 0 }]);
  metric('swarm_agents_running', 'gauge', 'Tickets with a claim or a live agent.', [{ value: s.running.length }]);
  metric('swarm_queue_length', 'gauge', 'Tickets waiting: in the retry queue or eligible without a free slot.', [{ value: s.retry_queue.length + m.eligibleWaiting }]);
  metric('swarm_retry_queue_length', 'gauge', 'Tickets waiting for a retry.', [{ value: s.retry_queue.length }]);
  const statuses = ['claimed', 'running', 'retry_wait', 'review', 'verifying', 'red', 'done', 'failed', 'released'];
  metric('swarm_tickets', 'gauge', 'Tickets known to swarm by status.', statuses.map((st) => ({ labels: { status: st }, value: tickets.filter((t) => t.status === st).length })));
  const byOutcome = new Map<string, number>();
  for (const t of tickets) for (const a of t.attempts) byOutcome.set(a.outcome, (byOutcome.get(a.outcome) ?? 0) + 1);
  metric('swarm_attempts_total', 'counter', 'Attempts recorded in the state, by outcome.', [...byOutcome].sort().map(([outcome, n]) => ({ labels: { outcome }, value: n })));
  metric('swarm_attempts_today', 'gauge', "Today's attempts by outcome.", Object.entries(s.totals.attempts).sort().map(([outcome, n]) => ({ labels: { outcome }, value: n ?? 0 })));
  const kinds = ['operator', 'rate_limit', 'auth', 'breaker', 'tracker', 'containment'];
  metric('swarm_paused', 'gauge', 'Whether dispatch is paused, by pause kind.', kinds.map((kind) => ({ labels: { kind }, value: s.pause?.kind === kind ? 1 : 0 })));
  metric('swarm_pause_remaining_seconds', 'gauge', 'Seconds until a timed pause ends (0: not paused; -1: until an operator acts).', [{ value: !s.pause ? 0 : s.pause.remaining_s ?? -1 }]);
  metric('swarm_cost_usd_today', 'gauge', 'Agent spend today in USD.', [{ value: s.totals.cost_usd }]);
  const tok = s.totals.tokens;
  metric('swarm_tokens_today', 'gauge', 'Tokens used today, by kind.', [
    { labels: { kind: 'input' }, value: tok.input },
    { labels: { kind: 'output' }, value: tok.output },
    { labels: { kind: 'cache_read' }, value: tok.cacheRead },
    { labels: { kind: 'cache_creation' }, value: tok.cacheCreation },
  ]);
  metric('swarm_prs_today', 'gauge', 'Pull requests handed off today.', [{ value: s.totals.prs }]);
  metric('swarm_tracker_requests_total', 'counter', 'Requests sent to the tracker by this daemon.', [{ labels: { tracker: m.tracker.kind }, value: m.tracker.requests }]);
  if (m.tracker.rateLimitRemaining !== null) {
    metric('swarm_tracker_rate_limit_remaining', 'gauge', 'Requests left in the tracker rate-limit window.', [{ labels: { tracker: m.tracker.kind }, value: m.tracker.rateLimitRemaining }]);
  }
  const watched = s.watched ?? [];
  metric('swarm_prs_watched', 'gauge', 'Handed-off pull requests swarm follows, by state (watching, following_up, needs_human).', (['watching', 'following_up', 'needs_human'] as const).map((state) => ({ labels: { state }, value: watched.filter((w) => w.state === state).length })));
  metric('swarm_followups_total', 'counter', 'Follow-up rounds started on handed-off pull requests (failing checks or changes requested), over the tickets in the state.', [{ value: tickets.reduce((n, t) => n + (t.followup?.rounds ?? 0), 0) }]);
  const ver = s.verification;
  if (ver) {
    metric('swarm_verifications_total', 'counter', 'Verifications after merge that ended, by result (green, red, unverified), over the tickets in the state.', (['green', 'red', 'unverified'] as const).map((result) => ({ labels: { result }, value: ver.results[result] })));
    metric('swarm_reverts_total', 'counter', "Swarm merges reverted (a revert PR opened or a revert pushed), over the tickets in the state.", [{ value: ver.reverts }]);
    metric('swarm_base_red', 'gauge', 'Whether the base branch is red, as the daemon last saw it.', [{ labels: { branch: ver.base?.branch ?? '' }, value: ver.base?.red ? 1 : 0 }]);
    metric('swarm_cost_per_verified_merge_usd', 'gauge', 'Spend of every attempt, follow-up and re-attempt of the tickets verified that day, per verified merge (the newest day with one).', ver.cost_per_verified_merge.slice(0, 1).map((c) => ({ labels: { date: c.date }, value: c.per_merge_usd })));
    metric('swarm_verified_merges', 'gauge', 'Merges verified green on the newest day with one.', ver.cost_per_verified_merge.slice(0, 1).map((c) => ({ labels: { date: c.date }, value: c.merges })));
  }
  if (m.account) {
    const labels = { account: m.account.name };
    if (m.account.utilization !== null) {
      metric('swarm_account_window_utilization', 'gauge', "Share of the Claude account's usage window used, as the CLI last reported it (0-1).", [{ labels, value: m.account.utilization }]);
    }
    metric('swarm_account_paused', 'gauge', "Whether the Claude account's shared usage-limit pause is in force.", [{ labels, value: m.account.paused ? 1 : 0 }]);
  }
  if (m.laneQueue) {
    const q = m.laneQueue;
    metric('swarm_lane_queue_length', 'gauge', 'Tickets waiting to start, by lane.', (['urgent', 'normal', 'background'] as const).map((lane) => ({ labels: { lane }, value: q[lane] })));
  }
  if (s.fleet) fleetMetrics(metric, s.fleet, m.fleetDbRoundTrips ?? null);
  if (m.webhooks) webhookMetrics(metric, m.webhooks);
  metric('swarm_polls_total', 'counter', 'Poll cycles run by this daemon.', [{ value: m.poll.count }]);
  metric('swarm_poll_duration_seconds', 'gauge', 'Duration of the last poll cycle.', [{ value: m.poll.lastDurationMs / 1000 }]);
  return out.join('\n') + '\n';
}

type Emit = (name: string, type: 'gauge' | 'counter' | 'histogram', help: string, samples: Sample[]) => void;

/** Fleet mode: the database's health and this daemon's traffic to it, every daemon sharing the scope and the leases, as last polled. */
function fleetMetrics(metric: Emit, f: NonNullable<Snapshot['fleet']>, roundTrips: number | null): void {
  metric('swarm_fleet_db_reachable', 'gauge', "Whether the fleet database answered this daemon's last request (0: unreachable; running agents continue, their publication waits, no new claims).", [{ value: f.db.status === 'ok' ? 1 : 0 }]);
  if (roundTrips !== null) metric('swarm_fleet_db_round_trips_total', 'counter', 'Statements this daemon has sent to the fleet database.', [{ value: roundTrips }]);
  const live = f.daemons.filter((d) => !d.stopped);
  metric('swarm_fleet_daemons', 'gauge', 'Daemons sharing this tracker scope, by state (stopped ones are listed for 10 minutes).', [
    { labels: { state: 'live' }, value: live.length },
    { labels: { state: 'stopped' }, value: f.daemons.length - live.length },
  ]);
  metric('swarm_fleet_leases', 'gauge', 'Tickets leased by any daemon of the fleet.', [{ value: f.leases.length }]);
  const who = (d: (typeof live)[number]) => ({ daemon: d.id, host: d.host, pid: String(d.pid) });
  metric('swarm_fleet_daemon_heartbeat_age_seconds', 'gauge', "Seconds since each live daemon's last heartbeat, as this daemon last saw it.", live.map((d) => ({ labels: who(d), value: d.heartbeat_age_s })));
  metric('swarm_fleet_daemon_slots_used', 'gauge', 'Agents each live daemon runs.', live.map((d) => ({ labels: who(d), value: d.running })));
  metric('swarm_fleet_daemon_slots_max', 'gauge', "Each live daemon's agent.max_concurrent.", live.map((d) => ({ labels: who(d), value: d.max_concurrent })));
  metric('swarm_fleet_daemon_leases', 'gauge', 'Tickets each live daemon holds a lease on.', live.map((d) => ({ labels: who(d), value: f.leases.filter((l) => l.holder === d.id).length })));
}

function fmtLabels(labels?: Labels): string {
  if (!labels || Object.keys(labels).length === 0) return '';
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
  return `{${Object.entries(labels).map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}`;
}

function fmtValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
