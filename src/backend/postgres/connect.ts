// Turning `state.url` into a pg pool: URL parsing, sslmode, timeouts, and a pool whose connection errors
// can never crash the daemon. The URL arrives already `$ENV`-resolved from the config loader, and the
// environment is passed in (this module never reads process.env). Every error is a ConfigError that names
// `state.url` and never repeats the password.
import pg from 'pg';
import type { PoolConfig } from 'pg';
import { ConfigError } from '../../errors.js';

export interface PgConnectOptions {
  /** Give up opening a connection after this long (ms); default 5 s. `connect_timeout` in the URL wins. */
  connectTimeoutMs?: number;
  /** Server-side `statement_timeout` (ms); default 10 s. */
  statementTimeoutMs?: number;
  /**
   * Client-side limit on waiting for a query's answer (ms); default statementTimeoutMs + 2 s, so the
   * server's own cancel normally comes first and this only fires when the network is gone.
   */
  queryTimeoutMs?: number;
  /** Pool size; default 10 (pg's default). */
  max?: number;
  /** Close a pooled connection idle for this long (ms); default 30 s. */
  idleTimeoutMs?: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;
/** TCP keepalive probes start after this much silence, so a dead peer is noticed in minutes, not hours. */
const KEEPALIVE_DELAY_MS = 10_000;

/** Query parameters understood in `state.url` (a subset of libpq's). Anything else is refused by name. */
const KNOWN_PARAMS = ['sslmode', 'connect_timeout', 'application_name', 'host'] as const;
type SslMode = 'disable' | 'require' | 'verify-full';
const SSL_MODES: readonly SslMode[] = ['disable', 'require', 'verify-full'];

const EXAMPLE = 'postgres://user:password@host:5432/database';

function fail(problem: string, fix: string): never {
  throw new ConfigError(`state.url ${problem}: ${fix}`);
}

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return fail(`has a badly percent-encoded ${what}`, `encode special characters as %XX, e.g. ${EXAMPLE}`);
  }
}

