// The daemon's request router, shared by the local HTTP server (dashboard, API, metrics) and the control
// socket (`swarm pause/resume/retry/release` against a running daemon). Transport, authentication and
// body parsing live in the callers; this maps (method, path, body) onto a DaemonHandle.
import type { ControlResult } from '../core/controls.js';
import type { Snapshot } from '../report/status.js';
import type { TicketState } from '../core/types.js';
import { dashboardPage } from './dashboard.js';

/** What the routes need from a running daemon (implemented over the Orchestrator in handle.ts). */
export interface DaemonHandle {
  snapshot(): Snapshot;
  ticket(id: string): { ticket: TicketState; running: boolean } | null;
  metrics(): string;
  /** Poll now, unless an extra poll was granted within the last polling interval (see refresh-gate.ts). */
  refresh(): RefreshAnswer;
  pause(untilMs: number | null): Promise<ControlResult>;
  resume(): Promise<ControlResult>;
  retry(key: string): Promise<ControlResult>;
  release(key: string): Promise<ControlResult>;
}

export type RefreshAnswer = { ok: true } | { ok: false; retryAfterMs: number; intervalMs: number };

export interface ApiRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  body: unknown;
}

export interface ApiResponse {
  status: number;
  contentType: string;
  body: string;
  headers?: Record<string, string>;
}

const JSON_TYPE = 'application/json; charset=utf-8';
export const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export async function routeApi(req: ApiRequest, h: DaemonHandle, now: () => number = Date.now): Promise<ApiResponse> {
  const { method, path } = req;
  const get = method === 'GET' || method === 'HEAD';
  if (get && (path === '/' || path === '/index.html')) return { status: 200, contentType: 'text/html; charset=utf-8', body: dashboardPage(h.snapshot()) };
  if (get && path === '/api/v1/state') return json(200, h.snapshot());
  if (get && path === '/metrics') return { status: 200, contentType: PROMETHEUS_TYPE, body: h.metrics() };
  if (get && path === '/healthz') return { status: 200, contentType: 'text/plain; charset=utf-8', body: 'ok\n' };
  const ticket = /^\/api\/v1\/tickets\/([^/]+)(?:\/(retry|release))?$/.exec(path);
  if (ticket) {
    let id: string;
    try {
      id = decodeURIComponent(ticket[1]!);
    } catch {
      return json(400, { ok: false, message: 'malformed ticket id in the URL' });
    }
    const found = h.ticket(id);
    if (!ticket[2] && get) return found ? json(200, found) : json(404, { ok: false, message: `ticket ${id} is not known to swarm` });
    if (ticket[2] && method === 'POST') {
      if (!found) return json(404, { ok: false, message: `ticket ${id} is not known to swarm (it was never claimed)` });
      return result(await (ticket[2] === 'retry' ? h.retry(found.ticket.key) : h.release(found.ticket.key)));
    }
    return json(405, { ok: false, message: `${method} is not allowed on ${path}` });
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
  return json(404, { ok: false, message: `no such endpoint: ${method} ${path}` });
}

/** Body {for_ms: number} or {until: ISO string} or nothing (until `swarm resume`); a string is an error. */
function pauseUntil(body: unknown, now: number): number | null | string {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { for_ms?: unknown; until?: unknown };
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

function result(r: ControlResult): ApiResponse {
  return json(r.ok ? 200 : 409, r);
}

function json(status: number, body: unknown): ApiResponse {
  return { status, contentType: JSON_TYPE, body: JSON.stringify(body, null, 2) + '\n' };
}
