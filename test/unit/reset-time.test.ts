import { describe, expect, it } from 'vitest';
import { parseResetTime } from '../../src/agent/reset-time.js';

const at = (iso: string) => new Date(iso);
const utc = (iso: string) => Date.parse(iso);

describe('parseResetTime', () => {
  // 2026-11-21 05:46:20 in Chicago (CST, UTC-6), 12:46:20 in Berlin (CET, UTC+1).
  const now = at('2026-11-21T11:46:20Z');

  it('5-hour limit, time only: the next 8:46am in Chicago', () => {
    expect(parseResetTime("You've hit your 5-hour limit · resets 8:46am (America/Chicago)", now)).toEqual({
      resetAt: utc('2026-11-21T14:46:00Z'), limitType: 'five_hour',
    });
  });

  it('a time already passed today means tomorrow', () => {
    expect(parseResetTime("You've hit your 5-hour limit · resets 3:15am (America/Chicago)", now).resetAt).toBe(utc('2026-11-22T09:15:00Z'));
  });

  it('a time passed only a moment ago (minute resolution) is not pushed to tomorrow', () => {
    expect(parseResetTime('resets 5:45am (America/Chicago)', now).resetAt).toBe(utc('2026-11-21T11:45:00Z'));
  });

  it('weekly limit with a date', () => {
    expect(parseResetTime("You've hit your weekly limit · resets Nov 25, 5:46am (America/Chicago)", now)).toEqual({
      resetAt: utc('2026-11-25T11:46:00Z'), limitType: 'seven_day',
    });
  });

  it('a date without year is the next occurrence (rolls into next year)', () => {
    expect(parseResetTime("You've hit your weekly limit · resets Jan 2, 9am (Europe/Berlin)", at('2026-12-30T10:00:00Z')).resetAt).toBe(
      utc('2027-01-02T08:00:00Z'),
    );
  });

  it('on the hour, Berlin', () => {
    expect(parseResetTime("You've hit your 5-hour limit · resets 4pm (Europe/Berlin)", now)).toEqual({
      resetAt: utc('2026-11-21T15:00:00Z'), limitType: 'five_hour',
    });
    expect(parseResetTime('· resets 4pm (Europe/Berlin)', now).resetAt).toBe(utc('2026-11-21T15:00:00Z'));
  });

  it('older wordings: session limit and plain limit', () => {
    expect(parseResetTime("You've hit your session limit · resets 3:30pm (Europe/Berlin)", now)).toEqual({
      resetAt: utc('2026-11-21T14:30:00Z'), limitType: 'session',
    });
    expect(parseResetTime("You’ve hit your limit · resets 10pm (America/Chicago)", now)).toEqual({
      resetAt: utc('2026-11-22T04:00:00Z'), limitType: 'unknown',
    });
  });

  it('legacy epoch form', () => {
    expect(parseResetTime('Claude AI usage limit reached|1795272379', now)).toEqual({ resetAt: 1795272379000, limitType: 'unknown' });
  });

  it('DST end (Chicago, 1 Nov 2026): the offset after the change is used', () => {
    // 15:00 CDT on Oct 31; the next 8:46am is on Nov 1, after clocks fell back to CST (UTC-6).
    expect(parseResetTime('resets 8:46am (America/Chicago)', at('2026-10-31T20:00:00Z')).resetAt).toBe(utc('2026-11-01T14:46:00Z'));
    // Same day before the change: CDT (UTC-5).
    expect(parseResetTime('resets 1:30am (America/Chicago)', at('2026-11-01T05:00:00Z')).resetAt).toBe(utc('2026-11-01T06:30:00Z'));
    expect(parseResetTime('resets Nov 2, 5:46am (America/Chicago)', at('2026-10-30T12:00:00Z')).resetAt).toBe(utc('2026-11-02T11:46:00Z'));
  });

  it('DST start (Berlin, 29 Mar 2026): the offset after the change is used', () => {
    expect(parseResetTime('resets 9am (Europe/Berlin)', at('2026-03-28T22:00:00Z')).resetAt).toBe(utc('2026-03-29T07:00:00Z'));
    expect(parseResetTime('resets 9am (Europe/Berlin)', at('2026-03-28T06:00:00Z')).resetAt).toBe(utc('2026-03-28T08:00:00Z'));
  });

  it('12am and 12pm, 24-hour times', () => {
    expect(parseResetTime('resets 12am (UTC)', now).resetAt).toBe(utc('2026-11-22T00:00:00Z'));
    expect(parseResetTime('resets 12pm (UTC)', now).resetAt).toBe(utc('2026-11-21T12:00:00Z'));
    expect(parseResetTime('resets 17:05 (UTC)', now).resetAt).toBe(utc('2026-11-21T17:05:00Z'));
  });

  it('an unknown zone is read as UTC but still returned', () => {
    expect(parseResetTime("You've hit your limit · resets 4pm (Mars/Olympus)", now)).toEqual({ resetAt: utc('2026-11-21T16:00:00Z'), limitType: 'unknown' });
  });

  it('no zone: the default zone given', () => {
    expect(parseResetTime('resets 8:46am', now, 'America/Chicago').resetAt).toBe(utc('2026-11-21T14:46:00Z'));
  });

  it('no reset time: null, limit type kept when the text names one', () => {
    expect(parseResetTime("You've hit your weekly limit", now)).toEqual({ resetAt: null, limitType: 'seven_day' });
    expect(parseResetTime('API Error: Request rejected (429) · rate limit', now)).toEqual({ resetAt: null, limitType: null });
    expect(parseResetTime('usage resets in 5 hours', now).resetAt).toBeNull();
    expect(parseResetTime('resets 13pm (UTC)', now).resetAt).toBeNull();
    expect(parseResetTime('resets Foo 3, 4pm (UTC)', now).resetAt).toBeNull();
  });
});
