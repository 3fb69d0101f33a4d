// Masks secrets in the agent's raw stream on its way into the run file (.swarm/runs/**.jsonl): the values
// given, every secret this process registered, and the token patterns (secret-patterns.ts). Complete
// lines are redacted as a whole, so a secret split across two pipe chunks is still caught; bytes of a line
// without any secret are written untouched (the transcript stays byte-for-byte when nothing leaks). Memory
// stays bounded: a line that grows past `maxPending` without a newline is flushed early, keeping back just
// enough bytes that a secret still arriving can never be written half (a token pattern: PATTERN_KEEP
// bytes; a private key whose END line has not arrived: from its BEGIN line, up to PEM_KEEP bytes).
import { expandSecrets, knownSecrets, redactWith } from '../util/secrets.js';

const NEWLINE = 0x0a;
const DEFAULT_MAX_PENDING = 256 * 1024;
/** The longest token a pattern matches (github tokens go to 255 characters; URL passwords are short). */
const PATTERN_KEEP = 512;
/** A private key block is a few KB (RSA 4096: ~3.3 KB); a BEGIN line older than this is not waited for. */
const PEM_KEEP = 16 * 1024;
const PEM_BEGIN = Buffer.from('-----BEGIN');
const PEM_END = Buffer.from('-----END');

export class LineRedactor {
  private pending: Buffer = Buffer.alloc(0);
  private readonly secrets: string[];
  /** Bytes held back when an over-long line is flushed early: the longest secret minus one. */
  private readonly keep: number;

  constructor(values: readonly string[], private readonly maxPending = DEFAULT_MAX_PENDING) {
    this.secrets = expandSecrets([...values, ...knownSecrets()]);
    this.keep = Math.max(PATTERN_KEEP, ...this.secrets.map((s) => Buffer.byteLength(s, 'utf8') - 1));
  }

  /** Feed a chunk; returns the bytes that may be written now (possibly empty). */
  push(chunk: Buffer): Buffer {
    const data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const nl = data.lastIndexOf(NEWLINE);
    if (nl === -1) {
      this.pending = data;
      return this.pending.length > this.maxPending ? this.flushEarly() : Buffer.alloc(0);
    }
    // Copy the remainder so a small tail never pins a large chunk in memory.
    this.pending = Buffer.from(data.subarray(nl + 1));
    return this.redact(data.subarray(0, nl + 1));
  }

  /** Whatever is left (a torn last line), redacted. */
  end(): Buffer {
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    return rest.length === 0 ? rest : this.redact(rest);
  }

  private redact(buf: Buffer): Buffer {
    const text = buf.toString('utf8');
    const out = redactWith(this.secrets, text);
    return out === text ? buf : Buffer.from(out, 'utf8');
  }

  private flushEarly(): Buffer {
    // A private key whose END has not arrived yet is held back whole (from its BEGIN line), so the
    // pattern sees the complete block once it does.
    const begin = this.pending.lastIndexOf(PEM_BEGIN);
    if (begin > 0 && this.pending.length - begin <= PEM_KEEP && this.pending.indexOf(PEM_END, begin) === -1) {
      const head = this.redact(this.pending.subarray(0, begin));
      this.pending = Buffer.from(this.pending.subarray(begin));
      return head;
    }
    // After redaction, any secret not yet complete starts within the last `keep` bytes.
    const red = this.redact(this.pending);
    const cut = red.length - this.keep;
    if (cut <= 0) {
      this.pending = red;
      return Buffer.alloc(0);
    }
    this.pending = Buffer.from(red.subarray(cut));
    return red.subarray(0, cut);
  }
}
