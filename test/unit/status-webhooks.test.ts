// How status, the dashboard and /metrics show webhooks: healthy with the relaxed intervals, silent with
// polling back at polling.interval, nothing at all when no source is configured or the daemon is down.
import { describe, expect, it } from 'vitest';
import { emptyState } from '../../src/state/empty-state.js';
import { buildSnapshot, renderStatus } from '../../src/report/status.js';
import { renderBody } from '../../src/server/dashboard.js';
import { renderMetrics } from '../../src/report/metrics.js';
import { WebhookStats } from '../../src/webhooks/stats.js';
import type { WebhookView } from '../../src/core/views.js';
import type { ViewedState } from '../../src/core/types.js';
import { parsePrometheus } from '../helpers/prometheus.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const lock = { info: { pid: 42, pid_start: null, started_at: new Date(NOW - 3_600_000).toISOString(), heartbeat_at: new Date(NOW - 1000).toISOString(), workflow: 'W.md' }, alive: true };

function stateWith(view: WebhookView | null): ViewedState {
  const s: ViewedState = emptyState(NOW);
  s.daemon = { pid: 42, started_at: lock.info.started_at, heartbeat_at: lock.info.heartbeat_at, draining: false, config_error: null, workflow: 'W.md', max_attempts: 3, max_concurrent: 2, webhooks: view };
  return s;
}

const healthy: WebhookView = {
  github: { state: 'healthy', last_at: new Date(NOW - 12_000).toISOString() }, linear: { state: 'off', last_at: null },
  tickets_from: 'github', poll_interval_ms: 300_000, polling_interval_ms: 30_000, watch_interval_ms: 300_000,
};
const silent: WebhookView = { ...healthy, github: { state: 'silent', last_at: '2026-03-01T11:40:00.000Z' }, poll_interval_ms: 30_000, watch_interval_ms: 120_000 };

describe('webhooks in status, dashboard and metrics', () => {
  it('healthy: the source, its last delivery and the relaxed intervals', () => {
    const text = renderStatus(buildSnapshot(stateWith(healthy), lock, NOW));
    expect(text).toContain('Webhooks: github healthy (last delivery 12s ago)\n  polling every 5m00s, PR watches every 5m00s (while deliveries arrive)\n');
    expect(renderBody(buildSnapshot(stateWith(healthy), lock, NOW))).toContain('github webhooks healthy (last verified delivery 12s ago) · polling every 5m 00s');
  });

  it('silent: said on its own line, with polling back at polling.interval; the dashboard shows a banner', () => {
    const snap = buildSnapshot(stateWith(silent), lock, NOW);
    expect(renderStatus(snap)).toContain('Webhooks: github SILENT: no verified delivery since 2026-03-01 11:40 UTC\n  polling every 30s (polling.interval)\n');
    expect(renderBody(snap)).toMatch(/<div class="banner pause" id="webhooks-github"><b>github webhooks silent<\/b> since 2026-03-01T11:40:00.000Z: polling back at polling.interval \(30s\)<\/div>/);
  });

  it('nothing configured, or no daemon: no webhook lines', () => {
    const off: WebhookView = { ...healthy, github: { state: 'off', last_at: null } };
    expect(buildSnapshot(stateWith(off), lock, NOW).webhooks).toBeNull();
    expect(buildSnapshot(stateWith(healthy), { ...lock, alive: false }, NOW).webhooks).toBeNull();
    expect(renderStatus(buildSnapshot(stateWith(null), lock, NOW))).not.toContain('Webhooks');
  });

  it('/metrics: deliveries by source, event and result (unverified events never become labels), the action histogram, polls saved', () => {
    const stats = new WebhookStats();
    stats.delivery('github', 'issues', 'accepted');
    stats.delivery('github', null, 'bad_signature');
    stats.delivery('github', 'made_up_event', 'ignored');
    stats.acted(120);
    stats.acted(3_000);
    stats.pollsSaved = 9;
    const snap = buildSnapshot(stateWith(healthy), lock, NOW);
    const fams = parsePrometheus(renderMetrics({ snapshot: snap, state: stateWith(healthy), tracker: { kind: 'github', requests: 1, rateLimitRemaining: null }, poll: { count: 1, lastDurationMs: 5 }, eligibleWaiting: 0, webhooks: { stats: stats.view(), view: healthy } }));
    const d = fams.get('swarm_webhook_deliveries_total')!.samples;
    expect(d.map((s) => [s.labels.event, s.labels.result, s.value])).toEqual([['issues', 'accepted', 1], ['other', 'ignored', 1], ['unverified', 'bad_signature', 1]]);
    const h = fams.get('swarm_webhook_action_seconds')!;
    expect(h.type).toBe('histogram');
    expect(h.samples.find((s) => s.name.endsWith('_bucket') && s.labels.le === '0.25')?.value).toBe(1);
    expect(h.samples.find((s) => s.name.endsWith('_bucket') && s.labels.le === '5')?.value).toBe(2);
    expect(h.samples.find((s) => s.name.endsWith('_count'))?.value).toBe(2);
    expect(fams.get('swarm_webhook_polls_saved_total')!.samples[0]!.value).toBe(9);
    expect(fams.get('swarm_webhooks_healthy')!.samples).toEqual([{ name: 'swarm_webhooks_healthy', labels: { source: 'github' }, value: 1 }]);
    expect(fams.get('swarm_poll_interval_seconds')!.samples[0]!.value).toBe(300);
  });
});
