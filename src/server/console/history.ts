// The console's memory of the past: `.swarm/events.jsonl` (and its rotated `.1`) read incrementally — only
// the bytes appended since the last look, following a rotation — and folded into small aggregates as they
// arrive: cost per day and model, outcomes per day, attempts and claim-to-PR time per resolved ticket, the
// account window's samples, and each ticket's timeline. A request costs a stat and a read of what is new,
// never a re-read of the whole log. Everything kept is bounded (days, samples, tickets, events per ticket).
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { localDate } from '../../core/records.js';

export interface DayStats {
  date: string;
  cost: Record<string, number>;
  outcomes: Record<string, number>;
}

export interface Resolved {
  key: string;
  ticket: string;
  date: string;
  attempts: number;
  /** From the first claim to the hand-off (hours); null when the claim is older than the log. */
  hours: number | null;
}

/** One event of a ticket's story, as logged (redacted), without its ticket ids. */
export type TimelineEvent = Record<string, unknown> & { at: string; type: string };

interface Cursor {
  ino: number;
  pos: number;
  /** Bytes of a line not finished yet (kept as bytes: a character may be torn too). */
  rest: Buffer;
}

const MAX_DAYS = 45;
const MAX_SAMPLES = 20_000;
const MAX_TICKETS = 5_000;
const MAX_PER_TICKET = 400;
const READ_CHUNK = 1 << 20;
const EMPTY = Buffer.alloc(0);

export class History {
  private cursor: Cursor | null = null;
  private readonly dayStats = new Map<string, DayStats>();
  private resolvedList: Resolved[] = [];
  private samples: { at: number; value: number }[] = [];
  private readonly open = new Map<string, { attempts: number; firstClaim: number | null }>();
  private readonly timelines = new Map<string, TimelineEvent[]>();

  constructor(private readonly file: string, private readonly now: () => number = Date.now) {}

  /** Fold in whatever was appended since the last call (following a rotation to `.1`). */
  refresh(): void {
    const st = statOrNull(this.file);
    if (this.cursor === null) {
      const old = statOrNull(`${this.file}.1`);
      if (old) this.readFrom(`${this.file}.1`, { ino: old.ino, pos: 0, rest: EMPTY }, false);
      if (st) this.cursor = this.readFrom(this.file, { ino: st.ino, pos: 0, rest: EMPTY }, true);
      return;
    }
    if (!st) return;
    if (st.ino !== this.cursor.ino) {
      // Rotated: what we were reading is now `.1`; finish it, then start the new file.
      const old = statOrNull(`${this.file}.1`);
      if (old && old.ino === this.cursor.ino) this.readFrom(`${this.file}.1`, { ...this.cursor }, false);
      this.cursor = { ino: st.ino, pos: 0, rest: EMPTY };
    }
    if (st.size < this.cursor.pos) this.cursor = { ino: st.ino, pos: 0, rest: EMPTY }; // truncated by hand
    if (st.size > this.cursor.pos) this.cursor = this.readFrom(this.file, this.cursor, true);
  }

  /** The last `n` local days, oldest first (days without events included). */
  days(n = 30): DayStats[] {
    const out: DayStats[] = [];
    for (let i = n - 1; i >= 0; i--) {
      const date = localDate(this.now() - i * 86_400_000);
      out.push(this.dayStats.get(date) ?? { date, cost: {}, outcomes: {} });
    }
    return out;
  }

  /** Tickets handed off within the last `n` days. */
  resolved(n = 30): Resolved[] {
    const from = localDate(this.now() - (n - 1) * 86_400_000);
    return this.resolvedList.filter((r) => r.date >= from);
  }

  /** Usage-window samples (utilization 0…1) within the last `ms`. */
  window(ms: number): { at: number; value: number }[] {
    const from = this.now() - ms;
    return this.samples.filter((s) => s.at >= from);
  }

  /** A ticket's events, oldest first. */
  timeline(key: string): TimelineEvent[] {
    return this.timelines.get(key) ?? [];
  }

