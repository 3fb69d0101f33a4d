// Human log lines on stdout and the machine log `.swarm/events.jsonl`, with secret redaction at the sink:
// whatever reaches either output passes through redact() first, so a token that leaks into an error
// message or an event payload is masked no matter which code path produced it.
import { closeSync, mkdirSync, openSync, renameSync, statSync } from 'node:fs';
import { appendLine, endsWithNewline, isDiskFull } from '../util/atomic-file.js';
import { dirname } from 'node:path';
import { Chalk, type ChalkInstance } from 'chalk';
import { redactKnown, registerSecrets } from '../util/secrets.js';
import { terminalSafe } from '../util/terminal.js';
import type { SwarmEvent, Unstamped } from '../core/events.js';
import { eventLine, type Level } from './event-lines.js';

export type LogFormat = 'text' | 'json';
export const DEFAULT_MAX_EVENTS_BYTES = 20 * 1024 * 1024;
/** Event lines kept in memory while the disk is full (written, in order, once there is room again). */
const MAX_UNWRITTEN_LINES = 10_000;
const MAX_UNWRITTEN_BYTES = 8 * 1024 * 1024;

/** Event lines that could not be appended because the disk was full: how many, since when, why. */
export interface Unwritten {
  file: string;
  lines: number;
  since: string;
  error: string;
  /** Lines dropped because even the memory buffer was full (the oldest unwritten go first). */
  dropped: number;
}
export type { Level };

export interface LoggerOptions {
  eventsFile: string | null;
  /** Where lines go (default stdout); null: nowhere (events.jsonl only). */
  out?: NodeJS.WritableStream | null;
  format?: LogFormat;
  verbose?: boolean;
  color?: boolean;
  now?: () => number;
  /** Rotate events.jsonl when it grows past this many bytes (keeps one previous file). */
  maxEventsBytes?: number;
}

/** A transition as listeners see it (already redacted): notifications and metrics hang off these. */
export interface LogEvent {
  event: SwarmEvent;
  /** The line printed for it, if any. */
  message: string | null;
}

export interface EventOptions {
  /** The stdout line instead of the event's own (null: none). */
  message?: string | null;
  level?: Level;
}

export class Logger {
  private listeners: ((ev: LogEvent) => void)[] = [];
  private readonly c: ChalkInstance;
  private readonly now: () => number;
  private writtenSinceCheck = 0;
  /** Lines a full disk refused, oldest first; appended before any newer line once there is room. */
  private pending: string[] = [];
  private unwrittenInfo: Unwritten | null = null;
  /** The file may end in a torn line (a crash or a failed cut mid-append): start the next one on a new line. */
  private checkTail = true;

  constructor(private readonly opts: LoggerOptions) {
    this.c = new Chalk({ level: opts.color ? 1 : 0 });
    this.now = opts.now ?? Date.now;
    if (opts.eventsFile) {
      mkdirSync(dirname(opts.eventsFile), { recursive: true, mode: 0o700 });
      this.maybeRotate(opts.eventsFile); // a file that grew past the limit under an older run rotates now
    }
  }

  /** The rotation threshold in bytes (default 20 MB). */
  get maxEventsBytes(): number {
    return this.opts.maxEventsBytes ?? DEFAULT_MAX_EVENTS_BYTES;
  }

  /** Values that must never be written anywhere (tokens, keys, webhook URLs, passwords). */
  setSecrets(values: readonly string[]): void {
    // One redactor for the process: every sink (this logger, the state file, the tracker, the agent's
    // transcript, the CLI's error report) masks what the registry knows, in every output form.
    registerSecrets(values);
  }

  /** Call `fn` for every event (after redaction). A throwing listener never affects the caller. Returns an unsubscribe. */
  onEvent(fn: (ev: LogEvent) => void): () => void {
    this.listeners.push(fn);
    return () => { this.listeners = this.listeners.filter((l) => l !== fn); };
  }

  /** Masks every secret the process has read (a rotated token too) and every secret-shaped token. */
  redact(text: string): string {
    return redactKnown(text);
  }

  /**
   * A transition: one event in events.jsonl (stamped now unless it carries its time) and its line on
   * stdout (ticket id first). Returns the event as written (redacted).
   */
  event<E extends SwarmEvent>(ev: Unstamped<E>, opts: EventOptions = {}): E {
    const { at, ...rest } = ev as Unstamped & { at?: string };
    const json = this.redact(JSON.stringify({ at: at ?? new Date(this.now()).toISOString(), ...rest }));
    const written = JSON.parse(json) as E;
    this.appendEvent(json);
    const line = opts.message !== undefined ? (opts.message === null ? null : { text: opts.message, level: opts.level ?? 'info' }) : eventLine(written);
    const ticket = 'ticket' in written && typeof written.ticket === 'string' ? written.ticket : undefined;
    if (line) this.line(opts.level ?? line.level, line.text, ticket, written.type, json);
    for (const l of this.listeners) {
      try {
        l({ event: written, message: line ? this.redact(line.text) : null });
      } catch {
        /* a listener (e.g. a notifier) must never break logging */
      }
    }
    return written;
  }

