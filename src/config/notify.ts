// The `notify` section: the one webhook of old (`notify.webhook_url`: every notification, Slack and
// Discord fields together) and routes that send chosen events to chosen places in one format each:
//   notify:
//     routes:
//       - events: [needs_human, failed, reverted, paused]   # or [all]
//         url: $SLACK_WEBHOOK_URL
//         format: slack                                     # slack | discord | json
// Webhook URLs carry their own credential: every one is a secret (masked everywhere, never given to the agent).
import type { Config, NotifyRoute, RouteEvent } from './types.js';
import { isMapping, Section, type Reader } from './fields.js';
import { closest } from '../util/did-you-mean.js';
import { ConfigError } from '../errors.js';

/** Route event names → the logged event types they stand for ('reverted': verification after merge, when it exists). */
export const ROUTE_EVENTS: Record<RouteEvent, readonly string[]> = {
  needs_human: ['needs_human'],
  failed: ['ticket_failed'],
  reverted: ['reverted'],
  paused: ['paused'],
  resumed: ['resumed'],
  pr_opened: ['pr_opened'],
  followup: ['followup_started'],
  stopped: ['daemon_stopped'],
};
const FORMATS = ['slack', 'discord', 'json'] as const;

export function readNotify(r: Reader, root: Section, secrets: string[]): Config['notify'] {
  const n = root.sub('notify');
  const webhook_url = webhookUrl(n, 'webhook_url', n.strOrNull('webhook_url'));
  const raw = n.get('routes');
  const routes: NotifyRoute[] = [];
  if (raw !== undefined) {
    if (!Array.isArray(raw.value)) r.fail(n.keyPath('routes'), 'a list of {events, url, format} mappings', raw.value, raw.envName);
    (raw.value as unknown[]).forEach((item, i) => {
      const path = `${n.keyPath('routes')}[${i}]`;
      if (!isMapping(item)) r.fail(path, 'a mapping {events, url, format}', item);
      const s = new Section(r, path, item);
      const events = s.list('events', [], { nonEmpty: true });
      for (const [j, e] of events.entries()) {
        if (e === 'all' || e in ROUTE_EVENTS) continue;
        const near = closest(e, [...Object.keys(ROUTE_EVENTS), 'all']);
        throw new ConfigError(`${r.file}: ${path}.events[${j}] must be one of ${[...Object.keys(ROUTE_EVENTS), 'all'].join(', ')} (got ${JSON.stringify(e)}${near ? `; did you mean ${near}?` : ''})`);
      }
      const url = webhookUrl(s, 'url', s.strOrNull('url'));
      if (url === null) r.fail(s.keyPath('url'), 'the webhook URL (e.g. $SLACK_WEBHOOK_URL)', undefined);
      routes.push({ events: events.includes('all') ? (Object.keys(ROUTE_EVENTS) as RouteEvent[]) : (events as RouteEvent[]), url: url!, format: s.oneOf('format', 'json', FORMATS) });
      s.finish();
    });
  }
  n.finish();
  for (const v of [webhook_url, ...routes.map((x) => x.url)]) if (v) secrets.push(v);
  return { webhook_url, routes };
}

/** An http(s) URL or null; never echoed in an error (it holds a credential). */
function webhookUrl(s: Section, key: string, value: string | null): string | null {
  if (value === null) return null;
  let ok = false;
  try {
    ok = ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    ok = false;
  }
  if (!ok) throw new ConfigError(`${s.file}: ${s.keyPath(key)} must be null or an http(s) URL (got a value that is not one; not shown as it may hold a secret)`);
  return value;
}
