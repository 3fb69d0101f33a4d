// `POST /webhooks/github` and `POST /webhooks/linear`: the daemon's only unauthenticated POSTs — the
// signature is the authentication, so they need no session or bearer token. In order: body read with a
// streaming cap (413), signature over the raw bytes (401), the provider's own headers and freshness (400),
// replay (a delivery id seen within the window: 200, nothing done — see below), then the payload is mapped
// to the objects it names and handed to the daemon, which re-reads them through the API. A refused request
// gets one log line (at most REFUSALS_PER_MINUTE, then a count) and nothing else: no state change, no
// request to the tracker.
//
// A replay is answered 200, not 409: GitHub reuses the delivery id when someone presses "Redeliver", and a
// non-2xx answer would mark that delivery failed and put the hook's last_response in the red, although
// nothing is wrong — the delivery was received and acted on the first time. Either way nothing is done.
import type http from 'node:http';
import { createHash } from 'node:crypto';
import type { Config } from '../../config/types.js';
import type { Logger } from '../../log/logger.js';
import { linearFreshness, verifyGithubSignature, verifyLinearSignature } from '../../webhooks/signature.js';
import { mapGithubDelivery } from '../../webhooks/github-events.js';
import { mapLinearDelivery } from '../../webhooks/linear-events.js';
import { describeHints, type Mapped, type WebhookSource } from '../../webhooks/hints.js';
import type { DeliveryLog } from '../../webhooks/deliveries.js';
import type { DeliveryResult, WebhookStats } from '../../webhooks/stats.js';
import { readCappedBody } from './body.js';

/**
 * Largest body accepted. GitHub caps payloads at 25 MB ("Webhook events and payloads", payload cap) but the
 * events swarm subscribes to carry at most an issue or PR body and a comment (65,536 characters each,
 * under 400 KB each even fully JSON-escaped) plus repository and sender objects: 2 MiB leaves room and
 * refuses the rest.
 */
export const MAX_WEBHOOK_BODY = 2 * 1024 * 1024;
/** GitHub records a delivery as failed after 10 s without an answer; Linear after 5 s. */
const BODY_TIMEOUT_MS = 10_000;
const REFUSALS_PER_MINUTE = 20;
const GUID = /^[A-Za-z0-9-]{1,100}$/;
const EVENT = /^[a-z_]{1,64}$/;

export interface WebhookReceiverDeps {
  config: () => Config;
  /** owner/name of this daemon's GitHub repository (deliveries about others are ignored); null if unknown. */
  repo: () => string | null;
  log: Logger;
  now: () => number;
  deliveries: DeliveryLog;
  stats: WebhookStats;
  /** A verified, fresh, first-seen delivery: record the source's health and mark what it names dirty. */
  accept: (source: WebhookSource, mapped: Mapped, at: number, delivery: string) => void;
}

/** Whether a request path is one of the webhook routes (they bypass the API's authentication). */
export function isWebhookPath(path: string): boolean {
  return path === '/webhooks/github' || path === '/webhooks/linear';
}

interface Outcome {
  status: number;
  result: DeliveryResult;
  /** Verified event name (null when the request was not verified). */
  event: string | null;
  action?: string | null;
  delivery?: string | null;
  detail: string;
}

export class WebhookReceiver {
  private window = { start: 0, logged: 0, suppressed: 0 };

  constructor(private readonly d: WebhookReceiverDeps) {}

