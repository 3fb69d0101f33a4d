// Replay protection for webhook deliveries: the ids of the verified deliveries received within the replay
// window, bounded in number and kept in `.swarm/webhook-deliveries.log` so a restart inside the window
// still knows them. GitHub reuses a delivery's `X-GitHub-Delivery` when it is redelivered, and redelivery
// is possible for 3 days on GitHub.com and 7 on GitHub Enterprise Server ("Redelivering webhooks",
// docs.github.com): the window is 7 days. Linear deliveries carry `Linear-Delivery` (the receiver falls
// back to a hash of the signed body, which holds the delivery's own timestamp).
//
// The file is append-only (one `<epoch ms> <id>` line per delivery, written before the delivery is acted
// on) and rewritten compactly at start and whenever it holds twice the bound. A replay the bound or a torn
// last line forgets costs one targeted re-read: a delivery is only ever a hint.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';

export const REPLAY_WINDOW_MS = 7 * 24 * 3_600_000;
export const MAX_REMEMBERED = 10_000;
const ID = /^[A-Za-z0-9:._-]{1,200}$/;

export class DeliveryLog {
  private readonly ids = new Map<string, number>();
  private lines = 0;

  constructor(
    private readonly file: string | null,
    private readonly now: () => number = Date.now,
    private readonly opts: { windowMs?: number; max?: number; onError?: (msg: string) => void } = {},
  ) {
    if (file && existsSync(file)) this.load(file);
  }

  get size(): number {
    return this.ids.size;
  }

  /** True when `id` was received within the window (a replay). Otherwise records it and returns false. */
  replayed(id: string): boolean {
    if (!ID.test(id)) return false; // the receivers validate ids; an odd one is simply not remembered
    const now = this.now();
    const at = this.ids.get(id);
    if (at !== undefined && now - at <= this.window) return true;
    this.ids.delete(id);
    this.ids.set(id, now);
    while (this.ids.size > this.max) this.ids.delete(this.ids.keys().next().value as string);
    this.append(`${now} ${id}\n`);
    return false;
  }

  private get window(): number {
    return this.opts.windowMs ?? REPLAY_WINDOW_MS;
  }

  private get max(): number {
    return this.opts.max ?? MAX_REMEMBERED;
  }

  private load(file: string): void {
    const now = this.now();
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      this.opts.onError?.(`cannot read ${file}: ${(err as Error).message}; replays older than this start are not recognised`);
      return;
    }
    for (const line of text.split('\n')) {
      const m = /^(\d{1,16}) (\S+)$/.exec(line);
      if (!m || !ID.test(m[2]!)) continue; // a torn last line after a crash
      const at = Number(m[1]);
      if (now - at > this.window) continue;
      this.ids.delete(m[2]!);
      this.ids.set(m[2]!, at);
    }
    while (this.ids.size > this.max) this.ids.delete(this.ids.keys().next().value as string);
    this.compact();
  }

  private append(line: string): void {
    if (!this.file) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      appendFileSync(this.file, line, { mode: 0o600 });
      if (++this.lines > 2 * this.max) this.compact();
    } catch (err) {
      this.opts.onError?.(`cannot record a webhook delivery in ${this.file}: ${(err as Error).message}`);
    }
  }

  private compact(): void {
    if (!this.file) return;
    const text = [...this.ids].map(([id, at]) => `${at} ${id}\n`).join('');
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      writeFileAtomic(this.file, text);
      this.lines = this.ids.size;
    } catch (err) {
      this.opts.onError?.(`cannot rewrite ${this.file}: ${(err as Error).message}`);
    }
  }
}
