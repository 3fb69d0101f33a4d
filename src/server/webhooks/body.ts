// Reading a webhook request body with a hard cap, streaming: bytes past the cap are counted and dropped,
// never kept, so a 10 MB body costs nothing but the time to read it. The rest of an oversized body is
// drained (up to DRAIN_MAX) before the 413 is sent, so an honest client that is still uploading reads the
// answer instead of a reset connection; beyond DRAIN_MAX, or after the time limit, the socket is cut.
import type http from 'node:http';

/** Beyond this, an oversized body is not drained: the connection is cut. */
export const DRAIN_MAX = 32 * 1024 * 1024;

export type BodyResult = { ok: true; body: Buffer } | { ok: false; why: 'too_large' | 'timeout' | 'aborted' };

export function readCappedBody(req: http.IncomingMessage, cap: number, timeoutMs: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    let settled = false;
    const settle = (r: BodyResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      settle({ ok: false, why: 'timeout' });
      req.destroy();
    }, timeoutMs);
    timer.unref();
    const announced = Number(req.headers['content-length']);
    if (Number.isFinite(announced) && announced > DRAIN_MAX) {
      settle({ ok: false, why: 'too_large' });
      req.resume();
      return;
    }
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (over) {
        if (size > DRAIN_MAX) {
          settle({ ok: false, why: 'too_large' });
          req.destroy();
        }
        return;
      }
      if (size > cap) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => settle(over ? { ok: false, why: 'too_large' } : { ok: true, body: Buffer.concat(chunks, size) }));
    req.on('error', () => settle({ ok: false, why: 'aborted' }));
    req.on('close', () => settle({ ok: false, why: 'aborted' }));
  });
}
