// Daily hours in WORKFLOW.md (`agent.lanes.background.hours`): "HH:MM-HH:MM", optionally followed by an
// IANA time zone ("22:00-06:00 Europe/Berlin"). Parsed once here into minutes of the day, so the lane rules
// never parse text; a window whose end is at or before its start crosses midnight. Without a zone the
// window is read in the daemon's local time. Zones are checked with Intl, the same engine that later
// computes the wall clock, so a zone accepted here is one the rules can use.
import { ConfigError } from '../errors.js';

export interface DailyHours {
  /** As written (trimmed), for messages. */
  text: string;
  /** Minutes after midnight, 0–1439: the window opens at this wall-clock time… */
  start: number;
  /** …and closes at this one (≤ start: the next day). */
  end: number;
  /** IANA zone name, or null for the daemon's local time. */
  zone: string | null;
}

export const HOURS_HINT = 'null or daily hours "HH:MM-HH:MM" with an optional IANA time zone, e.g. "01:00-06:00" or "22:00-06:00 Europe/Berlin"';

const HOURS = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})(?:\s+(\S+))?$/;

/** Whether Intl knows `zone` (e.g. "Europe/Berlin", "UTC"). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Parse daily hours; throws a ConfigError naming `file` and `key` and what is wrong. */
export function parseHours(value: string, key: string, file: string): DailyHours {
  const text = value.trim();
  const fail = (why: string): never => {
    throw new ConfigError(`${file}: ${key} must be ${HOURS_HINT} (got ${JSON.stringify(text)}: ${why})`);
  };
  const m = HOURS.exec(text);
  if (!m) return fail('not in that form');
  const minutes = (h: string, mm: string): number => {
    const hour = Number(h);
    const minute = Number(mm);
    if (hour > 23 || minute > 59) fail(`${h}:${mm} is not a time of day (00:00 to 23:59)`);
    return hour * 60 + minute;
  };
  const start = minutes(m[1]!, m[2]!);
  const end = minutes(m[3]!, m[4]!);
  if (start === end) fail('the window opens and closes at the same minute');
  const zone = m[5] ?? null;
  if (zone !== null && !isTimeZone(zone)) fail(`${zone} is not a time zone this system knows (use an IANA name such as Europe/Berlin or UTC)`);
  return { text, start, end, zone };
}
