// HTTP(S) transport for the daemon's API (routes in api.ts): the local console server on
// server.host:port and the control socket both use createApiServer. Who may call what is auth.ts's
// decision (the bearer token from .swarm/server-token, or a console session); the control socket lives in a
// private place (0600 socket / 0700 folder), so it needs no token. With server.tls the server speaks HTTPS
// (node:https). Two routes are transport-level: GET /login trades a one-time token for a session cookie,
// and GET /api/v1/stream holds the response open for server-sent events (console/sse.ts).
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-file.js';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { routeApi, type DaemonHandle } from './api.js';
import { isWebhookPath, type WebhookReceiver } from './webhooks/receiver.js';
import { authenticate, authProblem, isLoopbackHost, type ApiAuth, type Caller } from './auth.js';
import { Sessions } from './sessions.js';
import { messagePage } from './console/layout.js';

/** Answers GET /api/v1/stream (server-sent events), holding the response open. */
export type StreamServer = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export { authProblem, isLoopbackHost, type ApiAuth };

const MAX_BODY = 64 * 1024;

/** PEM files for HTTPS (server.tls), paths already resolved. */
export interface TlsFiles {
  cert: string;
  key: string;
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

type AnyServer = http.Server | https.Server;

export function createApiServer(handle: DaemonHandle, auth: ApiAuth | null, onError: (msg: string) => void = () => {}, tls: { cert: Buffer; key: Buffer } | null = null, webhooks: WebhookReceiver | null = null, stream: StreamServer | null = null): AnyServer {
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const send = (status: number, contentType: string, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const method = req.method ?? 'GET';
    const [rawPath, rawQuery] = (req.url ?? '/').split('?');
    const path = rawPath || '/';
    const query = new URLSearchParams(rawQuery ?? '');
    // People read pages; scripts read JSON: a refusal comes in the form the caller asked for.
    const page = method === 'GET' && !path.startsWith('/api/') && path !== '/metrics' && path !== '/healthz';
    const fail = (status: number, message: string, headers?: Record<string, string>) =>
      page ? send(status, 'text/html; charset=utf-8', messagePage(status === 401 ? 'Log in to the swarm console' : 'Refused', message), headers)
        : send(status, 'application/json; charset=utf-8', JSON.stringify({ ok: false, message }) + '\n', headers);
    // The one exception to the authentication below, by design: webhook deliveries carry no token and come
    // through a proxy under any Host. Their HMAC signature is their authentication (webhooks/receiver.ts).
    if (webhooks && isWebhookPath(path)) return void webhooks.serve(req, res, path);
    const problem = authProblem({ method, path, headers: req.headers }, auth);
    if (problem) {
      req.resume();
      return fail(problem.status, problem.message, problem.headers);
    }
    const caller: Caller | null = auth === null ? { via: 'socket' } : authenticate(req.headers, auth);
    if (path === '/login' && auth?.sessions) {
      req.resume();
      const session = auth.sessions.redeem(query.get('token') ?? '');
      if (!session) return fail(401, 'this login link was already used or has expired: run `swarm dashboard` for a new one');
      return send(303, 'text/plain; charset=utf-8', 'logged in\n', { location: '/', 'set-cookie': Sessions.cookie(session, tls !== null) });
    }
    if (path === '/api/v1/stream' && method === 'GET' && stream) {
      req.resume();
      return stream(req, res);
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
      routeApi({ method, path, body, query, caller }, handle).then(
        (r) => send(r.status, r.contentType, r.body, r.headers),
        (err: unknown) => {
          onError(`API ${method} ${path} failed: ${(err as Error).message}`);
          fail(500, 'internal error (see the daemon log)');
        },
      );
    });
  };
  return tls ? https.createServer({ cert: tls.cert, key: tls.key }, listener) : http.createServer(listener);
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listen on host:port (port 0: any free port). Rejects with a clear message when the port is taken. */
export async function startHttpServer(opts: { host: string; port: number; handle: DaemonHandle; tokenFile: string; tls?: TlsFiles | null; onError?: (msg: string) => void; sessions?: Sessions | null; stream?: StreamServer | null; webhooks?: WebhookReceiver | null }): Promise<RunningServer> {
  const auth: ApiAuth = { token: ensureServerToken(opts.tokenFile), loopback: isLoopbackHost(opts.host), sessions: opts.sessions ?? null };
  const pem = opts.tls ? { cert: readPem(opts.tls.cert, 'server.tls.cert'), key: readPem(opts.tls.key, 'server.tls.key') } : null;
  let server: AnyServer;
  try {
    server = createApiServer(opts.handle, auth, opts.onError, pem, opts.webhooks ?? null, opts.stream ?? null);
  } catch (err) {
    // node:https checks the pair at once (a key that does not match the certificate, a malformed PEM).
    throw new Error(`server.tls: cannot serve HTTPS with ${opts.tls!.cert} and ${opts.tls!.key} (${(err as Error).message}): give the PEM certificate chain and its private key`);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'EADDRINUSE' ? `server.port ${opts.port} on ${opts.host} is already in use: choose another port (server.port or --port)` : `cannot serve on ${opts.host}:${opts.port}: ${err.message}`)),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  server.on('error', (err) => opts.onError?.(`HTTP server: ${err.message}`));
  const port = (server.address() as AddressInfo).port;
  const hostPart = opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]` : opts.host;
  return { url: `${pem ? 'https' : 'http'}://${hostPart}:${port}/`, port, close: () => closeServer(server) };
}

function readPem(file: string, key: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`${key} ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): give the path of a PEM file (relative paths start at the repository root)`);
  }
}

export function closeServer(server: AnyServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}
