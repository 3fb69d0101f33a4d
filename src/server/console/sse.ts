// GET /api/v1/stream: the console's server-sent events (text/event-stream). A client resumes where it left
// off with Last-Event-ID (the header EventSource sends on reconnect, or `?last_event_id=` for the first
// connection of a page that was rendered at a known id); when the ring no longer holds what it missed it
// gets a `reset` event and reloads its view. Each client is bounded: if what is queued for it passes
// `maxQueuedBytes` (a slow phone on a bad network) it is dropped — it reconnects and resumes — so one slow
// reader never makes the daemon buffer without limit. A comment every 15 s keeps proxies from closing it.
import type http from 'node:http';
import type { BusEvent, EventBus } from './bus.js';

export interface StreamOptions {
  maxQueuedBytes?: number;
  maxClients?: number;
  heartbeatMs?: number;
}

export function streamServer(bus: EventBus, opts: StreamOptions = {}): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const maxQueued = opts.maxQueuedBytes ?? 512 * 1024;
  const maxClients = opts.maxClients ?? 64;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  return (req, res) => {
    if (bus.subscribers >= maxClients) {
      res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '5' });
      res.end(JSON.stringify({ ok: false, message: `too many live console connections (${maxClients}); try again shortly` }) + '\n');
      return;
    }
    const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    const after = Number(req.headers['last-event-id'] ?? query.get('last_event_id') ?? NaN);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(beat);
      res.destroy();
    };
    const write = (chunk: string) => {
      if (closed) return;
      res.write(chunk);
      if (res.writableLength > maxQueued) close(); // a reader this far behind is dropped; it resumes by id
    };
    const send = (ev: BusEvent) => write(`id: ${ev.id}\nevent: ${ev.type}\ndata: ${ev.data}\n\n`);
    // Subscribe first, then replay: nothing published in between is lost (duplicates are skipped by id).
    let sentUpTo = Number.isFinite(after) ? after : bus.lastId;
    const pending: BusEvent[] = [];
    let replaying = true;
    const unsubscribe = bus.subscribe((ev) => {
      if (replaying) pending.push(ev);
      else if (ev.id > sentUpTo) {
        sentUpTo = ev.id;
        send(ev);
      }
    });
    write(`retry: 2000\n: swarm console stream\n\n`);
    const missed = bus.since(sentUpTo);
    if (missed === null) {
      write(`id: ${bus.lastId}\nevent: reset\ndata: {"reason":"events were missed while disconnected"}\n\n`);
      sentUpTo = bus.lastId;
    } else {
      for (const ev of missed) send(ev);
      if (missed.length > 0) sentUpTo = missed[missed.length - 1]!.id;
    }
    replaying = false;
    for (const ev of pending) if (ev.id > sentUpTo) {
      sentUpTo = ev.id;
      send(ev);
    }
    const beat = setInterval(() => write(': ping\n\n'), heartbeatMs);
    beat.unref();
    // The response's close is the connection's (the request's fires as soon as its empty body is read).
    res.on('close', close);
    res.on('error', close);
  };
}
