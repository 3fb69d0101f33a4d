// The webhook routes on the daemon's real HTTP server, in-process: they bypass the API's authentication (a
// server beyond loopback needs the bearer token for every other POST, and a Host check guards loopback)
// because the signature is their authentication; every refusal is answered before anything is handed on;
// the method, content type, missing configuration and a body that never finishes are refused too.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyState } from '../../src/state/empty-state.js';
import { buildSnapshot } from '../../src/report/status.js';
import { createApiServer, ensureServerToken } from '../../src/server/http.js';
import type { DaemonHandle } from '../../src/server/api.js';
import { WebhookReceiver } from '../../src/server/webhooks/receiver.js';
import { DeliveryLog } from '../../src/webhooks/deliveries.js';
import { WebhookStats } from '../../src/webhooks/stats.js';
import { validateConfig } from '../../src/config/schema.js';
import { Logger } from '../../src/log/logger.js';
import type { Mapped } from '../../src/webhooks/hints.js';
import { postGithub, postLinear } from '../helpers/webhook-signing.js';

const SECRET = 'receiver-test-secret-0001';
let url = '';
let dir = '';
let close: () => void = () => {};
const accepted: { source: string; mapped: Mapped }[] = [];
let out = '';
let githubOn = true;

const handle: DaemonHandle = {
  snapshot: () => buildSnapshot(emptyState(0), null, 0),
  ticket: () => null,
  metrics: () => '',
  refresh: () => ({ ok: true }),
  pause: async () => ({ ok: true, message: '' }),
  resume: async () => ({ ok: true, message: '' }),
  retry: async () => ({ ok: true, message: '' }),
  release: async () => ({ ok: true, message: '' }),
  cancel: async () => ({ ok: true, message: '' }),
  message: async () => ({ ok: true, message: '' }),
};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-receiver-'));
  const config = () => validateConfig({
    tracker: { kind: 'linear', team: 'ENG' }, server: { port: 1 },
    webhooks: { github_secret: githubOn ? SECRET : null, linear_secret: SECRET },
  }, { file: 'WORKFLOW.md', env: {} }).config;
  const log = new Logger({ eventsFile: null, out: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream });
  const receiver = new WebhookReceiver({
    config, repo: () => 'acme/widgets', log, now: Date.now, deliveries: new DeliveryLog(null), stats: new WebhookStats(),
    accept: (source, mapped) => void accepted.push({ source, mapped }),
  });
  // Beyond loopback: every other POST needs the bearer token.
  const server = createApiServer(handle, { token: ensureServerToken(path.join(dir, 'token')), loopback: false }, () => undefined, null, receiver);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  close = () => {
    server.closeAllConnections();
    server.close();
  };
});

afterAll(() => {
  close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('webhook routes on the API server', () => {
  it('need no token (a signed delivery is accepted) where every other POST does', async () => {
    expect((await fetch(`${url}/api/v1/refresh`, { method: 'POST' })).status).toBe(401);
    const res = await postGithub(`${url}/webhooks/github`, { event: 'issues', payload: { action: 'labeled', issue: { number: 5 }, repository: { full_name: 'acme/widgets' } }, secret: SECRET });
    expect(res.status).toBe(200);
    expect(accepted.at(-1)).toEqual({ source: 'github', mapped: { kind: 'hints', event: 'issues', action: 'labeled', hints: { tickets: ['5'], prs: [], commits: [] } } });
    // Any Host: deliveries come through proxies under the public name.
    const viaProxy = await fetch(`${url}/webhooks/github`, { method: 'POST', headers: { host: 'swarm.example.com' }, body: '{}' });
    expect(viaProxy.status).toBe(401);
  });

  it('refuse what is not a signed JSON POST, handing nothing on', async () => {
    const before = accepted.length;
    expect((await fetch(`${url}/webhooks/github`)).status).toBe(405);
    expect((await postGithub(`${url}/webhooks/github`, { event: 'issues', body: 'payload=%7B%7D', secret: SECRET, contentType: 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect((await postGithub(`${url}/webhooks/github`, { event: 'issues', body: '{not json', secret: SECRET })).status).toBe(400);
    expect((await postGithub(`${url}/webhooks/github`, { event: 'Issues; rm -rf', payload: {}, secret: SECRET })).status).toBe(400);
    expect((await postLinear(`${url}/webhooks/linear`, { payload: { type: 'Issue', action: 'update', data: { identifier: 'ENG-1' } }, secret: SECRET, timestamp: Date.now() + 2 * 60_000 })).status).toBe(400);
    expect((await postLinear(`${url}/webhooks/linear`, { payload: { type: 'Issue', action: 'update', data: { identifier: 'ENG-1' } }, secret: 'some-other-linear-secret' })).status).toBe(401);
    expect(accepted.length).toBe(before);
  });

  it('a fresh, signed Linear delivery is accepted once; its replay is a no-op', async () => {
    const payload = { type: 'Issue', action: 'update', data: { identifier: 'ENG-7', team: { key: 'ENG' } } };
    const timestamp = Date.now();
    expect((await postLinear(`${url}/webhooks/linear`, { payload, secret: SECRET, timestamp, delivery: 'd-1' })).status).toBe(200);
    expect(accepted.at(-1)?.mapped).toMatchObject({ kind: 'hints', hints: { tickets: ['ENG-7'] } });
    const n = accepted.length;
    const replay = await postLinear(`${url}/webhooks/linear`, { payload, secret: SECRET, timestamp, delivery: 'd-1' });
    expect(replay.status).toBe(200);
    expect(replay.text).toContain('already received');
    expect(accepted.length).toBe(n);
  });

  it('a source without a secret answers 404 and says so', async () => {
    githubOn = false;
    try {
      const res = await postGithub(`${url}/webhooks/github`, { event: 'ping', payload: {}, secret: SECRET });
      expect(res.status).toBe(404);
      expect(res.text).toContain('webhooks.github_secret is not set');
    } finally {
      githubOn = true;
    }
  });

  it('an announced 100 MB body is refused from its Content-Length at once (413), the connection closed', async () => {
    // Announce 100 MB and send a little: refused at once from the header, the connection closed.
    const answer = await new Promise<string>((resolve) => {
      const sock = net.connect(Number(new URL(url).port), '127.0.0.1', () => {
        sock.write(`POST /webhooks/github HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n{"a":`);
      });
      let got = '';
      sock.on('data', (d) => (got += d));
      sock.on('close', () => resolve(got));
      sock.on('error', () => resolve(got));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(out).toMatch(/webhook refused \(413\)/);
  });
});
