// The webhook part of the status snapshot: each configured source's health as the daemon judged it
// (healthy, silent, waiting for the first verified delivery) and the poll interval that puts in force.
// Pure, and as light as status.ts.
import type { ViewedState } from '../core/types.js';
import type { SourceHealth } from '../core/views.js';

export interface WebhooksSnapshot {
  sources: { source: 'github' | 'linear'; state: Exclude<SourceHealth, 'off'>; last_at: string | null; last_age_s: number | null }[];
  /** The poll interval in force, and polling.interval it falls back to (seconds). */
  poll_interval_s: number;
  polling_interval_s: number;
  watch_interval_s: number;
}

export function webhooksSnapshot(state: ViewedState, alive: boolean, now: number): WebhooksSnapshot | null {
  const w = state.daemon?.webhooks;
  if (!alive || !w) return null;
  const sources: WebhooksSnapshot['sources'] = [];
  for (const source of ['github', 'linear'] as const) {
    const s = w[source];
    if (s.state === 'off') continue;
    sources.push({ source, state: s.state, last_at: s.last_at, last_age_s: s.last_at ? Math.max(0, Math.round((now - Date.parse(s.last_at)) / 1000)) : null });
  }
  if (sources.length === 0) return null;
  return { sources, poll_interval_s: w.poll_interval_ms / 1000, polling_interval_s: w.polling_interval_ms / 1000, watch_interval_s: w.watch_interval_ms / 1000 };
}

/** One line per configured source, then the polling that follows from them (indented). */
export function renderWebhooks(w: WebhooksSnapshot, look: { warn: (s: string) => string; dur: (s: number) => string; time: (iso: string) => string; clip: (s: string) => string }): string[] {
  const lines = w.sources.map((s) => {
    if (s.state === 'healthy') return look.clip(`Webhooks: ${s.source} healthy (last delivery ${look.dur(s.last_age_s ?? 0)} ago)`);
    if (s.state === 'waiting') return look.clip(`Webhooks: ${s.source} waiting for a first delivery`);
    return look.warn(look.clip(`Webhooks: ${s.source} SILENT: no verified delivery ${s.last_at ? `since ${look.time(s.last_at)}` : 'since the daemon started'}`));
  });
  const relaxed = w.poll_interval_s > w.polling_interval_s;
  const poll = relaxed ? `polling every ${look.dur(w.poll_interval_s)}, PR watches every ${look.dur(w.watch_interval_s)} (while deliveries arrive)` : `polling every ${look.dur(w.poll_interval_s)} (polling.interval)`;
  return [...lines, `  ${look.clip(poll)}`];
}
