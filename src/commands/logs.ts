// `swarm logs <ticket> [--attempt N] [--follow]`: an attempt's transcript rendered for humans. --follow
// tails a running attempt until its result line arrives or the attempt ends.
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SwarmPaths } from '../state/paths.js';
import type { AttemptRecord, TicketState } from '../core/types.js';
import { StreamParser } from '../agent/stream.js';
import { findTicketState, ticketArg } from '../core/ticket-keys.js';
import { renderEvent, renderTranscript, type TranscriptOptions } from '../report/transcript.js';
import { terminalSafe } from '../util/terminal.js';
import { useColor, type IO } from './common.js';
import { commandContext } from './context.js';
import { chalkPaint } from './paint.js';
import { UsageError } from '../errors.js';

export interface LogsOptions {
  attempt?: string;
  follow?: boolean;
  /** Poll interval while following (ms). */
  pollMs?: number;
  /** Stop following after this long without a result (ms); default: no limit. */
  followTimeoutMs?: number;
}

export async function logsCommand(ticketInput: string, opts: LogsOptions, io: IO): Promise<number> {
  const ctx = commandContext(io);
  const paths = ctx.paths;
  const records = ctx.records();
  const ts = records ? findTicketState(records, ticketInput) : null;
  const attempts = attemptFiles(paths, ts, ticketInput);
  if (attempts.length === 0) throw new UsageError(`no transcripts for ticket "${ticketInput}": swarm has not run an agent on it (see \`swarm explain ${ticketArg(ticketInput)}\`)`);
  let n = attempts[attempts.length - 1]!.number;
  if (opts.attempt !== undefined) {
    n = Number(opts.attempt);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--attempt must be a positive whole number (got "${opts.attempt}")`);
    if (!attempts.some((a) => a.number === n)) throw new UsageError(`ticket ${ts?.identifier ?? ticketInput} has no attempt ${n} (attempts: ${attempts.map((a) => a.number).join(', ')})`);
  }
  const chosen = attempts.find((a) => a.number === n)!;
  const render: TranscriptOptions = { paint: useColor(io) ? chalkPaint() : undefined };
  const p = render.paint;
  // The header and outcome quote the ticket and the agent (a reason quotes stderr): terminal-safe too.
  const say = (line: string) => io.stdout.write(terminalSafe(line, p?.sgr) + '\n');
  const head = (r: AttemptRecord | null) =>
    r ? `${ts!.identifier} attempt ${r.number} · ${r.model} · ${r.outcome}${r.counted ? ' (counted)' : ''} · started ${r.started_at}` : `${ticketInput} attempt ${n}`;
  say(p ? p.bold(head(chosen.record)) : head(chosen.record));
  if (!opts.follow) {
    if (!existsSync(chosen.file)) throw new UsageError(`attempt ${n} has no transcript file (${chosen.file} is missing)`);
    io.stdout.write(renderTranscript(readFileText(chosen.file), render));
    if (chosen.record && chosen.record.outcome !== 'running' && chosen.record.reason) say(`outcome: ${chosen.record.outcome} — ${chosen.record.reason}`);
    return 0;
  }
  const live = () => {
    const again = ctx.records();
    const t = again ? findTicketState(again, ticketInput) : null;
    return t?.attempts.find((a) => a.number === n) ?? null;
  };
  const daemonAlive = () => ctx.holder() !== null;
  await follow(chosen.file, render, io, live, daemonAlive, opts);
  const end = live();
  if (end && end.outcome !== 'running') say(`outcome: ${end.outcome}${end.reason ? ` — ${end.reason}` : ''}`);
  return 0;
}

interface AttemptFile { number: number; file: string; record: AttemptRecord | null }

function attemptFiles(paths: SwarmPaths, ts: TicketState | null, input: string): AttemptFile[] {
  if (ts && ts.attempts.length > 0) {
    return ts.attempts.map((a) => {
      const fallback = join(paths.runs, safeDir(ts.key), `${a.number}.jsonl`);
      return { number: a.number, file: a.run_file && existsSync(a.run_file) ? a.run_file : fallback, record: a };
    });
  }
  const dir = join(paths.runs, safeDir(ticketArg(input)));
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => /^(\d+)\.jsonl$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ number: Number(m[1]), file: join(dir, m[0]), record: null }))
    .sort((a, b) => a.number - b.number);
}

/** Same mapping as the run-file writer (attempt.ts safeSegment): keys with odd characters. */
function safeDir(key: string): string {
  return key.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 80) || 'ticket';
}

function readFileText(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const size = statSync(file).size;
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Tail `file` until a result line, or the attempt ends (state says so, or no daemon runs, and no bytes are left). */
async function follow(file: string, render: TranscriptOptions, io: IO, live: () => AttemptRecord | null, daemonAlive: () => boolean, opts: LogsOptions): Promise<void> {
  const parser = new StreamParser();
  const pollMs = opts.pollMs ?? 250;
  const deadline = opts.followTimeoutMs ? Date.now() + opts.followTimeoutMs : Infinity;
  let pos = 0;
  let sawResult = false;
  const emit = (evs: ReturnType<StreamParser['push']>) => {
    for (const ev of evs) {
      for (const l of renderEvent(ev, render)) io.stdout.write(l + '\n');
      if (ev.type === 'result') sawResult = true;
    }
  };
  const drain = (): number => {
    if (!existsSync(file)) return 0;
    const size = statSync(file).size;
    if (size <= pos) return 0;
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(size - pos);
      const n = readSync(fd, buf, 0, buf.length, pos);
      pos += n;
      emit(parser.push(buf.subarray(0, n)));
      return n;
    } finally {
      closeSync(fd);
    }
  };
  for (;;) {
    const got = drain();
    if (sawResult) break;
    const rec = live();
    if (got === 0 && ((rec && rec.outcome !== 'running') || !daemonAlive())) {
      drain(); // anything written between the read and the state check
      break;
    }
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  emit(parser.end());
}
