// Owns reading a usage-limit reset time out of Claude Code's human text ("You've hit your 5-hour limit ·
// resets 8:46am (America/Chicago)"). Structured `resetsAt` fields are better and win in the classifier;
// this is the fallback for older CLIs and text-only errors. Zones via Intl only (no tz library).
import { localZone, offsetAt, validZone, wallAt } from '../util/wall-clock.js';

export interface ResetTime {
  /** Epoch ms of the reset, or null when the text names none. */
  resetAt: number | null;
  /** five_hour | seven_day | session | unknown; null when the text is not about a usage limit. */
  limitType: string | null;
}

/**
 * A wall-clock time that passed less than this long ago is taken as "just reset" rather than "tomorrow":
 * the text has minute resolution and reaches us a moment after the CLI wrote it.
 */
export const RESET_GRACE_MS = 5 * 60_000;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const LEGACY = /usage limit reached\|(\d{9,13})/i;
const LIMIT = /hit your\s+(?:([\w-]+(?:\s+[\w-]+)?)\s+)?limit/i;
const RESETS = new RegExp(
  'resets\\s+(?:on\\s+|at\\s+)?' +
    '(?:([a-z]{3,9})\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(?:at\\s+)?)?' + // optional "Nov 25, "
    '(\\d{1,2})(?::(\\d{2}))?\\s*([ap]\\.?m\\.?)?' + // 8:46am | 4pm | 17:00
    '(?:\\s*\\(([^)]+)\\))?', // (America/Chicago)
  'i',
);

export function parseResetTime(text: string, now: Date, defaultZone?: string): ResetTime {
  const limitType = limitTypeOf(text);
  const legacy = LEGACY.exec(text);
  if (legacy) {
    const n = Number(legacy[1]);
    return { resetAt: n < 1e12 ? n * 1000 : n, limitType: limitType ?? 'unknown' };
  }
  const m = RESETS.exec(text);
  if (!m) return { resetAt: null, limitType };
  const [, monthName, dayStr, hourStr, minStr, ampm, zoneName] = m;
  // "resets in 5 hours" is not a clock time: demand am/pm, minutes or a zone.
  if (!ampm && minStr === undefined && !zoneName) return { resetAt: null, limitType };
  let hour = Number(hourStr);
  const minute = minStr === undefined ? 0 : Number(minStr);
  if (ampm) {
    if (hour < 1 || hour > 12) return { resetAt: null, limitType };
    const pm = ampm[0]!.toLowerCase() === 'p';
    hour = (hour % 12) + (pm ? 12 : 0);
  }
  if (hour > 23 || minute > 59) return { resetAt: null, limitType };
  let month: number | null = null;
  let day = 0;
  if (monthName !== undefined) {
    const idx = MONTHS.indexOf(monthName.slice(0, 3).toLowerCase());
    day = Number(dayStr);
    if (idx < 0 || day < 1 || day > 31) return { resetAt: null, limitType };
    month = idx + 1;
  }
  // A named zone we cannot resolve is read as UTC (off by hours at worst); no zone means the machine's own.
  const zone = zoneName ? (validZone(zoneName.trim()) ?? 'UTC') : (validZone(defaultZone) ?? localZone());
  const nowMs = now.getTime();
  const today = wallAt(nowMs, zone);
  let at: number;
  if (month === null) {
    at = wallToUtc(today.y, today.mo, today.d, hour, minute, zone);
    if (at < nowMs - RESET_GRACE_MS) {
      const next = new Date(Date.UTC(today.y, today.mo - 1, today.d + 1));
      at = wallToUtc(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), hour, minute, zone);
    }
  } else {
    at = wallToUtc(today.y, month, day, hour, minute, zone);
    if (at < nowMs - RESET_GRACE_MS) at = wallToUtc(today.y + 1, month, day, hour, minute, zone);
  }
  return { resetAt: at, limitType: limitType ?? 'unknown' };
}

function limitTypeOf(text: string): string | null {
  const m = LIMIT.exec(text);
  if (!m) return null;
  const words = (m[1] ?? '').toLowerCase();
  if (/5-hour|five-hour|5 hour|five hour/.test(words)) return 'five_hour';
  if (/week|7-day|seven-day/.test(words)) return 'seven_day';
  if (/session/.test(words)) return 'session';
  // Model-scoped weekly limits: "You've hit your Opus limit · resets 7:19pm (UTC)" (2.1.332 for a 429 whose
  // representative claim is seven_day_opus; test/fixtures/claude/usage-opus.*). Its reset text has no date
  // even days ahead: the structured resetsAt wins whenever there is one.
  if (/^opus$/.test(words)) return 'seven_day_opus';
  if (/^sonnet$/.test(words)) return 'seven_day_sonnet';
  return 'unknown';
}

/** The instant at which `zone`'s clocks show the given wall time; iterates because offsets move at DST. */
function wallToUtc(y: number, mo: number, d: number, h: number, mi: number, zone: string): number {
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  let t = wall - offsetAt(wall, zone);
  for (let i = 0; i < 3; i++) {
    const next = wall - offsetAt(t, zone);
    if (next === t) break;
    t = next;
  }
  return t;
}
