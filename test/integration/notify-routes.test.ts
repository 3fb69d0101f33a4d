// Issue #27 acceptance 6: notifications routed per event. A needs_human event logged by the daemon's real
// Logger reaches a Slack-format route (Slack's mrkdwn, a link to the ticket's console page) and not a route
// listening only for `reverted`; the single notify.webhook_url keeps its old shape; every route's text is
// redacted and its mentions defused; WORKFLOW.md validates the routes (did you mean…) and masks their URLs.
import { afterEach, describe, expect, it } from 'vitest';
import { Logger } from '../../src/log/logger.js';
import { Notifier } from '../../src/log/notify.js';
import { validateConfig } from '../../src/config/schema.js';
import type { NotifyRoute } from '../../src/config/types.js';
import { ConfigError } from '../../src/errors.js';
import { registerSecrets } from '../../src/util/secrets.js';
import { startWebhook, type FakeWebhook } from '../helpers/webhook.js';

const hooks: FakeWebhook[] = [];
afterEach(async () => {
  for (const h of hooks.splice(0)) await h.close();
});
const hook = async () => {
  const h = await startWebhook();
  hooks.push(h);
  return h;
};

function world(routes: NotifyRoute[], webhook: string | null = null) {
  const log = new Logger({ eventsFile: null, out: null });
  const notifier = new Notifier({ url: () => webhook, routes: () => routes, link: (key) => `https://swarm.example.com/tickets/${encodeURIComponent(key)}`, source: () => 'acme/widgets', redact: (t) => log.redact(t) });
  log.onEvent(notifier.listener);
  return { log, notifier };
}

describe('notify.routes', () => {
  it('a needs_human event reaches the Slack route, not the route listening only for reverted', async () => {
    const slack = await hook();
    const reverted = await hook();
    const { log, notifier } = world([
      { events: ['needs_human', 'failed'], url: slack.url, format: 'slack' },
      { events: ['reverted'], url: reverted.url, format: 'json' },
    ]);
    log.event({ type: 'needs_human', ticket: '#12', key: '12', why: 'needs_human', reason: 'follow-up round 3 ended without a fix <!channel> @here', label: 'agent:needs-human' });
    await notifier.flush();
    expect(reverted.received).toEqual([]);
    expect(slack.received).toHaveLength(1);
    const text = slack.received[0]!.text!;
    expect(text).toMatch(/^\[swarm acme\/widgets\] ✋ #12 needs a human \(agent:needs-human\): follow-up round 3 ended without a fix &lt;!channel&gt; @\u200bhere <https:\/\/swarm\.example\.com\/tickets\/12\|open in the swarm console>$/);
    expect(slack.received[0]).not.toHaveProperty('content');
  });

  it('discord and json formats; every event for `all`; a secret in the reason is masked in every route', async () => {
    registerSecrets(['ghp_routeSecretValue123']);
    const discord = await hook();
    const json = await hook();
    const { log, notifier } = world([
      { events: ['failed'], url: discord.url, format: 'discord' },
      { events: ['needs_human', 'failed', 'reverted', 'paused', 'resumed', 'pr_opened', 'followup', 'stopped'], url: json.url, format: 'json' },
    ]);
    log.event({ type: 'ticket_failed', ticket: 'ENG-7', key: 'ENG-7', reason: 'token ghp_routeSecretValue123 rejected; ping @everyone', failures: 3 });
    log.event({ type: 'paused', kind: 'operator', until: null, reason: 'paused by an operator (swarm pause)', limit_type: null });
    await notifier.flush();
    expect(discord.received).toHaveLength(1);
    expect(discord.received[0]).toMatchObject({ allowed_mentions: { parse: [] } });
    expect(discord.received[0]!.content).toMatch(/ENG-7 failed: token \*+ rejected; ping @\u200beveryone\n<https:\/\/swarm\.example\.com\/tickets\/ENG-7>$/);
    expect(json.received.map((r) => r.event)).toEqual(['ticket_failed', 'paused']);
    expect(json.received[0]).toMatchObject({ ticket: 'ENG-7', key: 'ENG-7', url: 'https://swarm.example.com/tickets/ENG-7', source: 'acme/widgets' });
    expect(json.received[1]).toMatchObject({ ticket: null, url: null });
    expect(JSON.stringify([...discord.received, ...json.received])).not.toContain('ghp_routeSecretValue123');
  });

  it('notify.webhook_url keeps working as before: every notification, Slack and Discord fields alike, no link', async () => {
    const old = await hook();
    const { log, notifier } = world([], old.url);
    log.event({ type: 'ticket_failed', ticket: '#3', key: '3', reason: 'gave up', failures: 3 });
    await notifier.flush();
    expect(old.received).toEqual([{ text: '[swarm acme/widgets] ✗ #3 failed: gave up', content: '[swarm acme/widgets] ✗ #3 failed: gave up', allowed_mentions: { parse: [] } }]);
  });

  it('WORKFLOW.md: routes are validated with the fix, their URLs are secrets, server.public_url is normalised', () => {
    const env = { SLACK_WEBHOOK_URL: 'https://hooks.slack.example/services/T0/B0/secretpart' };
    const { config, secrets } = validateConfig({ notify: { routes: [{ events: ['needs_human', 'failed'], url: '$SLACK_WEBHOOK_URL', format: 'slack' }, { events: ['all'], url: 'https://example.com/j' }] }, server: { public_url: 'https://swarm.example.com' } }, { file: 'WORKFLOW.md', env });
    expect(config.notify.routes).toEqual([
      { events: ['needs_human', 'failed'], url: env.SLACK_WEBHOOK_URL, format: 'slack' },
      { events: ['needs_human', 'failed', 'reverted', 'paused', 'resumed', 'pr_opened', 'followup', 'stopped'], url: 'https://example.com/j', format: 'json' },
    ]);
    expect(secrets).toEqual(expect.arrayContaining([env.SLACK_WEBHOOK_URL, 'https://example.com/j']));
    expect(config.server.public_url).toBe('https://swarm.example.com/');
    const bad = (raw: unknown) => {
      try {
        validateConfig(raw, { file: 'WORKFLOW.md', env });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad({ notify: { routes: [{ events: ['neds_human'], url: 'https://x.example' }] } })).toMatch(/notify\.routes\[0\]\.events\[0\] must be one of .* \(got "neds_human"; did you mean needs_human\?\)/);
    expect(bad({ notify: { routes: [{ events: ['failed'], url: 'ftp://secret@x' }] } })).toMatch(/notify\.routes\[0\]\.url must be null or an http\(s\) URL \(got a value that is not one; not shown/);
    expect(bad({ notify: { routes: [{ events: ['failed'], url: 'https://x.example', format: 'teams' }] } })).toMatch(/notify\.routes\[0\]\.format must be one of slack \| discord \| json/);
    expect(bad({ notify: { routes: { events: ['failed'] } } })).toMatch(/notify\.routes must be a list/);
    expect(bad({ server: { public_url: 'swarm.example.com' } })).toMatch(/server\.public_url must be the console's http\(s\) address/);
  });
});
