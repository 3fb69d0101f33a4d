// The webhook part of `GET /metrics` (Prometheus text format 0.0.4), beside metrics.ts: deliveries by
// source, event and result; the time from a delivery's arrival to the loop having re-read and acted on what
// it named (a histogram); polls the relaxed interval saved; whether each source is healthy.
import type { WebhookView } from '../core/views.js';
import type { WebhookStatsView } from '../webhooks/stats.js';

export interface WebhookMetricsInput {
  stats: WebhookStatsView;
  view: WebhookView;
}

type Emit = (name: string, type: 'gauge' | 'counter' | 'histogram', help: string, samples: { labels?: Record<string, string>; value: number; suffix?: string }[]) => void;

export function webhookMetrics(metric: Emit, m: WebhookMetricsInput): void {
  const s = m.stats;
  metric('swarm_webhook_deliveries_total', 'counter', 'Requests on the webhook routes by source, event ("unverified" when the signature did not check out) and result.',
    [...s.deliveries].sort((a, b) => `${a.source}${a.event}${a.result}`.localeCompare(`${b.source}${b.event}${b.result}`)).map((d) => ({ labels: { source: d.source, event: d.event, result: d.result }, value: d.count })));
  // Bucket counts are cumulative already (an observation is counted in every bucket whose bound it fits).
  const buckets = s.action.buckets.map((b) => ({ suffix: '_bucket', labels: { le: String(b.le) }, value: b.count }));
  metric('swarm_webhook_action_seconds', 'histogram', 'Time from a webhook delivery arriving to swarm having re-read and acted on the object it named.', [
    ...buckets,
    { suffix: '_bucket', labels: { le: '+Inf' }, value: s.action.count },
    { suffix: '_sum', value: s.action.sum },
    { suffix: '_count', value: s.action.count },
  ]);
  metric('swarm_webhook_polls_saved_total', 'counter', 'Polls not run because healthy webhooks relaxed the poll interval to webhooks.poll_interval.', [{ value: s.pollsSaved }]);
  metric('swarm_webhook_refetches_total', 'counter', 'Objects re-read one by one because a webhook delivery named them, by kind.', [
    { labels: { kind: 'ticket' }, value: s.refetched.tickets },
    { labels: { kind: 'pull_request' }, value: s.refetched.prs },
  ]);
  metric('swarm_webhooks_healthy', 'gauge', 'Whether a verified delivery (or ping) from the source arrived within webhooks.healthy_within (only configured sources).',
    (['github', 'linear'] as const).filter((src) => m.view[src].state !== 'off').map((src) => ({ labels: { source: src }, value: m.view[src].state === 'healthy' ? 1 : 0 })));
  metric('swarm_poll_interval_seconds', 'gauge', 'The poll interval in force (webhooks.poll_interval while webhooks are healthy, polling.interval otherwise).', [{ value: m.view.poll_interval_ms / 1000 }]);
}
