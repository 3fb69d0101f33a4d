// Signing webhook deliveries in tests exactly as the providers sign them, written from their docs rather
// than from swarm's verifier (so a mistake in one is not mirrored in the other):
// - GitHub, "Validating webhook deliveries" (docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries):
//   "GitHub uses an HMAC hex digest to compute the hash"; the X-Hub-Signature-256 header is "sha256=" followed
//   by the HMAC-SHA256 hex digest of the payload, keyed with the webhook's secret. Deliveries also carry
//   X-GitHub-Event, X-GitHub-Delivery (a GUID) and X-GitHub-Hook-ID ("Webhook events and payloads").
// - Linear, "Securing webhooks" (linear.app/developers/webhooks): the Linear-Signature header is the
//   HMAC-SHA256 hex digest of the raw body keyed with the webhook's signing secret, and the body's
//   webhookTimestamp (epoch ms) must be within a minute of the receiver's clock; deliveries also carry
//   Linear-Delivery and Linear-Event.
import { createHmac, randomUUID } from 'node:crypto';

export function githubSignature(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function linearSignature(body: string | Buffer, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

export interface Answer {
  status: number;
  text: string;
}

/** POST a GitHub-style delivery. `signature`: a header value to send instead of the right one (null: none). */
export async function postGithub(url: string, o: { event: string; payload?: unknown; body?: string | Buffer; secret: string; delivery?: string; signature?: string | null; contentType?: string }): Promise<Answer & { delivery: string }> {
  const body = o.body ?? JSON.stringify(o.payload ?? {});
  const delivery = o.delivery ?? randomUUID();
  const headers: Record<string, string> = {
    'content-type': o.contentType ?? 'application/json',
    'user-agent': 'GitHub-Hookshot/test',
    'x-github-event': o.event,
    'x-github-delivery': delivery,
    'x-github-hook-id': '1',
  };
  const sig = o.signature === undefined ? githubSignature(body, o.secret) : o.signature;
  if (sig !== null) headers['x-hub-signature-256'] = sig;
  const res = await fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : new Uint8Array(body) });
  return { status: res.status, text: await res.text(), delivery };
}

/** POST a Linear-style delivery; `timestamp` defaults to now (webhookTimestamp is part of the signed body). */
export async function postLinear(url: string, o: { payload: Record<string, unknown>; secret: string; timestamp?: number; delivery?: string; signature?: string | null }): Promise<Answer> {
  const body = JSON.stringify({ ...o.payload, webhookTimestamp: o.timestamp ?? Date.now() });
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'linear-delivery': o.delivery ?? randomUUID(),
    'linear-event': String(o.payload.type ?? ''),
  };
  const sig = o.signature === undefined ? linearSignature(body, o.secret) : o.signature;
  if (sig !== null) headers['linear-signature'] = sig;
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}
