// The log cut for follow-up prompts: never more than maxBytes (UTF-8), from the end, at a line boundary,
// ending at the last Actions `##[error]` line, whatever the chunking.
import { describe, expect, it } from 'vitest';
import { cleanLogLine, excerpt, LogTail, tailBytes } from '../../src/tracker/github/log-excerpt.js';

function chunked(text: string, max: number, size: number): string {
  const t = new LogTail(max);
  for (let i = 0; i < text.length; i += size) t.write(text.slice(i, i + size));
  return t.end();
}

describe('log excerpt', () => {
  it('keeps the last whole lines that fit, in any chunking', () => {
    const text = Array.from({ length: 200 }, (_, i) => `line ${i}`).join('\n');
    const want = excerpt(text, 64);
    expect(Buffer.byteLength(want)).toBeLessThanOrEqual(64);
    expect(want.endsWith('line 199')).toBe(true);
    expect(text.split('\n')).toContain(want.split('\n')[0]);
    for (const size of [1, 3, 7, 64, 10_000]) expect(chunked(text, 64, size)).toBe(want);
  });

  it('counts bytes, not characters, and never splits a character', () => {
    const text = ['ééééé', 'ü'.repeat(10), '日本語のログ'].join('\n');
    const out = excerpt(text, 20);
    expect(out).toBe('日本語のログ');
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(20);
    expect(tailBytes('日本語', 4)).toBe('語');
    expect(tailBytes('abc', 0)).toBe('');
  });

  it('a single line longer than the window: its end, cut at a character boundary', () => {
    const long = `start ${'x'.repeat(5000)} the actual error`;
    const out = excerpt(`a\n${long}\n`, 100);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(100);
    expect(out.endsWith('the actual error')).toBe(true);
    // Fed in small chunks, the endless line is held to a bounded size and still ends the same way.
    expect(chunked(`a\n${long}`, 100, 17).endsWith('the actual error')).toBe(true);
  });

  it('ends at the last ##[error] line, so post-job clean-up never crowds out the failure', () => {
    const text = [
      '2026-01-01T00:00:00.0000000Z ##[error]first error',
      'more output',
      '2026-01-01T00:00:01.0000000Z ##[error]Process completed with exit code 1.',
      ...Array.from({ length: 50 }, (_, i) => `2026-01-01T00:00:02.0000000Z Post job cleanup ${i}`),
    ].join('\n');
    const out = excerpt(text, 200);
    expect(out).toBe('##[error]first error\nmore output\n##[error]Process completed with exit code 1.');
    expect(excerpt(text, 45)).toBe('##[error]Process completed with exit code 1.');
  });

  it('cleans Actions lines: BOM, timestamp, ANSI colours, CR', () => {
    expect(cleanLogLine('\uFEFF2026-01-01T00:00:00.1234567Z \x1b[31;1mboom\x1b[0m\r')).toBe('boom');
    expect(cleanLogLine('no timestamp here')).toBe('no timestamp here');
  });

  it('nothing fits: empty', () => {
    expect(excerpt('', 100)).toBe('');
    expect(excerpt('abc\n', 0)).toBe('');
  });
});
