// Webhook signatures, the only authentication the webhook routes have. Both providers sign the raw request
// body — the exact bytes received, never re-serialised JSON — with HMAC-SHA256 under the hook's secret:
// - GitHub: `X-Hub-Signature-256: sha256=<hex digest>` ("Validating webhook deliveries", docs.github.com;
//   GitHub's own examples compare with a constant-time function).
// - Linear: `Linear-Signature: <hex digest>`, and the signed body carries `webhookTimestamp` (epoch ms),
//   which receivers must refuse when more than a minute from now (linear.app/developers/webhooks,
//   "Securing webhooks"; @linear/sdk 98's LinearWebhookClient.verify does exactly this, in both directions).
// Comparison is constant-time over equal-length buffers (crypto.timingSafeEqual); a header of the wrong
// shape is refused before any comparison.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Linear's freshness window for `webhookTimestamp`. */
export const LINEAR_MAX_AGE_MS = 60_000;

const HEX64 = /^[0-9a-f]{64}$/i;

function hmacHex(secret: string, body: Buffer): Buffer {
  return Buffer.from(createHmac('sha256', secret).update(body).digest('hex'), 'utf8');
}

function equalHex(expected: Buffer, given: string): boolean {
  const g = Buffer.from(given.toLowerCase(), 'utf8');
  return g.length === expected.length && timingSafeEqual(g, expected);
}

/** `X-Hub-Signature-256` over the raw body: true only for `sha256=` + the right 64 hex digits. */
export function verifyGithubSignature(body: Buffer, header: string | undefined, secret: string): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const hex = header.slice('sha256='.length);
  if (!HEX64.test(hex)) return false;
  return equalHex(hmacHex(secret, body), hex);
}

/** `Linear-Signature` over the raw body: true only for the right 64 hex digits. */
export function verifyLinearSignature(body: Buffer, header: string | undefined, secret: string): boolean {
  if (typeof header !== 'string' || !HEX64.test(header)) return false;
  return equalHex(hmacHex(secret, body), header);
}

/**
 * Linear's `webhookTimestamp` (from the signed body): 'ok', 'missing' (absent or not a number) or 'stale'
 * (more than LINEAR_MAX_AGE_MS from `now`, either way: a clock far ahead is refused as Linear's SDK does).
 */
export function linearFreshness(timestamp: unknown, now: number): 'ok' | 'missing' | 'stale' {
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) return 'missing';
  return Math.abs(now - timestamp) > LINEAR_MAX_AGE_MS ? 'stale' : 'ok';
}

