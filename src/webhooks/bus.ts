// What daemons sharing a fleet tell each other about webhook deliveries (implemented over PostgreSQL
// LISTEN/NOTIFY in src/backend/postgres/webhook-bus.ts). A delivery reaches one daemon; `hint` carries what it named
// to all of them (an empty `keys` is a ping or an ignored delivery: it still proves the hooks work), and
// `done` says one daemon re-read those objects, so the others drop them instead of reading them again.
import type { DirtyKey } from './dirty.js';
import type { WebhookSource } from './hints.js';

export type BusMessage =
  | { t: 'hint'; from: string; source: WebhookSource; at: number; keys: DirtyKey[] }
  | { t: 'done'; from: string; keys: DirtyKey[] };

export interface HintBus {
  /** Send to every daemon of the fleet (this one included). Rejects when the message could not be sent. */
  publish(msg: BusMessage): Promise<void>;
  onMessage(fn: (msg: BusMessage) => void): void;
  /** Whether this daemon hears the fleet now (its own messages included). */
  listening(): boolean;
  close(): Promise<void>;
}

/** Validate a message from the wire (another daemon's, but the channel is shared: check it anyway). */
export function parseBusMessage(text: string): BusMessage | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  const m = v as Record<string, unknown> | null;
  if (!m || typeof m !== 'object' || typeof m.from !== 'string' || !Array.isArray(m.keys)) return null;
  const keys = m.keys.filter((k): k is string => typeof k === 'string' && /^[tpc]:[^\s]{1,200}$/.test(k)).slice(0, 100);
  if (m.t === 'done') return { t: 'done', from: m.from, keys };
  if (m.t === 'hint' && (m.source === 'github' || m.source === 'linear') && typeof m.at === 'number' && Number.isFinite(m.at)) {
    return { t: 'hint', from: m.from, source: m.source, at: m.at, keys };
  }
  return null;
}
