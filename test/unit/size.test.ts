// agent.transcript_max: sizes in WORKFLOW.md, binary units, a clear error naming the key.
import { describe, expect, it } from 'vitest';
import { parseSize } from '../../src/config/size.js';
import { validateConfig } from '../../src/config/schema.js';

const agent = (transcript_max: unknown) => validateConfig({ agent: { transcript_max } }, { file: 'WORKFLOW.md', env: { MAX: '1GB' } }).config.agent.transcript_max;

describe('sizes', () => {
  it('reads bytes, KB, MB and GB (binary units), with or without a space', () => {
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize('512KB')).toBe(512 * 1024);
    expect(parseSize('200 MB')).toBe(200 * 1024 * 1024);
    expect(parseSize('1.5gb')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('12 parsecs')).toBeNull();
    expect(parseSize('-1')).toBeNull();
  });

  it('agent.transcript_max defaults to 200 MB, reads $ENV, and refuses nonsense naming the key', () => {
    expect(validateConfig({}, { file: 'WORKFLOW.md', env: {} }).config.agent.transcript_max).toBe(200 * 1024 * 1024);
    expect(agent('64KB')).toBe(65536);
    expect(agent('$MAX')).toBe(1024 ** 3);
    expect(() => agent('lots')).toThrow(/WORKFLOW\.md: agent\.transcript_max must be a size like "200MB", "1GB", "512KB" or a number of bytes, at least 16384 bytes \(got "lots"\)/);
    expect(() => agent('1KB')).toThrow(/at least 16384 bytes/);
  });
});
