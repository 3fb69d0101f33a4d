// The last bytes of a stream (an agent's stderr), kept in bounded memory whatever its size.

/** Keeps the last `max` bytes, dropping a torn UTF-8 sequence at the front. */
export class TailBuffer {
  private buf = Buffer.alloc(0);
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk.length > this.max ? chunk.subarray(chunk.length - this.max) : chunk]);
    if (this.buf.length > this.max) this.buf = this.buf.subarray(this.buf.length - this.max);
  }
  toString(): string {
    let start = 0;
    while (start < this.buf.length && start < 4 && (this.buf[start]! & 0xc0) === 0x80) start++;
    return this.buf.subarray(start).toString('utf8');
  }
}
