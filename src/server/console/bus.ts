// The console's live feed: typed events with increasing ids, kept in a bounded ring so a client that
// reconnects (EventSource sends Last-Event-ID) gets what it missed, and fanned out to subscribers. Memory is
// bounded twice: the ring holds at most `capacity` events and `maxBytes` of payload, and a subscriber that
// cannot keep up is dropped by its transport (sse.ts) — it never buffers without limit. Every payload is
// redacted once here, before it is stored or sent.

/** One event as the stream carries it. */
export interface BusEvent {
  id: number;
  type: string;
  /** The JSON payload, already serialised and redacted. */
  data: string;
}

export type Subscriber = (ev: BusEvent) => void;

export class EventBus {
  private readonly ring: BusEvent[] = [];
  private bytes = 0;
  private next = 1;
  private readonly subs = new Set<Subscriber>();

  constructor(
    private readonly redact: (text: string) => string = (t) => t,
    private readonly capacity = 2000,
    private readonly maxBytes = 4 * 1024 * 1024,
  ) {}

  /** The id of the newest event (0 before any). */
  get lastId(): number {
    return this.next - 1;
  }

  get subscribers(): number {
    return this.subs.size;
  }

  publish(type: string, data: unknown): BusEvent {
    const ev: BusEvent = { id: this.next++, type, data: this.redact(JSON.stringify(data)) };
    this.ring.push(ev);
    this.bytes += ev.data.length;
    while (this.ring.length > this.capacity || (this.bytes > this.maxBytes && this.ring.length > 1)) this.bytes -= this.ring.shift()!.data.length;
    for (const s of [...this.subs]) {
      try {
        s(ev);
      } catch {
        this.subs.delete(s); // a broken subscriber never stops the feed
      }
    }
    return ev;
  }

  /**
   * Events after `afterId`, oldest first, or null when some of them are no longer kept (the client must
   * reload its view instead of trusting a gap).
   */
  since(afterId: number): BusEvent[] | null {
    if (afterId >= this.lastId) return [];
    const oldest = this.ring[0]?.id ?? this.next;
    if (afterId + 1 < oldest) return null;
    return this.ring.filter((e) => e.id > afterId);
  }

  subscribe(fn: Subscriber): () => void {
    this.subs.add(fn);
    return () => this.subs.delete(fn);
  }
}
