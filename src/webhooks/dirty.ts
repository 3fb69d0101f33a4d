// The dirty set: objects webhook deliveries named since the loop last looked, each with the moment the
// first delivery naming it arrived (for the delivery → action latency). Bursts are coalesced: the loop is
// woken once no new hint arrived for QUIET_MS, and at most MAX_WAIT_MS after the first — GitHub sends one
// delivery per label when three are added at once, a push brings a flurry of check runs. Past MAX_PENDING
// objects the set stops growing and asks for a full poll instead (a poll re-reads everything anyway).
import type { Hints } from './hints.js';

export const QUIET_MS = 50;
export const MAX_WAIT_MS = 250;
export const MAX_PENDING = 500;

/** A dirty object's key: `t:<ticket ref>`, `p:<PR number>`, `c:<commit sha>` (also what fleet daemons exchange). */
export type DirtyKey = string;

export function dirtyKeys(h: Hints): DirtyKey[] {
  return [...h.tickets.map((t) => `t:${t}`), ...h.prs.map((n) => `p:${n}`), ...h.commits.map((c) => `c:${c}`)];
}

export interface DirtyBatch {
  tickets: Map<string, number>;
  prs: Map<number, number>;
  commits: Map<string, number>;
  /** More was named than the set holds: a full poll (and PR watch round) is wanted. */
  overflow: boolean;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = { setTimeout: (fn, ms) => setTimeout(fn, ms).unref(), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };

export class DirtySet {
  private readonly items = new Map<DirtyKey, number>();
  /** The newest mark of each item (a counter, not a clock: deliveries may carry another machine's time). */
  private readonly marks = new Map<DirtyKey, number>();
  private seq = 0;
  private overflow = false;
  private quiet: unknown = null;
  private max: unknown = null;

  constructor(
    private readonly onWake: () => void,
    private readonly timers: Timers = realTimers,
    private readonly opts: { quietMs?: number; maxWaitMs?: number; maxPending?: number } = {},
  ) {}

  get pending(): boolean {
    return this.items.size > 0 || this.overflow;
  }

  get size(): number {
    return this.items.size;
  }

  /** Mark objects dirty; `at`: when the delivery naming them arrived. */
  add(keys: readonly DirtyKey[], at: number): void {
    let added = false;
    this.seq++;
    for (const k of keys) {
      const had = this.items.get(k);
      if (had !== undefined || this.items.size < (this.opts.maxPending ?? MAX_PENDING)) this.marks.set(k, this.seq);
      if (had !== undefined) {
        if (at < had) this.items.set(k, at);
        continue;
      }
      if (this.items.size >= (this.opts.maxPending ?? MAX_PENDING)) {
        this.overflow = true;
        added = true;
        continue;
      }
      this.items.set(k, at);
      added = true;
    }
    if (added) this.schedule();
  }

  /** Another daemon took care of these (fleet mode): nothing to do for them here any more. */
  drop(keys: readonly DirtyKey[]): void {
    for (const k of keys) {
      this.items.delete(k);
      this.marks.delete(k);
    }
  }

  /** Where the marks stand now: give it back to ticketsServed() after a poll that started here. */
  mark(): number {
    return this.seq;
  }

  /** Everything marked so far, and a clean set. */
  take(): DirtyBatch {
    const batch: DirtyBatch = { tickets: new Map(), prs: new Map(), commits: new Map(), overflow: this.overflow };
    for (const [k, at] of this.items) {
      const v = k.slice(2);
      if (k.startsWith('t:')) batch.tickets.set(v, at);
      else if (k.startsWith('p:')) batch.prs.set(Number(v), at);
      else if (k.startsWith('c:')) batch.commits.set(v, at);
    }
    this.items.clear();
    this.marks.clear();
    this.overflow = false;
    this.cancel();
    return batch;
  }

  /**
   * A full poll that started at `since` (a mark()) just read every ticket: ticket hints marked before it
   * are served; PR and commit hints stay, and so does a ticket marked while the poll ran (its listing may
   * have been read before the change the delivery announced).
   */
  ticketsServed(since: number): void {
    for (const k of [...this.items.keys()]) {
      if (k.startsWith('t:') && (this.marks.get(k) ?? 0) <= since) {
        this.items.delete(k);
        this.marks.delete(k);
      }
    }
    if (this.items.size === 0 && !this.overflow) this.cancel();
  }

  close(): void {
    this.cancel();
  }

  private schedule(): void {
    const quiet = this.opts.quietMs ?? QUIET_MS;
    if (this.quiet !== null) this.timers.clearTimeout(this.quiet);
    this.quiet = this.timers.setTimeout(() => this.fire(), quiet);
    if (this.max === null) this.max = this.timers.setTimeout(() => this.fire(), this.opts.maxWaitMs ?? MAX_WAIT_MS);
  }

  private fire(): void {
    this.cancel();
    if (this.pending) this.onWake();
  }

  private cancel(): void {
    if (this.quiet !== null) this.timers.clearTimeout(this.quiet);
    if (this.max !== null) this.timers.clearTimeout(this.max);
    this.quiet = null;
    this.max = null;
  }
}