  info(message: string, ticket?: string): void { this.line('info', message, ticket); }
  warn(message: string, ticket?: string): void { this.line('warn', message, ticket); }
  error(message: string, ticket?: string): void { this.line('error', message, ticket); }
  debug(message: string, ticket?: string): void { if (this.opts.verbose) this.line('debug', message, ticket); }

  private line(level: Level, message: string, ticket?: string, type?: string, json?: string): void {
    if (this.opts.out === null) return;
    const out = this.opts.out ?? process.stdout;
    if (this.opts.format === 'json') {
      const rec = json ?? JSON.stringify({ at: new Date(this.now()).toISOString(), level, ticket, message });
      out.write(this.redact(json ? JSON.stringify({ level, message, ...JSON.parse(rec) }) : rec) + '\n');
      return;
    }
    const time = new Date(this.now()).toTimeString().slice(0, 8);
    const paint = level === 'error' ? this.c.red : level === 'warn' ? this.c.yellow : level === 'debug' ? this.c.gray : colourFor(this.c, type);
    const who = ticket ? this.c.bold(ticket.padEnd(8)) + ' ' : '';
    // Ticket and agent text may carry terminal escapes: only our own colours reach the terminal.
    out.write(terminalSafe(this.redact(`${this.c.gray(time)} ${who}${paint(message)}`), this.opts.color === true) + '\n');
  }

  /** Event lines a full disk kept out of events.jsonl (held in memory until there is room), or null. */
  get unwritten(): Unwritten | null {
    return this.unwrittenInfo;
  }

  /** Append the lines a full disk refused, if there is room now. True when none are left waiting. */
  flushUnwritten(): boolean {
    const file = this.opts.eventsFile;
    if (!file || this.pending.length === 0) return true;
    this.writeLines(file, []);
    return this.pending.length === 0;
  }

  private appendEvent(json: string): void {
    const file = this.opts.eventsFile;
    if (!file) return;
    this.writeLines(file, [json]);
  }

  /**
   * Waiting lines first, then `lines`, each whole or not at all (appendLine cuts a short write back off).
   * A full disk keeps what is left in memory, in order, for the next append or flushUnwritten().
   */
  private writeLines(file: string, lines: string[]): void {
    const queue = this.pending.length > 0 ? [...this.pending, ...lines] : lines;
    let written = 0;
    let fd: number | null = null;
    try {
      fd = openSync(file, 'a+', 0o600);
      if (this.checkTail) {
        if (!endsWithNewline(fd)) appendLine(fd, file, '');
        this.checkTail = false;
      }
      for (const line of queue) {
        appendLine(fd, file, line);
        written++;
        this.writtenSinceCheck += line.length + 1;
      }
    } catch (err) {
      if ((err as { torn?: boolean }).torn) this.checkTail = true;
      if (isDiskFull(err)) this.keepUnwritten(file, queue.slice(written), err as Error);
      else {
        // Losing an event line must never stop the daemon; say so on stderr.
        process.stderr.write(`swarm: could not append to ${file}: ${(err as Error).message}\n`);
        this.pending = [];
        this.unwrittenInfo = null;
      }
      return;
    } finally {
      if (fd !== null) closeSync(fd);
    }
    if (this.pending.length > 0 || this.unwrittenInfo !== null) {
      this.pending = [];
      this.unwrittenInfo = null;
    }
    // stat() at most every 64 KB written (or every eighth of a small limit), not on every line.
    if (this.writtenSinceCheck > Math.min(64 * 1024, this.maxEventsBytes / 8)) this.maybeRotate(file);
  }

  private keepUnwritten(file: string, rest: string[], err: Error): void {
    let dropped = this.unwrittenInfo?.dropped ?? 0;
    let bytes = rest.reduce((n, l) => n + l.length + 1, 0);
    while (rest.length > 0 && (rest.length > MAX_UNWRITTEN_LINES || bytes > MAX_UNWRITTEN_BYTES)) {
      bytes -= rest.shift()!.length + 1;
      dropped++;
    }
    if (this.unwrittenInfo === null) process.stderr.write(`swarm: could not append to ${file}: ${err.message}; keeping event lines in memory until there is room\n`);
    this.pending = rest;
    this.unwrittenInfo = { file, lines: rest.length, since: this.unwrittenInfo?.since ?? new Date(this.now()).toISOString(), error: err.message, dropped };
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
