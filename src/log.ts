// Human log lines on stdout and the machine log `.swarm/events.jsonl`, with secret redaction at the sink:
// whatever reaches either output passes through redact() first, so a token that leaks into an error
// message or an event payload is masked no matter which code path produced it.
import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { Chalk, type ChalkInstance } from 'chalk';
import { expandSecrets, redactWith, registerSecrets } from './secrets.js';

export type LogFormat = 'text' | 'json';
export const DEFAULT_MAX_EVENTS_BYTES = 20 * 1024 * 1024;
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface LoggerOptions {
  eventsFile: string | null;
  out?: NodeJS.WritableStream;
  format?: LogFormat;
  verbose?: boolean;
  color?: boolean;
  now?: () => number;
  /** Rotate events.jsonl when it grows past this many bytes (keeps one previous file). */
  maxEventsBytes?: number;
}

/** A transition as listeners see it (already redacted): `swarm` notifications hang off these. */
export interface LogEvent {
  at: string;
  type: string;
  data: Record<string, unknown>;
  message: string | null;
}

export class Logger {
  private secrets: string[] = [];
  private listeners: ((ev: LogEvent) => void)[] = [];
  private readonly c: ChalkInstance;
  private readonly now: () => number;
  private writtenSinceCheck = 0;

  constructor(private readonly opts: LoggerOptions) {
    this.c = new Chalk({ level: opts.color ? 1 : 0 });
    this.now = opts.now ?? Date.now;
    if (opts.eventsFile) {
      mkdirSync(dirname(opts.eventsFile), { recursive: true });
      this.maybeRotate(opts.eventsFile); // a file that grew past the limit under an older run rotates now
    }
  }

  /** The rotation threshold in bytes (default 20 MB). */
  get maxEventsBytes(): number {
    return this.opts.maxEventsBytes ?? DEFAULT_MAX_EVENTS_BYTES;
  }

  /** Values that must never be written anywhere (tokens, keys, webhook URLs, passwords). */
  setSecrets(values: readonly string[]): void {
    // Every output form (raw, JSON-escaped, URL-encoded, a URL's secret path), longest first.
    this.secrets = expandSecrets(values);
    registerSecrets(values); // so sinks far from here (the CLI's error report) mask them too
  }

  /** Call `fn` for every event (after redaction). A throwing listener never affects the caller. Returns an unsubscribe. */
  onEvent(fn: (ev: LogEvent) => void): () => void {
    this.listeners.push(fn);
    return () => { this.listeners = this.listeners.filter((l) => l !== fn); };
  }

  redact(text: string): string {
    return redactWith(this.secrets, text);
  }

  /** A transition: one line on stdout (ticket id first) and one event in events.jsonl. */
  event(type: string, data: Record<string, unknown> & { ticket?: string }, message?: string, level: Level = 'info'): void {
    const at = new Date(this.now()).toISOString();
    const record = { at, type, ...data };
    const json = this.redact(JSON.stringify(record));
    this.appendEvent(json);
    if (message !== undefined) this.line(level, message, data.ticket, type, json);
    if (this.listeners.length > 0) {
      const ev: LogEvent = { at, type, data: JSON.parse(json) as Record<string, unknown>, message: message === undefined ? null : this.redact(message) };
      for (const l of this.listeners) {
        try {
          l(ev);
        } catch {
          /* a listener (e.g. a notifier) must never break logging */
        }
      }
    }
  }

  info(message: string, ticket?: string): void { this.line('info', message, ticket); }
  warn(message: string, ticket?: string): void { this.line('warn', message, ticket); }
  error(message: string, ticket?: string): void { this.line('error', message, ticket); }
  debug(message: string, ticket?: string): void { if (this.opts.verbose) this.line('debug', message, ticket); }

  private line(level: Level, message: string, ticket?: string, type?: string, json?: string): void {
    const out = this.opts.out ?? process.stdout;
    if (this.opts.format === 'json') {
      const rec = json ?? JSON.stringify({ at: new Date(this.now()).toISOString(), level, ticket, message });
      out.write(this.redact(json ? JSON.stringify({ level, message, ...JSON.parse(rec) }) : rec) + '\n');
      return;
    }
    const time = new Date(this.now()).toTimeString().slice(0, 8);
    const paint = level === 'error' ? this.c.red : level === 'warn' ? this.c.yellow : level === 'debug' ? this.c.gray : colourFor(this.c, type);
    const who = ticket ? this.c.bold(ticket.padEnd(8)) + ' ' : '';
    out.write(this.redact(`${this.c.gray(time)} ${who}${paint(message)}`) + '\n');
  }

  private appendEvent(json: string): void {
    const file = this.opts.eventsFile;
    if (!file) return;
    try {
      appendFileSync(file, json + '\n');
      this.writtenSinceCheck += json.length + 1;
      // stat() at most every 64 KB written (or every eighth of a small limit), not on every line.
      if (this.writtenSinceCheck > Math.min(64 * 1024, this.maxEventsBytes / 8)) this.maybeRotate(file);
    } catch (err) {
      // Losing an event line must never stop the daemon; say so once on stderr.
      process.stderr.write(`swarm: could not append to ${file}: ${(err as Error).message}\n`);
    }
  }

  private maybeRotate(file: string): void {
    this.writtenSinceCheck = 0;
    try {
      // One previous file is kept: events.jsonl.1 is replaced, so the log never exceeds ~2× the limit.
      if (statSync(file).size > this.maxEventsBytes) renameSync(file, file + '.1');
    } catch {
      /* rotation is best effort */
    }
  }
}

function colourFor(c: ChalkInstance, type?: string): (s: string) => string {
  if (!type) return (s) => s;
  if (type.startsWith('pr') || type === 'released') return c.green;
  if (type.includes('fail') || type === 'failed') return c.red;
  if (type.includes('pause') || type.includes('retry')) return c.yellow;
  if (type === 'claimed' || type === 'started') return c.cyan;
  return (s) => s;
}
