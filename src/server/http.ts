// HTTP transport for the daemon's API (routes in api.ts): the local dashboard server on server.host:port
// and the control socket both use createApiServer. Authentication: mutating requests over TCP need
// `Authorization: Bearer <.swarm/server-token>` when the server listens beyond loopback, and operator
// controls (pause/resume/retry/release) always do over TCP — any local user can reach 127.0.0.1. The
// control socket lives in a private place (0600 socket / 0700 folder), so it needs no token.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../state/atomic-file.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isControl, isMutating, routeApi, type DaemonHandle } from './api.js';

const MAX_BODY = 64 * 1024;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export interface ApiAuth {
  token: string;
  /** The server listens on loopback only. */
  loopback: boolean;
}

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** `.swarm/server-token`: created once with 32 random bytes, mode 0600; reused afterwards. */
export function ensureServerToken(file: string): string {
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) {
      chmodSync(file, 0o600);
      return existing;
    }
  } catch {
    /* create below */
  }
  const token = randomBytes(32).toString('hex');
  writeFileAtomic(file, token + '\n', { mode: 0o600 });
  return token;
}

/** Why this request may not proceed (status + message), or null when it may. */
export function authProblem(req: { method: string; path: string; headers: http.IncomingHttpHeaders }, auth: ApiAuth | null): { status: number; message: string } | null {
  if (!auth) return null;
  if (auth.loopback) {
    // A page on another site must not reach the API through DNS rebinding: the Host must be loopback.
    const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
    if (host && !isLoopbackHost(host)) return { status: 403, message: `requests must address this server by a loopback name (got Host: ${host})` };
  }
  const needsToken = isMutating(req.method) && (!auth.loopback || isControl(req));
  if (!needsToken) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
  const given = Buffer.from(m?.[1] ?? '');
  const want = Buffer.from(auth.token);
  if (given.length === want.length && timingSafeEqual(given, want)) return null;
  return { status: 401, message: 'this request needs Authorization: Bearer <token from .swarm/server-token>' };
}

export function createApiServer(handle: DaemonHandle, auth: ApiAuth | null, onError: (msg: string) => void = () => {}): http.Server {
  return http.createServer((req, res) => {
    const send = (status: number, contentType: string, body: string) => {
      res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const fail = (status: number, message: string) => send(status, 'application/json; charset=utf-8', JSON.stringify({ ok: false, message }) + '\n');
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] || '/';
    const problem = authProblem({ method, path, headers: req.headers }, auth);
    if (problem) {
      req.resume();
      return fail(problem.status, problem.message);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('error', () => {});
    req.on('end', () => {
      let body: unknown = null;
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          return fail(400, 'the request body must be JSON');
        }
      }
      routeApi({ method, path, body }, handle).then(
        (r) => send(r.status, r.contentType, r.body),
        (err: unknown) => {
          onError(`API ${method} ${path} failed: ${(err as Error).message}`);
          fail(500, 'internal error (see the daemon log)');
        },
      );
    });
  });
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listen on host:port (port 0: any free port). Rejects with a clear message when the port is taken. */
export async function startHttpServer(opts: { host: string; port: number; handle: DaemonHandle; tokenFile: string; onError?: (msg: string) => void }): Promise<RunningServer> {
  const auth: ApiAuth = { token: ensureServerToken(opts.tokenFile), loopback: isLoopbackHost(opts.host) };
  const server = createApiServer(opts.handle, auth, opts.onError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'EADDRINUSE' ? `server.port ${opts.port} on ${opts.host} is already in use: choose another port (server.port or --port)` : `cannot serve on ${opts.host}:${opts.port}: ${err.message}`)),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  server.on('error', (err) => opts.onError?.(`HTTP server: ${err.message}`));
  const port = (server.address() as AddressInfo).port;
  const hostPart = opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]` : opts.host;
  return { url: `http://${hostPart}:${port}/`, port, close: () => closeServer(server) };
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}