  /** Serve one request on a webhook path. Never throws; always answers. */
  async serve(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    const source: WebhookSource = path === '/webhooks/linear' ? 'linear' : 'github';
    let out: Outcome;
    try {
      out = await this.handle(source, req);
    } catch (err) {
      out = { status: 500, result: 'malformed', event: null, detail: `internal error: ${(err as Error).message}` };
    }
    const complete = req.complete;
    res.writeHead(out.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...(complete ? {} : { connection: 'close' }) });
    res.end(JSON.stringify({ ok: out.status < 300, message: out.detail }) + '\n');
    this.d.stats.delivery(source, out.event, out.result);
    this.record(source, out);
  }

  private async handle(source: WebhookSource, req: http.IncomingMessage): Promise<Outcome> {
    if (req.method !== 'POST') {
      req.resume();
      return { status: 405, result: 'malformed', event: null, detail: `only POST is accepted on /webhooks/${source}` };
    }
    const cfg = this.d.config();
    const secret = source === 'github' ? cfg.webhooks.github_secret : cfg.webhooks.linear_secret;
    if (secret === null) {
      req.resume();
      return { status: 404, result: 'not_configured', event: null, detail: `webhooks.${source}_secret is not set: this daemon does not receive ${source} webhooks` };
    }
    const read = await readCappedBody(req, MAX_WEBHOOK_BODY, BODY_TIMEOUT_MS);
    if (!read.ok) {
      if (read.why === 'too_large') return { status: 413, result: 'too_large', event: null, detail: `the body is larger than ${MAX_WEBHOOK_BODY} bytes` };
      return { status: 408, result: 'malformed', event: null, detail: read.why === 'timeout' ? 'the body did not arrive in time' : 'the request was aborted' };
    }
    return source === 'github' ? this.github(req, read.body, secret) : this.linear(req, read.body, secret);
  }

  private github(req: http.IncomingMessage, body: Buffer, secret: string): Outcome {
    if (!verifyGithubSignature(body, header(req, 'x-hub-signature-256'), secret)) {
      return { status: 401, result: 'bad_signature', event: null, detail: 'X-Hub-Signature-256 is missing or does not match webhooks.github_secret' };
    }
    const event = header(req, 'x-github-event') ?? '';
    const delivery = header(req, 'x-github-delivery') ?? '';
    if (!EVENT.test(event) || !GUID.test(delivery)) return { status: 400, result: 'malformed', event: null, detail: 'X-GitHub-Event or X-GitHub-Delivery is missing or malformed' };
    if (!/^application\/json\b/i.test(header(req, 'content-type') ?? '')) {
      return { status: 415, result: 'malformed', event, delivery, detail: 'the hook must send application/json (content type "json"; `swarm webhooks setup` configures it)' };
    }
    const payload = parseJson(body);
    if (payload === undefined) return { status: 400, result: 'malformed', event, delivery, detail: 'the body is not JSON' };
    if (this.d.deliveries.replayed(`gh:${delivery}`)) return { status: 200, result: 'duplicate', event, delivery, detail: `delivery ${delivery} was already received; nothing to do` };
    return this.mapped('github', mapGithubDelivery(event, payload, this.d.repo()), delivery);
  }

  private linear(req: http.IncomingMessage, body: Buffer, secret: string): Outcome {
    if (!verifyLinearSignature(body, header(req, 'linear-signature'), secret)) {
      return { status: 401, result: 'bad_signature', event: null, detail: 'Linear-Signature is missing or does not match webhooks.linear_secret' };
    }
    const payload = parseJson(body);
    if (payload === undefined) return { status: 400, result: 'malformed', event: null, detail: 'the body is not JSON' };
    const p = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
    const event = typeof p.type === 'string' && p.type.length <= 64 ? p.type : '(no type)';
    const fresh = linearFreshness(p.webhookTimestamp, this.d.now());
    if (fresh !== 'ok') {
      return { status: 400, result: 'stale', event, detail: fresh === 'missing' ? 'the payload has no numeric webhookTimestamp' : 'webhookTimestamp is more than 60 s from now (a replay, or a clock far off)' };
    }
    // Linear-Delivery when Linear sends it; else the signed body itself (it holds its own timestamp).
    const given = header(req, 'linear-delivery');
    const delivery = given && GUID.test(given) ? given : createHash('sha256').update(body).digest('hex').slice(0, 40);
    if (this.d.deliveries.replayed(`ln:${delivery}`)) return { status: 200, result: 'duplicate', event, delivery, detail: `delivery ${delivery} was already received; nothing to do` };
    return this.mapped('linear', mapLinearDelivery(payload, this.d.config().tracker.team ?? null), delivery);
  }

  private mapped(source: WebhookSource, m: Mapped, delivery: string): Outcome {
    const at = this.d.now();
    this.d.accept(source, m, at, delivery);
    const action = m.kind === 'ping' ? null : m.action;
    if (m.kind === 'ping') return { status: 200, result: 'ping', event: m.event, delivery, detail: 'pong: the hook reaches swarm and its secret matches' };
    if (m.kind === 'ignored') return { status: 200, result: 'ignored', event: m.event, action, delivery, detail: `nothing to look at: ${m.reason}` };
    return { status: 200, result: 'accepted', event: m.event, action, delivery, detail: `will re-read ${describeHints(m.hints, source === 'github' ? '#' : '')}` };
  }

  /** One line per request; refusals past REFUSALS_PER_MINUTE are counted and summed up once. */
  private record(source: WebhookSource, o: Outcome): void {
    const refused = o.status >= 400;
    if (refused) {
      const now = this.d.now();
      if (now - this.window.start >= 60_000) {
        if (this.window.suppressed > 0) this.d.log.warn(`webhooks: ${this.window.suppressed} more refused request(s) in the last minute were not logged one by one (see swarm_webhook_deliveries_total)`);
        this.window = { start: now, logged: 0, suppressed: 0 };
      }
      if (++this.window.logged > REFUSALS_PER_MINUTE) {
        this.window.suppressed++;
        return;
      }
    }
    this.d.log.event({ type: 'webhook', source, event: o.event, action: o.action ?? null, delivery: o.delivery ?? null, result: o.result, status: o.status, detail: o.detail });
  }
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
