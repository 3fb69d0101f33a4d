// The daemon's request router, shared by the local HTTP server (console, API, metrics) and the control
// socket (`swarm pause/resume/retry/release/explain/gc/dashboard` against a running daemon). Transport,
// authentication and body parsing live in the callers; this maps (method, path, body) onto a DaemonHandle.
import type { ControlResult } from '../core/controls.js';
import type { Snapshot } from '../report/status.js';
import type { TicketState } from '../core/types.js';
import type { Caller } from './auth.js';

/** What the routes need from a running daemon (implemented over the Orchestrator in handle.ts). */
export interface DaemonHandle {
  snapshot(): Snapshot;
  ticket(id: string): { ticket: TicketState; running: boolean } | null;
  metrics(): string;
  /** Poll now, unless an extra poll was granted within the last polling interval (see refresh-gate.ts). */
  refresh(): RefreshAnswer;
  pause(untilMs: number | null): Promise<ControlResult>;
  resume(): Promise<ControlResult>;
  retry(key: string, force?: boolean): Promise<ControlResult>;
  release(key: string): Promise<ControlResult>;
  /** Stop the running attempt (not counted) and leave the ticket alone. */
  cancel(key: string): Promise<ControlResult>;
  /** An operator's message into the running agent's session. */
  message(key: string, text: string): Promise<ControlResult>;
  /** `swarm explain` with the daemon's configuration and tracker: the report, or why not (404: unknown ticket). */
  explain?(id: string): Promise<{ status: number; body: unknown }>;
  /** `swarm gc` with the daemon's configuration and tracker: the printed report and the exit code. */
  gc?(opts: { dryRun: boolean; force: boolean; verbose?: boolean }): Promise<{ code: number; text: string }>;
  /** A one-time console login URL (`swarm dashboard`), or why there is none. */
  loginLink?(): { url: string } | { error: string };
  /** The console's pages (HTML), or null for a path that is not one. */
  page?(req: ApiRequest): Promise<ApiResponse | null>;
}

export type RefreshAnswer = { ok: true } | { ok: false; retryAfterMs: number; intervalMs: number };

export interface ApiRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  body: unknown;
  query?: URLSearchParams;
  /** Who is calling (null: nobody authenticated, e.g. a read-only page on loopback). */
  caller?: Caller | null;
}

export interface ApiResponse {
  status: number;
  contentType: string;
  body: string;
  headers?: Record<string, string>;
}

const JSON_TYPE = 'application/json; charset=utf-8';
export const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const TICKET_ACTIONS = new Set(['retry', 'release', 'cancel', 'message']);

export async function routeApi(req: ApiRequest, h: DaemonHandle, now: () => number = Date.now): Promise<ApiResponse> {
  const { method, path } = req;
  const get = method === 'GET' || method === 'HEAD';
  if (get && path === '/api/v1/state') return json(200, h.snapshot());
  if (get && path === '/metrics') return { status: 200, contentType: PROMETHEUS_TYPE, body: h.metrics() };
  if (get && path === '/healthz') return { status: 200, contentType: 'text/plain; charset=utf-8', body: 'ok\n' };
  const ticket = /^\/api\/v1\/tickets\/([^/]+)(?:\/([a-z]+))?$/.exec(path);
  if (ticket) return ticketRoute(req, h, ticket[1]!, ticket[2] ?? null);
  const explain = /^\/api\/v1\/explain\/([^/]+)$/.exec(path);
  if (explain && get && h.explain) {
    const id = decode(explain[1]!);
    if (id === null) return json(400, { ok: false, message: 'malformed ticket id in the URL' });
    const r = await h.explain(id);
    return json(r.status, r.body);
  }
  if (method === 'POST' && path === '/api/v1/gc' && h.gc) {
    const b = bodyOf(req.body);
    return json(200, await h.gc({ dryRun: b.dry_run === true, force: b.force === true, verbose: b.verbose === true }));
  }
  if (method === 'POST' && path === '/api/v1/login-link' && h.loginLink) {
    // A login is minted for the holder of the socket or the bearer token, never for a browser session.
    if (req.caller?.via !== 'socket' && req.caller?.via !== 'bearer') return json(403, { ok: false, message: 'a login link is made by `swarm dashboard` (the control socket) or with the bearer token' });
    const link = h.loginLink();
    return 'url' in link ? json(200, { ok: true, url: link.url }) : json(409, { ok: false, message: link.error });
  }
  if (method === 'POST' && path === '/api/v1/refresh') {
    const r = h.refresh();
    if (r.ok) return json(202, { ok: true, message: 'polling now' });
    const wait = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
    return {
      ...json(429, { ok: false, message: `an extra poll already ran within the polling interval (${Math.round(r.intervalMs / 1000)}s): at most one per interval; try again in ${wait}s`, retry_after_s: wait }),
      headers: { 'retry-after': String(wait) },
    };
  }
  if (method === 'POST' && path === '/api/v1/pause') {
    const until = pauseUntil(req.body, now());
    if (typeof until === 'string') return json(400, { ok: false, message: until });
    return result(await h.pause(until));
  }
  if (method === 'POST' && path === '/api/v1/resume') return result(await h.resume());
  if (get && h.page) {
    const page = await h.page(req);
    if (page) return page;
  }
  return json(404, { ok: false, message: `no such endpoint: ${method} ${path}` });
}

async function ticketRoute(req: ApiRequest, h: DaemonHandle, rawId: string, action: string | null): Promise<ApiResponse> {
  const { method, path } = req;
  const id = decode(rawId);
  if (id === null) return json(400, { ok: false, message: 'malformed ticket id in the URL' });
  const found = h.ticket(id);
  if (action === null && (method === 'GET' || method === 'HEAD')) return found ? json(200, found) : json(404, { ok: false, message: `ticket ${id} is not known to swarm` });
  if (action === null || !TICKET_ACTIONS.has(action)) return json(404, { ok: false, message: `no such endpoint: ${method} ${path}` });
  if (method !== 'POST') return json(405, { ok: false, message: `${method} is not allowed on ${path}` });
  if (!found) return json(404, { ok: false, message: `ticket ${id} is not known to swarm (it was never claimed)` });
  const key = found.ticket.key;
  const b = bodyOf(req.body);
  switch (action) {
    case 'retry':
      return result(await h.retry(key, b.force === true));
    case 'release':
      return result(await h.release(key));
    case 'cancel':
      return result(await h.cancel(key));
    default:
      if (typeof b.text !== 'string') return json(400, { ok: false, message: 'the body must be {"text": "…"}' });
      return result(await h.message(key, b.text));
  }
}

/** Body {for_ms: number} or {until: ISO string} or nothing (until `swarm resume`); a string is an error. */
function pauseUntil(body: unknown, now: number): number | null | string {
  const b = bodyOf(body);
  if (b.for_ms !== undefined && b.for_ms !== null) {
    if (typeof b.for_ms !== 'number' || !Number.isFinite(b.for_ms) || b.for_ms <= 0) return 'for_ms must be a positive number of milliseconds';
    return now + b.for_ms;
  }
  if (b.until !== undefined && b.until !== null) {
    const t = typeof b.until === 'string' ? Date.parse(b.until) : NaN;
    if (!Number.isFinite(t)) return 'until must be an ISO date-time';
    return t;
  }
  return null;
}

function bodyOf(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

function decode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

function result(r: ControlResult): ApiResponse {
  return json(r.ok ? 200 : 409, r);
}

export function json(status: number, body: unknown): ApiResponse {
  return { status, contentType: JSON_TYPE, body: JSON.stringify(body, null, 2) + '\n' };
}
