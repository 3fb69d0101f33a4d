// Fleet mode's webhook bus: a delivery received by one daemon reaches every daemon of the scope through
// PostgreSQL LISTEN/NOTIFY ("NOTIFY … delivered to every session listening on the channel", PostgreSQL
// docs, NOTIFY; payloads must stay under 8000 bytes by default). Listening needs a session of its own that
// stays open, so it is a dedicated pg.Client, not a pooled connection (a pooled one goes back to the pool
// and other work would run on it). It reconnects with backoff when the connection drops; a notification
// sent meanwhile is lost to this daemon — its next poll catches up. Sending goes through the pool.
import pg from 'pg';
import { poolConfig } from './connect.js';
import { parseBusMessage, type BusMessage, type HintBus } from '../../webhooks/bus.js';

export const WEBHOOK_CHANNEL = 'swarm_webhooks';
/** Keys per notification: 60 keys of at most ~70 characters stay well under the 8000-byte payload limit. */
const KEYS_PER_MESSAGE = 60;

export interface PgWebhookBusOptions {
  url: string;
  env: Record<string, string | undefined>;
  pool: pg.Pool;
  /** The tracker scope: one channel serves every scope of the database, messages carry theirs. */
  scope: string;
  onError?: (msg: string) => void;
}

export class PgWebhookBus implements HintBus {
  private client: pg.Client | null = null;
  private readonly listeners: ((m: BusMessage) => void)[] = [];
  private closed = false;
  private backoff = 500;
  private retry: NodeJS.Timeout | null = null;

  constructor(private readonly o: PgWebhookBusOptions) {}

  /** Open the listening connection; a failure is reported and retried in the background. */
  async start(): Promise<void> {
    await this.connect().catch((err: Error) => {
      this.o.onError?.(`webhook bus: cannot listen (${err.message}); retrying`);
      this.schedule();
    });
  }

  onMessage(fn: (m: BusMessage) => void): void {
    this.listeners.push(fn);
  }

  listening(): boolean {
    return this.client !== null;
  }

  async publish(msg: BusMessage): Promise<void> {
    const chunks = msg.keys.length <= KEYS_PER_MESSAGE ? [msg.keys] : Array.from({ length: Math.ceil(msg.keys.length / KEYS_PER_MESSAGE) }, (_, i) => msg.keys.slice(i * KEYS_PER_MESSAGE, (i + 1) * KEYS_PER_MESSAGE));
    for (const keys of chunks) {
      await this.o.pool.query('SELECT pg_notify($1, $2)', [WEBHOOK_CHANNEL, JSON.stringify({ ...msg, keys, scope: this.o.scope })]);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const cfg = poolConfig(this.o.url, this.o.env, { max: 1 });
    const client = new pg.Client({ ...cfg, application_name: 'swarm-webhooks', statement_timeout: undefined, query_timeout: undefined });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection closed')));
    client.on('notification', (n) => {
      if (n.channel !== WEBHOOK_CHANNEL || !n.payload) return;
      const scoped = (() => {
        try {
          return (JSON.parse(n.payload) as { scope?: unknown }).scope;
        } catch {
          return null;
        }
      })();
      if (scoped !== this.o.scope) return;
      const m = parseBusMessage(n.payload);
      if (!m) return;
      for (const fn of this.listeners) {
        try {
          fn(m);
        } catch {
          /* a listener's bug must not close the connection */
        }
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${WEBHOOK_CHANNEL}`);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.backoff = 500;
  }

  private lost(client: pg.Client, err: Error): void {
    if (this.client !== client || this.closed) return;
    this.client = null;
    client.end().catch(() => undefined);
    this.o.onError?.(`webhook bus: ${err.message}; listening again shortly (deliveries to other daemons reach this one only through its polls meanwhile)`);
    this.schedule();
  }

  private schedule(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.connect().catch((err: Error) => {
        this.o.onError?.(`webhook bus: cannot listen (${err.message})`);
        this.backoff = Math.min(30_000, this.backoff * 2);
        this.schedule();
      });
    }, this.backoff);
    this.retry.unref();
  }
}
