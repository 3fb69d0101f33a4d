// Whether webhooks can be relied on right now, and what polling that allows (pure). A source is healthy
// while a verified delivery (a ping included) arrived within `webhooks.healthy_within`; while the source
// that reports ticket changes is healthy the poll slows to `webhooks.poll_interval`, and while GitHub's is
// healthy PR watches slow likewise. Polling stays the safety net: silence puts both back at their own
// intervals. `waiting`: configured, nothing verified yet, for the first `healthy_within` after the daemon
// started (after that, silence is silence).
import type { Config } from '../config/types.js';
import type { WebhookSource } from './hints.js';
import type { SourceHealth, WebhookView } from '../core/views.js';

export type LastSeen = Record<WebhookSource, number | null>;

export function sourceHealth(config: Config, source: WebhookSource, last: number | null, now: number, startedAt: number): SourceHealth {
  const secret = source === 'github' ? config.webhooks.github_secret : config.webhooks.linear_secret;
  if (secret === null) return 'off';
  const within = config.webhooks.healthy_within;
  if (last === null) return now - startedAt <= within ? 'waiting' : 'silent';
  return now - last <= within ? 'healthy' : 'silent';
}

export function ticketSource(config: Config): WebhookSource | null {
  return config.tracker.kind === 'github' ? 'github' : config.tracker.kind === 'linear' ? 'linear' : null;
}

export function webhookView(config: Config, last: LastSeen, now: number, startedAt: number): WebhookView {
  const github = sourceHealth(config, 'github', last.github, now, startedAt);
  const linear = sourceHealth(config, 'linear', last.linear, now, startedAt);
  const from = ticketSource(config);
  const ticketsHealthy = from === 'github' ? github === 'healthy' : from === 'linear' ? linear === 'healthy' : false;
  const relaxed = (own: number) => Math.max(own, config.webhooks.poll_interval);
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    github: { state: github, last_at: iso(last.github) },
    linear: { state: linear, last_at: iso(last.linear) },
    tickets_from: from,
    poll_interval_ms: ticketsHealthy ? relaxed(config.polling.interval) : config.polling.interval,
    polling_interval_ms: config.polling.interval,
    watch_interval_ms: github === 'healthy' ? relaxed(config.pr.watch_interval) : config.pr.watch_interval,
  };
}

/** Whether any webhook source is configured. */
export function webhooksOn(config: Config): boolean {
  return config.webhooks.github_secret !== null || config.webhooks.linear_secret !== null;
}
