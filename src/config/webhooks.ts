// WORKFLOW.md keys for webhooks (`webhooks:`): the signing secrets of the GitHub and Linear deliveries the
// daemon's HTTP server receives, the public address they are sent to, and how polling relaxes while they
// arrive. Same rules as schema.ts: typed, defaulted, errors that name the file, the key path and the fix.
// The secrets are `$ENV` values like every other secret: listed for redaction and never inherited by the
// agent.
import type { Config } from './types.js';
import type { Reader, Section } from './fields.js';
import { ConfigError } from '../errors.js';

export type WebhooksConfig = Config['webhooks'];

/** Webhook deliveries are authenticated by an HMAC with this secret: a short one is guessable offline. */
const MIN_SECRET = 16;

export function readWebhooks(r: Reader, root: Section, secrets: string[]): WebhooksConfig {
  const w = root.sub('webhooks');
  const secret = (key: string): string | null => {
    const v = w.strOrNull(key);
    if (v !== null && v.length < MIN_SECRET) {
      // Never echo the value: it is a secret (or most of one).
      throw new ConfigError(`${r.file}: ${w.keyPath(key)} must be at least ${MIN_SECRET} characters (a random string, e.g. from \`openssl rand -hex 32\`); got ${v.length}`);
    }
    if (v !== null) secrets.push(v);
    return v;
  };
  const github_secret = secret('github_secret');
  const linear_secret = secret('linear_secret');
  const publicUrl = w.strOrNull('public_url');
  let public_url: string | null = null;
  if (publicUrl !== null) {
    let u: URL | null = null;
    try {
      u = new URL(publicUrl);
    } catch {
      u = null;
    }
    if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:') || u.search !== '' || u.hash !== '' || u.username !== '' || u.password !== '') {
      r.fail(w.keyPath('public_url'), 'the http(s) address GitHub and Linear reach this daemon at, without query or credentials (e.g. https://swarm.example.com)', publicUrl);
    }
    public_url = publicUrl.replace(/\/+$/, '');
  }
  const out: WebhooksConfig = {
    github_secret,
    linear_secret,
    public_url,
    healthy_within: w.duration('healthy_within', 10 * 60_000, 1_000),
    poll_interval: w.duration('poll_interval', 5 * 60_000, 1_000),
  };
  w.finish();
  return out;
}

/**
 * Cross-key rules, once the whole configuration is read: deliveries arrive on the daemon's HTTP server, so
 * a secret without `server.port` is an error; a secret the tracker cannot use is a warning.
 */
export function checkWebhooks(config: Config, file: string, warnings: string[]): void {
  const w = config.webhooks;
  const keys = (['github_secret', 'linear_secret'] as const).filter((k) => w[k] !== null);
  if (keys.length === 0) {
    if (w.public_url !== null) warnings.push(`${file}: webhooks.public_url is set but neither webhooks.github_secret nor webhooks.linear_secret is: no webhook is received`);
    return;
  }
  if (config.server.port === null) {
    throw new ConfigError(`${file}: webhooks.${keys[0]} is set but server.port is not: deliveries arrive on the daemon's HTTP server, so set server.port (e.g. 8080) and point your reverse proxy or tunnel at it`);
  }
  if (config.tracker.kind === 'local') {
    warnings.push(`${file}: webhooks.${keys[0]} has no effect with tracker.kind local (no GitHub or Linear events concern its tickets)`);
  }
  if (w.linear_secret !== null && config.tracker.kind !== 'linear') {
    warnings.push(`${file}: webhooks.linear_secret has no effect unless tracker.kind is linear`);
  }
}

/** The address a source's deliveries are sent to: webhooks.public_url + /webhooks/<source>. */
export function webhookUrl(config: Pick<Config, 'webhooks'>, source: 'github' | 'linear'): string | null {
  const base = config.webhooks.public_url;
  return base === null ? null : `${base}/webhooks/${source}`;
}
