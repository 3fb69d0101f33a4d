import { ConfigError } from '../errors.js';
// Durations in WORKFLOW.md: "90s", "10m", "1h", "2d", "1h30m", "250ms", or plain milliseconds
// (a number or a digit-only string). Everything is converted to integer milliseconds here, once, so the
// rest of swarm never parses time strings.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;

/** The expected-format phrase used in every duration error. */
export const DURATION_HINT = 'a duration like "90s", "10m", "1h", "2d" or a number of milliseconds';

function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : String(value);
}

/**
 * Parse a duration into milliseconds. `key` is the key path for the error message
 * (e.g. "agent.timeout"), `file` the WORKFLOW.md path as the operator knows it.
 * Throws ConfigError on anything that is not a non-negative duration.
 */
export function parseDuration(value: unknown, key = 'duration', file = 'WORKFLOW.md'): number {
  const fail = (): never => {
    throw new ConfigError(`${file}: ${key} must be ${DURATION_HINT} (got ${shown(value)})`);
  };
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) fail();
    return Math.round(value);
  }
  if (typeof value !== 'string') return fail();
  const text = value.trim().toLowerCase().replace(/\s+/g, '');
  if (text === '') return fail();
  if (/^\d+$/.test(text)) return Number(text);
  if (!WHOLE.test(text)) return fail();
  let total = 0;
  for (const m of text.matchAll(PART)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  if (!Number.isFinite(total)) fail();
  return Math.round(total);
}
