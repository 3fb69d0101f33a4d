// Octokit errors → TrackerError with a kind the loop can act on and a message an operator can act on.
// Messages never carry the token (redacted defensively even though GitHub never echoes it).

import { headersOf } from './client.js';
import { AuthSourceError } from './auth.js';
import { acceptedPermissionsOf, describeAccepted } from './permissions.js';
import { makeRedactor } from '../../util/secrets.js';
import { TrackerError } from '../../errors.js';

export interface ErrorContext {
  /** owner/name */
  repo: string;
  token: string;
  now: () => Date;
  /** What swarm was doing, e.g. "listing issues". */
  what: string;
  /** A 404 here means the repository itself is missing or invisible (config), not one item. */
  repoLevel?: boolean;
}

export function statusOf(err: unknown): number | null {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : null;
}

function ghMessage(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  return raw.replace(/\s+-\s+https:\/\/docs\.github\.com\S*/g, '').trim();
}

/**
 * A failure after which the request may still have been carried out: no answer (network, our timeout)
 * or a 5xx. Octokit reports both as status 500 or higher. A create that failed this way must be looked
 * up before it is sent again.
 */
export function isAmbiguous(err: unknown): boolean {
  const status = statusOf(err);
  return status === null || status >= 500;
}

function causeName(err: unknown): string {
  const cause = (err as { cause?: { name?: unknown } } | null)?.cause;
  return typeof cause?.name === 'string' ? cause.name : '';
}

/** When GitHub says we may try again, as ISO time; null when it gave no hint. */
export function retryAtOf(err: unknown, now: Date): string | null {
  const h = headersOf(err);
  const after = h['retry-after'];
  if (after !== undefined && after !== '' && Number.isFinite(Number(after))) {
    return new Date(now.getTime() + Number(after) * 1000).toISOString();
  }
  const reset = h['x-ratelimit-reset'];
  if (reset !== undefined && reset !== '' && Number.isFinite(Number(reset))) {
    return new Date(Number(reset) * 1000).toISOString();
  }
  return null;
}

function isRateLimit(err: unknown): boolean {
  const h = headersOf(err);
  return (
    h['x-ratelimit-remaining'] === '0' ||
    (h['retry-after'] !== undefined && h['retry-after'] !== '') ||
    /rate limit/i.test(ghMessage(err))
  );
}

/**
 * What to grant, from the 403 itself: `X-Accepted-GitHub-Permissions` (fine-grained tokens and Apps), or
 * `X-Accepted-OAuth-Scopes` (classic tokens: "the scopes that the action checks for", GitHub docs, "Scopes
 * for OAuth apps").
 */
export function missingPermission(err: unknown): string {
  const fine = describeAccepted(acceptedPermissionsOf(err));
  if (fine !== null) return `grant the token ${fine}`;
  const scopes = headersOf(err)['x-accepted-oauth-scopes'];
  if (typeof scopes === 'string' && scopes.trim() !== '') return `a classic token needs the scope ${scopes.split(',').map((x) => x.trim()).filter(Boolean).join(' or ')}`;
  return 'the token lacks permission for it';
}

export function mapGitHubError(err: unknown, ctx: ErrorContext): TrackerError {
  if (err instanceof TrackerError) return err;
  const status = statusOf(err);
  const now = ctx.now();
  const redact = makeRedactor([ctx.token]);
  const detail = redact(ghMessage(err));
  const make = (kind: TrackerError['kind'], message: string, retryAt: string | null = null) =>
    new TrackerError(kind, redact(message), retryAt);

  if (err instanceof AuthSourceError) return make('auth', err.message);
  if (status === 401) return make('auth', 'GitHub rejected the token (401): check GITHUB_TOKEN / tracker.token');
  if ((status === 403 || status === 429) && isRateLimit(err)) {
    const retryAt = retryAtOf(err, now) ?? new Date(now.getTime() + 60_000).toISOString();
    const which = /secondary/i.test(detail) ? 'secondary rate limit' : 'rate limit';
    return make('rate_limited', `GitHub ${which} reached while ${ctx.what} (${status}): retry after ${retryAt}`, retryAt);
  }
  if (status === 403) return make('auth', `GitHub refused ${ctx.what} on ${ctx.repo} (403): ${detail || 'forbidden'} — ${missingPermission(err)}`);
  if (status !== null && status >= 300 && status < 400) {
    // Never followed (see client.ts): an issue moved to another repository, or the repository renamed.
    const location = headersOf(err).location;
    const where = typeof location === 'string' && location !== '' ? ` to ${location}` : '';
    if (ctx.repoLevel) return make('config', `repository ${ctx.repo} has moved (GitHub redirects${where}): set tracker.repo to its new owner/name`);
    return make('not_found', `GitHub: moved to another repository while ${ctx.what} (${status})`);
  }
  if (status === 404 && ctx.repoLevel) {
    return make('config', `repository ${ctx.repo} not found or the token cannot see it`);
  }
  if (status === 404 || status === 410) return make('not_found', `GitHub: not found while ${ctx.what} (${status})`);
  if (status !== null && status >= 400 && status < 500) {
    return make('unavailable', `GitHub rejected ${ctx.what} (${status}): ${detail}`);
  }
  if (causeName(err) === 'TimeoutError' || /aborted due to timeout/i.test(detail)) {
    return make('unavailable', `GitHub did not answer in time while ${ctx.what}`);
  }
  const code = status !== null && status !== 500 ? ` (${status})` : '';
  return make('unavailable', `GitHub unavailable while ${ctx.what}${code}: ${detail || 'no response'}`);
}
