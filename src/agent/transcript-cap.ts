// An attempt's transcript (`.swarm/runs/<ticket>/<n>.jsonl`) within agent.transcript_max: the first half
// of the budget is written as it comes (cut at a line boundary), the rest goes to two rotating tail segments
// beside it (`<n>.tail-<k>.jsonl`, each at most a quarter of the budget, the older one deleted as a new one
// starts), so disk use never exceeds the budget however much the agent prints. When the run ends the newest
// tail is appended after one marker line saying how much was cut:
//   {"type":"swarm_transcript_cut","omitted_bytes":…,"kept_head_bytes":…,"kept_tail_bytes":…,"transcript_max":…}
// Memory stays flat: write streams with backpressure, the tail copied back by streaming.
import { createReadStream, createWriteStream, rmSync, statSync, type WriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

/** An agent that prints more than this many times agent.transcript_max is killed (infrastructure). */
export const TRANSCRIPT_HARD_FACTOR = 4;
/** Bytes kept for the marker line between head and tail. */
const MARKER_RESERVE = 512;
const NEWLINE = 0x0a;

export interface CutMarker {
  type: 'swarm_transcript_cut';
  omitted_bytes: number;
  kept_head_bytes: number;
  kept_tail_bytes: number;
  transcript_max: number;
}

export class CappedTranscript {
  private readonly headMax: number;
  private readonly segMax: number;
  private headBytes = 0;
  /** Whether what the head holds ends on a newline (the marker must start on a line of its own). */
  private headEndsLine = true;
  private inTail = false;
  private seg: { k: number; file: string; stream: WriteStream; bytes: number } | null = null;
  private older: { file: string; closed: Promise<void> } | null = null;
  /** Bytes offered by the agent (after redaction), kept or not. */
  total = 0;
  private readonly errorHandlers: ((err: Error) => void)[] = [];

  constructor(
    private readonly head: WriteStream,
    private readonly file: string,
    /** agent.transcript_max in bytes; null: no cap. */
    private readonly max: number | null,
  ) {
    this.headMax = max === null ? Infinity : Math.floor(max / 2);
    this.segMax = max === null ? Infinity : Math.max(1024, Math.floor((max - this.headMax - MARKER_RESERVE) / 2));
    head.on('error', (err) => this.fail(err));
  }

  onError(fn: (err: Error) => void): void {
    this.errorHandlers.push(fn);
  }

  /** Like WriteStream.write: false means wait for onceDrain() before writing more. */
  write(chunk: Buffer): boolean {
    this.total += chunk.length;
    if (!this.inTail) {
      const room = this.headMax - this.headBytes;
      if (chunk.length <= room) {
        this.headBytes += chunk.length;
        if (chunk.length > 0) this.headEndsLine = chunk[chunk.length - 1] === NEWLINE;
        return this.head.write(chunk);
      }
      // The head ends at the last whole line that fits; everything after goes to the tail.
      const cut = room > 0 ? chunk.lastIndexOf(NEWLINE, room - 1) + 1 : 0;
      let ok = true;
      if (cut > 0) {
        this.headBytes += cut;
        this.headEndsLine = true;
        ok = this.head.write(chunk.subarray(0, cut));
      }
      this.inTail = true;
      chunk = chunk.subarray(cut);
      if (chunk.length === 0) return ok;
      return this.writeTail(chunk) && ok;
    }
    return this.writeTail(chunk);
  }

  /** Call `fn` once every stream that asked to wait has drained (or finished: a rotated segment ends). */
  onceDrain(fn: () => void): void {
    const waiting = [this.head, this.seg?.stream].filter((s): s is WriteStream => s !== undefined && s.writableNeedDrain && !s.writableFinished);
    if (waiting.length === 0) return void setImmediate(fn);
    let left = waiting.length;
    for (const s of waiting) {
      const done = () => {
        s.off('drain', done);
        s.off('finish', done);
        s.off('close', done);
        if (--left === 0) fn();
      };
      s.on('drain', done);
      s.on('finish', done);
      s.on('close', done);
    }
  }

  private writeTail(chunk: Buffer): boolean {
    let ok = true;
    while (chunk.length > 0) {
      if (this.seg === null || this.seg.bytes >= this.segMax) this.rotate();
      const seg = this.seg!;
      const part = chunk.subarray(0, this.segMax - seg.bytes);
      seg.bytes += part.length;
      ok = seg.stream.write(part) && ok;
      chunk = chunk.subarray(part.length);
    }
    return ok;
  }

  /** Start the next tail segment; the one before the previous is deleted (only the newest two are kept). */
  private rotate(): void {
    const k = this.seg === null ? 0 : this.seg.k + 1;
    if (this.seg !== null) {
      const prev = this.seg;
      const dropped = this.older;
      this.older = { file: prev.file, closed: new Promise((r) => prev.stream.end(r)) };
      if (dropped) void dropped.closed.then(() => rmSync(dropped.file, { force: true }));
    }
    const file = segmentFile(this.file, k);
    const stream = createWriteStream(file, { flags: 'w', mode: 0o600 });
    stream.on('error', (err) => this.fail(err));
    this.seg = { k, file, stream, bytes: 0 };
  }

  private fail(err: Error): void {
    for (const fn of this.errorHandlers) fn(err);
  }

  /** Finish the file: when something was cut, the marker line and the newest tail after the head. */
  async end(): Promise<CutMarker | null> {
    if (!this.inTail) {
      await new Promise<void>((r) => this.head.end(r));
      return null;
    }
    const segs: string[] = [];
    if (this.older) {
      await this.older.closed;
      segs.push(this.older.file);
    }
    if (this.seg) {
      const s = this.seg;
      await new Promise<void>((r) => s.stream.end(r));
      segs.push(s.file);
    }
    // The older segment starts mid-line (its beginning was rotated away): keep from its first whole line.
    const starts = await Promise.all(segs.map((f, i) => (i === 0 && this.older ? firstLineStart(f) : Promise.resolve(0))));
    const keptTail = segs.reduce((n, f, i) => n + Math.max(0, sizeOf(f) - starts[i]!), 0);
    const marker: CutMarker = { type: 'swarm_transcript_cut', omitted_bytes: Math.max(0, this.total - this.headBytes - keptTail), kept_head_bytes: this.headBytes, kept_tail_bytes: keptTail, transcript_max: this.max ?? 0 };
    if (!this.headEndsLine) this.head.write('\n');
    this.head.write(`${JSON.stringify(marker)}\n`);
    for (const [i, f] of segs.entries()) {
      await pipeline(createReadStream(f, { start: starts[i] }), this.head, { end: false }).catch((err: Error) => this.fail(err));
    }
    await new Promise<void>((r) => this.head.end(r));
    for (const f of segs) rmSync(f, { force: true });
    return marker;
  }
}

export function segmentFile(runFile: string, k: number): string {
  return `${runFile.replace(/\.jsonl$/, '')}.tail-${k}.jsonl`;
}

function sizeOf(f: string): number {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
}

/** Offset just past the first newline of `f` (its size when there is none). */
async function firstLineStart(f: string): Promise<number> {
  let pos = 0;
  for await (const chunk of createReadStream(f, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) {
    const i = chunk.indexOf(NEWLINE);
    if (i >= 0) return pos + i + 1;
    pos += chunk.length;
  }
  return pos;
}
