// The bounded tail of an agent's stderr (util/tail-buffer.ts): only the last bytes are kept, whatever
// arrives, and a UTF-8 character cut at the front is dropped rather than shown as garbage.
import { describe, expect, it } from 'vitest';
import { TailBuffer } from '../../src/util/tail-buffer.js';

describe('TailBuffer', () => {
  it('keeps everything while under the limit, then only the last max bytes', () => {
    const t = new TailBuffer(8);
    t.push(Buffer.from('abc'));
    expect(t.toString()).toBe('abc');
    t.push(Buffer.from('defgh'));
    t.push(Buffer.from('ij'));
    expect(t.toString()).toBe('cdefghij');
  });

  it('a single chunk larger than the limit keeps only its end (memory stays bounded)', () => {
    const t = new TailBuffer(4);
    t.push(Buffer.alloc(1_000_000, 'x'));
    t.push(Buffer.from('yz'));
    expect(t.toString()).toBe('xxyz');
  });

  it('drops a multi-byte character torn by the cut instead of printing a replacement character', () => {
    const t = new TailBuffer(5);
    t.push(Buffer.from('a€bcd')); // € is 3 bytes: the last 5 bytes are its last 2 bytes + 'bcd'
    expect(t.toString()).toBe('bcd');
    const whole = new TailBuffer(6);
    whole.push(Buffer.from('a€bcd'));
    expect(whole.toString()).toBe('€bcd');
  });
});
