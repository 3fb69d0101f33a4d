// Wall-clock time in an IANA zone, for the daily hours of the lanes and the reset times the CLI prints: what the clocks show at an instant,
// and the instant at which they show a given time. Intl only (no tz library); pure given the zone data.
// DST: a wall time that happens twice (clocks go back) is found at its first occurrence after the caller's
// `after`; one that never happens (clocks jump over it) resolves to the instant of the jump, the first
// moment the clocks show a later time — so a window that opens at 02:30 on a spring-forward night opens
// at 03:00.

export interface WallDate {
  y: number;
  mo: number;
  d: number;
}

export interface Wall extends WallDate {
  h: number;
  mi: number;
  s: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One cached formatter per zone; throws RangeError for a zone Intl does not know. */
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** `zone` when Intl knows it, else null. */
export function validZone(zone: string | undefined): string | null {
  if (!zone) return null;
  try {
    formatter(zone);
    return zone;
  } catch {
    return null; // RangeError: unknown time zone
  }
}

/** The daemon's own zone (TZ, else the system's), or UTC when Intl cannot say. */
export function localZone(): string {
  return validZone(new Intl.DateTimeFormat().resolvedOptions().timeZone) ?? 'UTC';
}

/** What the clocks in `zone` show at instant `ms`. */
export function wallAt(ms: number, zone: string): Wall {
  const p: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  return { y: p.year!, mo: p.month!, d: p.day!, h: p.hour! % 24, mi: p.minute!, s: p.second! };
}

/** UTC offset of `zone` at instant `ms`, in ms (Berlin in winter: +1 h). */
export function offsetAt(ms: number, zone: string): number {
  const w = wallAt(ms, zone);
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - Math.floor(ms / 1000) * 1000;
}

export function addDays(date: WallDate, n: number): WallDate {
  const t = new Date(Date.UTC(date.y, date.mo - 1, date.d + n));
  return { y: t.getUTCFullYear(), mo: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/**
 * The first instant at or after `after` at which `zone`'s clocks show `minutes` past midnight on `date`;
 * the instant of the jump when the clocks skip that time; null when it only happened before `after`.
 */
export function instantOf(date: WallDate, minutes: number, zone: string, after: number): number | null {
  const wall = Date.UTC(date.y, date.mo - 1, date.d) + minutes * MINUTE_MS;
  const before = offsetAt(wall - DAY_MS, zone);
  const later = offsetAt(wall + DAY_MS, zone);
  const exact = [...new Set([before, offsetAt(wall, zone), later])]
    .map((o) => wall - o)
    .filter((t) => wall - offsetAt(t, zone) === t)
    .sort((a, b) => a - b);
  if (exact.length > 0) return exact.find((t) => t >= after) ?? null;
  // Skipped: between `wall - later` (still the old offset) and `wall - before` (already the new one).
  let lo = Math.floor((wall - later) / MINUTE_MS);
  let hi = Math.ceil((wall - before) / MINUTE_MS);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(mid * MINUTE_MS, zone) === before) lo = mid;
    else hi = mid;
  }
  const jump = hi * MINUTE_MS;
  return jump >= after ? jump : null;
}

/** The first instant in (from, to] at which `zone`'s offset differs from its offset at `from`, or null. */
export function transitionBetween(from: number, to: number, zone: string): number | null {
  const o = offsetAt(from, zone);
  if (to <= from || offsetAt(to, zone) === o) return null; // offsets change months apart: one change at most
  let lo = Math.floor(from / MINUTE_MS);
  let hi = Math.ceil(to / MINUTE_MS);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(mid * MINUTE_MS, zone) === o) lo = mid;
    else hi = mid;
  }
  return Math.max(hi * MINUTE_MS, from + 1);
}

/** "HH:MM" as the clocks in `zone` show it at `ms`. */
export function hhmm(ms: number, zone: string): string {
  const w = wallAt(ms, zone);
  return `${String(w.h).padStart(2, '0')}:${String(w.mi).padStart(2, '0')}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "HH:MM" when `ms` is within a day of `now`, else "Mon D HH:MM" (a weekly limit resets days later). */
export function clockTime(ms: number, zone: string, now: number): string {
  if (Math.abs(ms - now) < 20 * 3_600_000) return hhmm(ms, zone);
  const w = wallAt(ms, zone);
  return `${MONTHS[w.mo - 1]} ${w.d} ${hhmm(ms, zone)}`;
}
