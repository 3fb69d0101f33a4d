// Who may use the daemon's HTTP API, decided in one place for every route. Two questions, kept apart:
// authenticate() — who is calling (the holder of the bearer token in .swarm/server-token, or a console
// browser session from `swarm dashboard`'s one-time login, sessions.ts) — and authProblem() — what this
// route needs: every mutating request is authenticated, wherever the server listens (any local program,
// and any web page through the browser, can reach 127.0.0.1); beyond loopback every route is, except
// /healthz. Browser defences on top: a loopback server answers only to a loopback Host (DNS rebinding), and
// a mutating request that a browser marks as coming from another site (an Origin that is not this
// server's) is refused even with valid credentials, so a session cookie can never be ridden cross-site; a
// mutating request on a browser session must carry its Origin at all (the CSRF check: a browser always
// sends one on a POST from a page; only a forged request would leave it out).
// The control socket needs none of this: it is a private 0600 socket (auth = null).
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isLoopbackHost } from '../config/server.js';
import { sessionFromCookie, type Sessions } from './sessions.js';

export { isLoopbackHost };

export interface ApiAuth {
  token: string;
  /** The server listens on loopback only. */
  loopback: boolean;
  /** Console sessions (absent: bearer only). */
  sessions?: Sessions | null;
}

export interface AuthRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  headers: IncomingHttpHeaders;
}

/** Who is calling: a script with the bearer token, a console browser session, or the private control socket. */
export type Caller = { via: 'bearer' } | { via: 'session'; session: string } | { via: 'socket' };

export interface AuthProblem {
  status: number;
  message: string;
  headers?: Record<string, string>;
}

/** Routes anyone may call, wherever the server listens: the liveness probe, and the login that trades a one-time token. */
export function isPublicRoute(req: Pick<AuthRequest, 'method' | 'path'>): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && (req.path === '/healthz' || req.path === '/login');
}

export function isMutating(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD';
}

/** The caller's credentials checked (constant time), or null when there are none or they are wrong. */
export function authenticate(headers: IncomingHttpHeaders, auth: ApiAuth): Caller | null {
  const m = /^Bearer\s+(\S+)$/i.exec(String(headers.authorization ?? ''));
  if (m && sameSecret(m[1]!, auth.token)) return { via: 'bearer' };
  const cookie = sessionFromCookie(typeof headers.cookie === 'string' ? headers.cookie : undefined);
  const session = cookie && auth.sessions ? auth.sessions.check(cookie) : null;
  if (session) return { via: 'session', session };
  return null;
}

/** Why this request may not proceed (status + message), or null when it may. */
export function authProblem(req: AuthRequest, auth: ApiAuth | null): AuthProblem | null {
  if (!auth) return null;
  const host = String(req.headers.host ?? '');
  if (auth.loopback) {
    // A page on another site must not reach the API through DNS rebinding: the Host must be loopback.
    const name = host.replace(/:\d+$/, '');
    if (name && !isLoopbackHost(name)) return { status: 403, message: `requests must address this server by a loopback name (got Host: ${name})` };
  }
  const mutating = isMutating(req.method);
  if (mutating && req.headers.origin !== undefined && !sameOrigin(String(req.headers.origin), host)) {
    return { status: 403, message: `cross-site request refused (Origin: ${String(req.headers.origin).slice(0, 100)}): the API takes changes only from this server's own pages or from clients that send no Origin` };
  }
  if (isPublicRoute(req) || (!mutating && auth.loopback)) return null;
  const caller = authenticate(req.headers, auth);
  if (caller?.via === 'session' && mutating && (req.headers.origin === undefined || req.headers['sec-fetch-site'] === 'cross-site')) {
    return { status: 403, message: 'a console request that changes something must come from this server\'s own page (no Origin header: refused as cross-site)' };
  }
  if (caller) return null;
  return {
    status: 401,
    message: 'this request needs a console session (run `swarm dashboard` and open the link it prints) or Authorization: Bearer <token from .swarm/server-token>',
    headers: { 'www-authenticate': 'Bearer realm="swarm"' },
  };
}

/** A browser's Origin names this server: same host and port as the request's Host (scheme aside). */
function sameOrigin(origin: string, host: string): boolean {
  let u: URL;
  try {
    u = new URL(origin); // "null" (sandboxed frames, file: pages) is not a URL: foreign
  } catch {
    return false;
  }
  return host !== '' && u.host.toLowerCase() === host.toLowerCase();
}

function sameSecret(given: string, want: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
}
