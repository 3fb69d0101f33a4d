// The console's live stream over real HTTP, and its history over a real growing, rotating events log:
// a client resumes from Last-Event-ID (or gets `reset` when the ring lost what it missed), a client that
// stops reading is dropped once what is queued for it passes the bound (the daemon never buffers without
// limit), and the history reads only what was appended, following a rotation to events.jsonl.1.
import * as fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/server/console/bus.js';
import { streamServer } from '../../src/server/console/sse.js';
import { History } from '../../src/server/console/history.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function serve(bus: EventBus, opts = {}): Promise<number> {
  const handler = streamServer(bus, opts);
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return (server.address() as AddressInfo).port;
}

/** Read the stream until `until` says stop; the raw text. */
function read(port: number, headers: Record<string, string>, until: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/api/v1/stream', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        if (until(text)) {
          req.destroy();
          resolve(text);
        }
      });
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
  });
}

describe('GET /api/v1/stream', () => {
  it('resumes after Last-Event-ID, then goes on live; a reset when the ring lost what was missed', async () => {
    const bus = new EventBus(undefined, 5);
    for (let i = 1; i <= 4; i++) bus.publish('status', { n: i });
    const port = await serve(bus);
    const got = read(port, { 'last-event-id': '2' }, (t) => t.includes('"n":6'));
    await new Promise((r) => setTimeout(r, 100));
    bus.publish('status', { n: 5 });
    bus.publish('line', { n: 6 });
    const text = await got;
    expect(text.match(/^id: \d+$/gm)).toEqual(['id: 3', 'id: 4', 'id: 5', 'id: 6']);
    expect(text).toContain('id: 6\nevent: line\ndata: {"n":6}\n\n');
    for (let i = 7; i <= 20; i++) bus.publish('status', { n: i });
    const old = await read(port, { 'last-event-id': '3' }, (t) => t.includes('event: reset'));
    expect(old).toMatch(/id: 20\nevent: reset\n/);
    const fresh = await read(port, {}, (t) => t.includes(': swarm console stream'));
    expect(fresh).not.toMatch(/^id:/m); // a new client starts at now
  });

  it('drops a client that stops reading once its queue passes the bound, and keeps serving the others', async () => {
    const bus = new EventBus();
    const port = await serve(bus, { maxQueuedBytes: 64 * 1024 });
    const sock = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write('GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await new Promise((r) => setTimeout(r, 100));
    sock.pause(); // a phone on a dead network: nothing more is read
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.on('error', () => {});
    expect(bus.subscribers).toBe(1);
    // The kernel's socket buffers take the first megabytes; then Node queues, and the bound drops the client.
    let sent = 0;
    for (let i = 0; i < 2000 && bus.subscribers > 0; i++) {
      bus.publish('line', { html: 'x'.repeat(64 * 1024), i });
      sent += 64 * 1024;
      await new Promise((r) => setImmediate(r));
    }
    expect(sent).toBeLessThan(2000 * 64 * 1024);
    expect(bus.subscribers).toBe(0);
    sock.destroy();
    await closed;
    const ok = read(port, {}, (t) => t.includes('"after":1'));
    while (bus.subscribers === 0) await new Promise((r) => setTimeout(r, 10));
    bus.publish('status', { after: 1 });
    expect(await ok).toContain('"after":1');
  });

  it('refuses clients past the limit with 503', async () => {
    const bus = new EventBus();
    const port = await serve(bus, { maxClients: 1 });
    const first = read(port, {}, (t) => t.includes('"x":1'));
    await new Promise((r) => setTimeout(r, 100));
    const second = await new Promise<number>((resolve) => http.get({ host: '127.0.0.1', port, path: '/api/v1/stream' }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }));
    expect(second).toBe(503);
    bus.publish('status', { x: 1 });
    await first;
  });
});

describe('History', () => {
  it('folds what is appended, follows a rotation, and never reads a line twice', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-history-'));
    closers.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'events.jsonl');
    const now = Date.parse('2025-03-10T12:00:00.000Z');
    const at = (h: number) => new Date(now - h * 3_600_000).toISOString();
    const line = (o: Record<string, unknown>) => JSON.stringify(o) + '\n';
    fs.writeFileSync(`${file}.1`, line({ at: at(50), type: 'claimed', ticket: '#1', key: '1', branch: 'b' }) + line({ at: at(49), type: 'finished', ticket: '#1', key: '1', attempt: 1, model: 'sonnet', outcome: 'no_changes', counted: true, cost_usd: 0.5 }));
    fs.writeFileSync(file, line({ at: at(48), type: 'finished', ticket: '#1', key: '1', attempt: 2, model: 'opus', outcome: 'pr_opened', cost_usd: 1.5 }));
    const h = new History(file, () => now);
    h.refresh();
    // A line being written: its first half now, the rest later.
    const half = line({ at: at(47), type: 'pr_opened', ticket: '#1', key: '1', pr: 'https://x/pull/1' });
    fs.appendFileSync(file, half.slice(0, 20));
    h.refresh();
    expect(h.resolved(30)).toEqual([]);
    fs.appendFileSync(file, half.slice(20));
    h.refresh();
    expect(h.resolved(30)).toEqual([{ key: '1', ticket: '#1', date: expect.any(String), attempts: 2, hours: 3 }]);
    const days = h.days(30);
    expect(days).toHaveLength(30);
    const total = (k: 'cost' | 'outcomes') => days.reduce((acc, d) => { for (const [m, v] of Object.entries(d[k])) acc[m] = (acc[m] ?? 0) + v; return acc; }, {} as Record<string, number>);
    expect(total('cost')).toEqual({ sonnet: 0.5, opus: 1.5 });
    expect(total('outcomes')).toEqual({ no_changes: 1, pr_opened: 1 });
    // Rotation: the logger renames events.jsonl to .1 after appending to it; a new file starts.
    fs.appendFileSync(file, line({ at: at(2), type: 'account_window', status: 'allowed', utilization: 0.4 }));
    fs.renameSync(file, `${file}.1`);
    fs.writeFileSync(file, line({ at: at(1), type: 'account_window', status: 'allowed', utilization: 0.6 }));
    h.refresh();
    h.refresh();
    expect(h.window(86_400_000).map((s) => s.value)).toEqual([0.4, 0.6]);
    expect(h.timeline('1').map((e) => e.type)).toEqual(['claimed', 'finished', 'finished', 'pr_opened']);
    expect(h.timeline('1')[0]).not.toHaveProperty('ticket');
  });
});
