// The failing part of a CI log, for a follow-up prompt: at most `maxBytes` bytes (UTF-8), taken from the end
// — where a failure is reported — and starting at a line boundary. Pure except for downloadTail(), which
// streams a log from a URL through the same cut without ever holding more than about two windows of it.
//
// GitHub Actions job logs prefix every line with an ISO timestamp and carry ANSI colour codes; both are
// noise to the agent and are removed before bytes are counted. A failed step ends with an `##[error]` line
// ("Process completed with exit code 1."), and the job's post steps (checkout and cache clean-up) come
// after it: when the log has `##[error]` lines, the excerpt ends at the last one, so those clean-up lines
// never crowd the failure out of the window.

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?/;
const ERROR_LINE = /^##\[error\]/;

/** One log line as the agent should read it: no BOM, no ANSI codes, no Actions timestamp, no CR. */
export function cleanLogLine(line: string): string {
  return line.replace(/^\uFEFF/, '').replace(/\r$/, '').replace(ANSI, '').replace(TIMESTAMP, '');
}

function bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** The last `max` bytes of `s`, starting on a character boundary (never more than `max`). */
export function tailBytes(s: string, max: number): string {
  if (max <= 0) return '';
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= max) return s;
  let start = buf.length - max;
  while (start < buf.length && (buf[start]! & 0xc0) === 0x80) start++; // skip UTF-8 continuation bytes
  return buf.subarray(start).toString('utf8');
}

/** A window of whole lines whose joined size (lines + newlines between them) stays within `max` bytes. */
class LineWindow {
  private lines: string[] = [];
  private head = 0;
  private size = 0;
  constructor(private readonly max: number) {}

  push(line: string): void {
    this.lines.push(line);
    this.size += bytes(line) + (this.count() > 1 ? 1 : 0);
    while (this.count() > 0 && this.size > this.max) {
      const dropped = this.lines[this.head++]!;
      this.size -= bytes(dropped) + (this.count() > 0 ? 1 : 0);
    }
    if (this.head > 1024 && this.head * 2 > this.lines.length) {
      this.lines = this.lines.slice(this.head);
      this.head = 0;
    }
  }

  all(): string[] {
    return this.lines.slice(this.head);
  }

  clear(): void {
    this.lines = [];
    this.head = 0;
    this.size = 0;
  }

  private count(): number {
    return this.lines.length - this.head;
  }
}

/** Feed text in any chunks; `end()` gives the excerpt. */
export class LogTail {
  /** Lines up to and including the last `##[error]` line. */
  private readonly failed: LineWindow;
  /** Lines after it (all lines while there is none). */
  private readonly after: LineWindow;
  private sawError = false;
  private partial = '';
  /** The partial line grew past every window and was cut: its start is gone. */
  private partialCut = false;
  private last: string | null = null;
  private lastAnchor: string | null = null;

  constructor(private readonly maxBytes: number) {
    this.failed = new LineWindow(maxBytes);
    this.after = new LineWindow(maxBytes);
  }

  write(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    for (const p of parts) this.line(p);
    // A line without an end can be very long: keep only what could still fit.
    const cap = Math.max(4 * this.maxBytes, 4096);
    if (this.partial.length > cap) {
      this.partial = this.partial.slice(this.partial.length - cap);
      this.partialCut = true;
    }
  }

  end(): string {
    if (this.partial !== '') this.line(this.partial);
    this.partial = '';
    const lines = this.sawError ? this.failed.all() : this.after.all();
    if (lines.length > 0) return lines.join('\n');
    // One line longer than the whole window: no line boundary fits, so keep its end.
    const only = this.sawError ? this.lastAnchor : this.last;
    return only === null ? '' : tailBytes(only, this.maxBytes);
  }

  private line(raw: string): void {
    const line = this.partialCut ? raw.replace(/\r$/, '').replace(ANSI, '') : cleanLogLine(raw);
    this.partialCut = false;
    if (ERROR_LINE.test(line)) {
      for (const l of this.after.all()) this.failed.push(l);
      this.after.clear();
      this.failed.push(line);
      this.sawError = true;
      this.lastAnchor = line;
    } else {
      this.after.push(line);
    }
    this.last = line;
  }
}

/** The excerpt of a whole text (output.text, a summary). */
export function excerpt(text: string, maxBytes: number): string {
  const tail = new LogTail(Math.max(0, Math.floor(maxBytes)));
  tail.write(text);
  return tail.end().replace(/\s+$/, '');
}

/**
 * Download `url` (a pre-signed log URL: no Authorization header is ever sent to it) and cut it like
 * excerpt(). null when the download fails or answers other than 200.
 */
export async function downloadTail(url: string, maxBytes: number, opts: { fetch?: typeof fetch; timeoutMs?: number } = {}): Promise<string | null> {
  const doFetch = opts.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, { method: 'GET', redirect: 'follow', signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000) });
  } catch {
    return null;
  }
  if (res.status !== 200 || res.body === null) {
    await res.body?.cancel().catch(() => undefined);
    return null;
  }
  const tail = new LogTail(Math.max(0, Math.floor(maxBytes)));
  const decoder = new TextDecoder('utf-8');
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) tail.write(decoder.decode(chunk, { stream: true }));
    tail.write(decoder.decode());
  } catch {
    return null; // cut off mid-way (timeout, reset): a partial log would end in the wrong place
  }
  return tail.end().replace(/\s+$/, '');
}