function positiveInt(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number (got ${value})`);
  return Math.round(value);
}

function sslOption(mode: string | null): PoolConfig['ssl'] {
  if (mode === null || mode === 'disable') return false;
  if (mode === 'require') return { rejectUnauthorized: false }; // libpq's meaning: encrypted, certificate unchecked
  if (mode === 'verify-full') return { rejectUnauthorized: true }; // pg checks the host name against the certificate
  return fail(`has sslmode=${mode}, which swarm does not support`, `use sslmode=${SSL_MODES.join(', ')}`);
}

/**
 * The pg pool configuration for `url`. Password: from the URL, else `env.PGPASSWORD`. sslmode: `disable`
 * (also the default), `require` (encrypt, do not verify) or `verify-full` (encrypt and verify the certificate
 * and host name).
 */
export function poolConfig(url: string, env: Readonly<Record<string, string | undefined>> = {}, opts: PgConnectOptions = {}): PoolConfig {
  const trimmed = url.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined) fail('is not a URL', `write it as ${EXAMPLE}`);
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    fail(`must start with postgres:// or postgresql:// (found ${scheme}:)`, `write it as ${EXAMPLE}`);
  }
  let u: URL;
  try {
    u = new URL(trimmed);
  } catch {
    return fail('is not a valid URL', `write it as ${EXAMPLE}, percent-encoding special characters in the password`);
  }

  for (const key of new Set(u.searchParams.keys())) {
    if (!(KNOWN_PARAMS as readonly string[]).includes(key)) {
      fail(`has the parameter "${key}", which swarm does not understand`, `remove it; swarm reads only ${KNOWN_PARAMS.join(', ')}`);
    }
  }

  const hostParam = u.searchParams.get('host');
  const host = u.hostname !== '' ? u.hostname.replace(/^\[(.*)\]$/, '$1') : hostParam;
  if (host === null || host === '') fail('names no host', `write it as ${EXAMPLE}`);

  let port = 5432;
  if (u.port !== '') {
    port = Number(u.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`has an invalid port (${u.port})`, 'use a number from 1 to 65535');
  }

  const database = decode(u.pathname.replace(/^\//, ''), 'database name');
  if (database === '' || database.includes('/')) fail('names no database', `put it after the host, e.g. ${EXAMPLE}`);

  const user = decode(u.username, 'user name');
  if (user === '') fail('names no user', `put it before the host, e.g. ${EXAMPLE}`);

  const fromUrl = u.password !== '' ? decode(u.password, 'password') : '';
  const password = fromUrl !== '' ? fromUrl : env.PGPASSWORD !== undefined && env.PGPASSWORD !== '' ? env.PGPASSWORD : undefined;

  let connectTimeoutMs = positiveInt(opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, 'connectTimeoutMs');
  const connectParam = u.searchParams.get('connect_timeout');
  if (connectParam !== null) {
    const seconds = Number(connectParam);
    if (!/^\d+$/.test(connectParam) || seconds < 1) fail(`has connect_timeout=${connectParam}`, 'give a whole number of seconds, at least 1');
    connectTimeoutMs = seconds * 1000;
  }
  const statementTimeoutMs = positiveInt(opts.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS, 'statementTimeoutMs');
  const queryTimeoutMs = positiveInt(opts.queryTimeoutMs ?? statementTimeoutMs + 2_000, 'queryTimeoutMs');

  const config: PoolConfig = {
    host,
    port,
    database,
    user,
    ssl: sslOption(u.searchParams.get('sslmode')),
    application_name: u.searchParams.get('application_name') || 'swarm',
    connectionTimeoutMillis: connectTimeoutMs,
    statement_timeout: statementTimeoutMs,
    query_timeout: queryTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
    max: opts.max ?? 10,
    idleTimeoutMillis: opts.idleTimeoutMs ?? 30_000,
  };
  if (password !== undefined) config.password = password;
  return config;
}

/** `url` with its password (and any `password=` parameter) replaced by `***`, for messages and logs. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url.trim());
    if (u.password !== '') u.password = '***';
    if (u.searchParams.has('password')) u.searchParams.set('password', '***');
    return u.toString().replace(/%2A%2A%2A/g, '***');
  } catch {
    // Not parseable: mask whatever sits between "user:" and the last "@" of the authority, and any password=.
    return url
      .trim()
      .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*:)[^/?#]*@/i, '$1***@')
      .replace(/([?&]password=)[^&#]*/gi, '$1***');
  }
}

export interface OpenPoolOptions extends PgConnectOptions {
  /**
   * Called once per broken connection with its first error (a pooled client dropped by the server, a
   * network error on a checked-out client, including one that a running query also rejects with). Without
   * these listeners such an error would be an unhandled 'error' event and kill the process.
   */
  onError?: (err: Error) => void;
}

/** A pg pool for `url` whose connection errors go to `onError` instead of crashing the process. */
export function openPool(url: string, env: Readonly<Record<string, string | undefined>> = {}, opts: OpenPoolOptions = {}): pg.Pool {
  const pool = new pg.Pool(poolConfig(url, env, opts));
  // One report per connection: a dropped connection often errors twice (the server's FATAL, then "Connection
  // terminated unexpectedly"), and an idle one reaches both listeners below.
  const reported = new WeakSet<object>();
  const report = (client: object, err: Error) => {
    if (reported.has(client)) return;
    reported.add(client);
    try {
      opts.onError?.(err);
    } catch {
      // a throwing callback must not turn a handled connection error back into a crash
    }
  };
  // pg-pool listens for errors only while a client is idle in the pool; a checked-out client (say, one
  // holding an advisory lock) that loses its connection between queries would emit an unhandled 'error'.
  pool.on('connect', (client) => client.on('error', (err) => report(client, err)));
  pool.on('error', (err, client) => report(client, err));
  return pool;
}