  private readFrom(file: string, c: Cursor, keepRest: boolean): Cursor {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return c;
    }
    try {
      const ino = fstatSync(fd).ino;
      let pos = c.pos;
      let rest = c.rest;
      const buf = Buffer.alloc(READ_CHUNK);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, pos);
        if (n === 0) break;
        pos += n;
        const data = rest.length > 0 ? Buffer.concat([rest, buf.subarray(0, n)]) : buf.subarray(0, n);
        let start = 0;
        for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, start)) {
          this.ingestLine(data.toString('utf8', start, nl));
          start = nl + 1;
        }
        rest = Buffer.from(data.subarray(start));
      }
      if (!keepRest && rest.length > 0) {
        this.ingestLine(rest.toString('utf8'));
        rest = EMPTY;
      }
      return { ino, pos, rest };
    } finally {
      closeSync(fd);
    }
  }

  private ingestLine(line: string): void {
    if (!line.trim()) return;
    let ev: unknown;
    try {
      ev = JSON.parse(line);
    } catch {
      return; // a torn line
    }
    if (ev && typeof ev === 'object' && typeof (ev as TimelineEvent).type === 'string' && typeof (ev as TimelineEvent).at === 'string') this.ingest(ev as TimelineEvent);
  }

  private ingest(ev: TimelineEvent): void {
    const at = Date.parse(ev.at);
    if (!Number.isFinite(at)) return;
    const key = typeof ev.key === 'string' ? ev.key : null;
    if (key !== null) this.note(key, ev);
    switch (ev.type) {
      case 'finished': {
        const day = this.day(localDate(at));
        const model = typeof ev.model === 'string' && ev.model ? ev.model : 'unknown';
        const cost = typeof ev.cost_usd === 'number' ? ev.cost_usd : 0;
        if (cost > 0) day.cost[model] = (day.cost[model] ?? 0) + cost;
        const outcome = typeof ev.outcome === 'string' ? ev.outcome : 'unknown';
        day.outcomes[outcome] = (day.outcomes[outcome] ?? 0) + 1;
        if (key !== null) this.openOf(key).attempts++;
        break;
      }
      case 'claimed':
        if (key !== null) this.openOf(key).firstClaim ??= at;
        break;
      case 'pr_opened':
      case 'pr_found': {
        if (key === null) break;
        const o = this.openOf(key);
        this.resolvedList.push({ key, ticket: String(ev.ticket ?? key), date: localDate(at), attempts: o.attempts, hours: o.firstClaim === null ? null : (at - o.firstClaim) / 3_600_000 });
        this.open.delete(key);
        this.prune(at);
        break;
      }
      case 'account_window':
        if (typeof ev.utilization === 'number') {
          this.samples.push({ at, value: ev.utilization });
          if (this.samples.length > MAX_SAMPLES) this.samples = this.samples.filter((_, i) => i % 2 === 0); // thin, keep the span
        }
        break;
    }
  }

  private note(key: string, ev: TimelineEvent): void {
    let list = this.timelines.get(key);
    if (!list) {
      if (this.timelines.size >= MAX_TICKETS) this.timelines.delete(this.timelines.keys().next().value!);
      list = [];
      this.timelines.set(key, list);
    }
    const { ticket: _t, key: _k, ...rest } = ev;
    list.push(rest as TimelineEvent);
    if (list.length > MAX_PER_TICKET) list.splice(1, list.length - MAX_PER_TICKET); // the first event (the claim) stays
  }

  private day(date: string): DayStats {
    let d = this.dayStats.get(date);
    if (!d) {
      d = { date, cost: {}, outcomes: {} };
      this.dayStats.set(date, d);
    }
    return d;
  }

  private openOf(key: string): { attempts: number; firstClaim: number | null } {
    let o = this.open.get(key);
    if (!o) {
      o = { attempts: 0, firstClaim: null };
      this.open.set(key, o);
    }
    return o;
  }

  private prune(now: number): void {
    const oldest = localDate(now - MAX_DAYS * 86_400_000);
    for (const d of this.dayStats.keys()) if (d < oldest) this.dayStats.delete(d);
    if (this.resolvedList.length > 0 && this.resolvedList[0]!.date < oldest) this.resolvedList = this.resolvedList.filter((r) => r.date >= oldest);
    const cut = now - MAX_DAYS * 86_400_000;
    if (this.samples.length > 0 && this.samples[0]!.at < cut) this.samples = this.samples.filter((s) => s.at >= cut);
  }
}

function statOrNull(file: string): { ino: number; size: number } | null {
  try {
    const s = statSync(file);
    return { ino: s.ino, size: s.size };
  } catch {
    return null;
  }
}
