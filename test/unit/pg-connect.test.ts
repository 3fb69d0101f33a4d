import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { poolConfig, redactedUrl } from '../../src/backend/postgres/connect.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('poolConfig', () => {
  test('takes host, port, database, user and password from the URL', () => {
    const c = poolConfig('postgres://alice:s3cret@db.example.com:6543/swarm', {});
    expect(c).toMatchObject({ host: 'db.example.com', port: 6543, database: 'swarm', user: 'alice', password: 's3cret' });
  });

  test('decodes percent-encoded parts and defaults the port to 5432', () => {
    const c = poolConfig('postgres://al%40ice:p%3Aw%40d%2F1@10.0.0.5/my%20db', {});
    expect(c).toMatchObject({ host: '10.0.0.5', port: 5432, database: 'my db', user: 'al@ice', password: 'p:w@d/1' });
  });

  test('accepts the postgresql:// scheme and IPv6 hosts', () => {
    expect(poolConfig('postgresql://bob:x@[::1]:5433/fleet', {})).toMatchObject({ host: '::1', port: 5433, database: 'fleet', user: 'bob' });
  });

  test('without a password in the URL, uses PGPASSWORD from the env passed in', () => {
    expect(poolConfig('postgres://bob@db/fleet', { PGPASSWORD: 'from-env' }).password).toBe('from-env');
    expect(poolConfig('postgres://bob:in-url@db/fleet', { PGPASSWORD: 'from-env' }).password).toBe('in-url');
    expect(poolConfig('postgres://bob@db/fleet', {}).password).toBeUndefined();
  });

  test('sslmode: absent and disable → no TLS, require → TLS without verification, verify-full → verified', () => {
    expect(poolConfig('postgres://u:p@db/x', {}).ssl).toBe(false);
    expect(poolConfig('postgres://u:p@db/x?sslmode=disable', {}).ssl).toBe(false);
    expect(poolConfig('postgres://u:p@db/x?sslmode=require', {}).ssl).toEqual({ rejectUnauthorized: false });
    expect(poolConfig('postgres://u:p@db/x?sslmode=verify-full', {}).ssl).toEqual({ rejectUnauthorized: true });
    const e = configError(() => poolConfig('postgres://u:p@db/x?sslmode=prefer', {}));
    expect(e.message).toMatch(/^state\.url has sslmode=prefer.*: use sslmode=disable, require, verify-full$/);
  });

  test('sets application_name, timeouts and keepalive; options and connect_timeout override the defaults', () => {
    const c = poolConfig('postgres://u:p@db/x', {});
    expect(c).toMatchObject({
      application_name: 'swarm',
      connectionTimeoutMillis: 5_000,
      statement_timeout: 10_000,
      query_timeout: 12_000,
      keepAlive: true,
    });
    const o = poolConfig('postgres://u:p@db/x?application_name=swarm-a', {}, { connectTimeoutMs: 1_000, statementTimeoutMs: 500, queryTimeoutMs: 900, max: 3 });
    expect(o).toMatchObject({ application_name: 'swarm-a', connectionTimeoutMillis: 1_000, statement_timeout: 500, query_timeout: 900, max: 3 });
    expect(poolConfig('postgres://u:p@db/x?connect_timeout=2', {}, { connectTimeoutMs: 9_000 }).connectionTimeoutMillis).toBe(2_000);
  });

  test.each([
    ['not-a-url', /^state\.url is not a URL: write it as postgres:\/\//],
    ['mysql://u:p@db/x', /^state\.url must start with postgres:\/\/ or postgresql:\/\/ \(found mysql:\)/],
    ['postgres:///x', /^state\.url names no host/],
    ['postgres://u:p@db', /^state\.url names no database/],
    ['postgres://db/x', /^state\.url names no user/],
    ['postgres://u:p@db:99999/x', /^state\.url (is not a valid URL|has an invalid port)/],
    ['postgres://u:p@db/x?schema=public', /^state\.url has the parameter "schema", which swarm does not understand: remove it/],
    ['postgres://u:p@db/x?connect_timeout=soon', /^state\.url has connect_timeout=soon/],
    ['postgres://u:p%zz@db/x', /^state\.url has a badly percent-encoded password/],
  ])('refuses %s with a ConfigError naming state.url and the fix', (url, message) => {
    const e = configError(() => poolConfig(url, {}));
    expect(e.code).toBe('ECONFIG');
    expect(e.message).toMatch(message);
    expect(e.message).toMatch(/: \S/); // problem, then the fix
  });

  test('never puts the password in an error message', () => {
    for (const url of ['postgres://u:hunter2-secret@db', 'postgres://u:hunter2-secret@db/x?sslmode=maybe', 'postgres://u:hunter2-secret@db/x?junk=1']) {
      expect(configError(() => poolConfig(url, {})).message).not.toContain('hunter2');
    }
  });
});

describe('redactedUrl', () => {
  test('replaces the password with *** and keeps the rest', () => {
    expect(redactedUrl('postgres://alice:s3cret@db:5432/swarm?sslmode=require')).toBe('postgres://alice:***@db:5432/swarm?sslmode=require');
    expect(redactedUrl('postgresql://alice:p%40ss@db/swarm')).toBe('postgresql://alice:***@db/swarm');
    expect(redactedUrl('postgres://alice@db/swarm')).toBe('postgres://alice@db/swarm');
    expect(redactedUrl('postgres://alice@db/swarm?password=s3cret')).toBe('postgres://alice@db/swarm?password=***');
  });

  test('masks a password even in a URL that does not parse', () => {
    const out = redactedUrl('postgres://alice:s3cr et@db:notaport/swarm');
    expect(out).not.toContain('s3cr');
    expect(out).toContain('alice:***@');
  });
});
