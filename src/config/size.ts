// Sizes in WORKFLOW.md (`agent.transcript_max`): "200MB", "1.5 GB", "512KB", "4096B" or a plain number of
// bytes. Units are binary (1 KB = 1024 bytes), as in `du -h`. Converted to whole bytes here, once.
import { ConfigError } from '../errors.js';
import type { Section } from './fields.js';

const UNIT: Record<string, number> = { b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };
export const SIZE_HINT = 'a size like "200MB", "1GB", "512KB" or a number of bytes';

/** Bytes for a size value, or null when it is not one. */
export function parseSize(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.floor(value) : null;
  if (typeof value !== 'string') return null;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  if (!m) return null;
  const unit = UNIT[(m[2] || 'b').toLowerCase()];
  return unit === undefined ? null : Math.floor(Number(m[1]) * unit);
}

/** A size key of `s` in bytes (default `def`), at least `min`; a ConfigError naming the key otherwise. */
export function readSize(s: Section, key: string, def: number, min: number): number {
  const v = s.get(key);
  if (!v) return def;
  const bytes = parseSize(v.value);
  if (bytes === null || bytes < min) {
    const got = typeof v.value === 'string' ? JSON.stringify(v.value) : String(v.value);
    throw new ConfigError(`${s.file}: ${s.keyPath(key)} must be ${SIZE_HINT}, at least ${min} bytes (got ${got}${v.envName ? ` from $${v.envName}` : ''})`);
  }
  return bytes;
}
