// The shared account record (pure): lenient parsing of whatever a store read, and every update helper —
// a pause is never shortened, one canary across the account after it, the newest window figures win,
// members join, beat, leave and go stale (releasing a canary they held).
import { describe, expect, it } from 'vitest';
import {
  canaryPassed, claimCanary, emptyAccount, figuresFromStream, parseAccount, pauseInForce, pruneMembers, releaseCanary, resumeIfEnded,
  windowFigures, withLimit, withMember, withoutMember, withWindow, withModelLimit, modelLimitInForce, type AccountRecord,
} from '../../src/core/account-record.js';

const NOW = Date.parse('2025-03-01T12:00:00.000Z');
const iso = (offsetS: number) => new Date(NOW + offsetS * 1000).toISOString();
const limit = (untilS: number, by = 'd1', reason = "You've hit your 5-hour limit") => ({ until: iso(untilS), reason, limit_type: 'five_hour', by });
const member = { host: 'box', pid: 100, repo: 'acme/widgets' };

describe('parseAccount', () => {
  it('gives an empty record for anything that is not one, named as asked', () => {
    for (const raw of [undefined, null, 'x', 42, [], {}]) expect(parseAccount(raw, 'me')).toEqual(emptyAccount('me'));
    expect(emptyAccount('me')).toEqual({ version: 1, name: 'me', pause: null, canary: { pending: false, holder: null, since: null }, window: null, model_limits: {}, members: {} });
  });

  it('round-trips a full record', () => {
    let rec = withMember(emptyAccount('me'), 'd1', member, NOW);
    rec = withLimit(rec, limit(3600), NOW);
    rec = withWindow(rec, { status: 'rejected', utilization: 1, type: 'five_hour', resetsAt: NOW + 3_600_000 }, NOW, 'd1');
    rec = claimCanary(resumeIfEnded(rec, NOW + 3_700_000), 'd1', NOW + 3_700_000).rec;
    expect(parseAccount(JSON.parse(JSON.stringify(rec)), 'other')).toEqual(rec);
  });

  it('keeps the good parts of a damaged record and defaults the rest', () => {
    const rec = parseAccount({
      version: 7, name: 'team',
      pause: { until: 'not a time', reason: 'x' },
      canary: { pending: 'yes' },
      window: { status: 'exhausted', utilization: 0.5, seen_at: iso(0) },
      members: { good: { host: 'a', pid: 1, repo: 'r', heartbeat_at: iso(0) }, bad: { pid: 'x', heartbeat_at: iso(0) }, worse: 3 },
    });
    expect(rec).toEqual({ version: 1, name: 'team', pause: null, canary: { pending: false, holder: null, since: null }, window: null, model_limits: {}, members: { good: { host: 'a', pid: 1, repo: 'r', heartbeat_at: iso(0) } } });
    const partial = parseAccount({ pause: { until: iso(60) }, window: { status: 'allowed', utilization: -2, seen_at: iso(0), resets_at: 5 } }, 'me');
    expect(partial.pause).toEqual({ until: iso(60), reason: 'usage limit', limit_type: null, since: iso(60), by: '' });
    expect(partial.window).toEqual({ status: 'allowed', utilization: null, type: null, resets_at: null, seen_at: iso(0), seen_by: '', overage: false });
  });
});

describe('pause', () => {
  it('withLimit sets the pause and arms the canary', () => {
    const rec = withLimit(emptyAccount('me'), limit(3600), NOW);
    expect(rec.pause).toEqual({ ...limit(3600), since: iso(0) });
    expect(rec.canary).toEqual({ pending: true, holder: null, since: null });
    expect(pauseInForce(rec, NOW + 3_599_000)).not.toBeNull();
    expect(pauseInForce(rec, NOW + 3_600_000)).toBeNull();
  });

  it('never shortens a pause in force: the later until wins and the first since stays', () => {
    const long = withLimit(emptyAccount('me'), limit(7200, 'd1', 'weekly'), NOW);
    const same = withLimit(long, limit(3600, 'd2', 'five-hour'), NOW + 10_000);
    expect(same).toBe(long); // unchanged, same reference: nothing to write
    const longer = withLimit(long, limit(9000, 'd2', 'later'), NOW + 10_000);
    expect(longer.pause).toEqual({ until: iso(9000), reason: 'later', limit_type: 'five_hour', by: 'd2', since: iso(0) });
  });

  it('an ended pause is replaced, not extended from, and resumeIfEnded clears it but keeps the canary', () => {
    const old = withLimit(emptyAccount('me'), limit(60), NOW);
    expect(resumeIfEnded(old, NOW + 59_000)).toBe(old);
    const resumed = resumeIfEnded(old, NOW + 60_000);
    expect(resumed.pause).toBeNull();
    expect(resumed.canary.pending).toBe(true);
    const next = withLimit(old, limit(600, 'd2'), NOW + 120_000);
    expect(next.pause?.since).toBe(iso(120));
    expect(resumeIfEnded(emptyAccount('me'), NOW)).toEqual(emptyAccount('me'));
  });
});

describe('canary', () => {
  const after = NOW + 61_000;
  const paused = (): AccountRecord => withMember(withMember(withLimit(emptyAccount('me'), limit(60), NOW), 'd1', member, after - 1000), 'd2', { ...member, pid: 200 }, after - 1000);

  it('nobody is granted anything while the pause is in force', () => {
    const rec = paused();
    expect(claimCanary(rec, 'd1', NOW + 30_000)).toEqual({ rec, granted: false });
  });

  it('goes to the first daemon that asks after the pause; the others wait until it passes', () => {
    const first = claimCanary(paused(), 'd1', after);
    expect(first.granted).toBe(true);
    expect(first.rec.canary).toEqual({ pending: true, holder: 'd1', since: new Date(after).toISOString() });
    expect(claimCanary(first.rec, 'd1', after + 1)).toEqual({ rec: first.rec, granted: true }); // asking again is harmless
    const second = claimCanary(first.rec, 'd2', after + 1000);
    expect(second).toEqual({ rec: first.rec, granted: false });
    const passed = canaryPassed(first.rec, 'd1', after + 5000);
    expect(passed.canary).toEqual({ pending: false, holder: null, since: null });
    expect(passed.pause).toBeNull();
    expect(claimCanary(passed, 'd2', after + 6000)).toEqual({ rec: passed, granted: true });
  });

  it('only the holder (or anyone, while nobody holds it) reports it passed; never during a pause in force', () => {
    const held = claimCanary(paused(), 'd1', after).rec;
    expect(canaryPassed(held, 'd2', after)).toBe(held);
    const unheld = resumeIfEnded(paused(), after);
    expect(canaryPassed(unheld, 'd2', after).canary.pending).toBe(false);
    expect(canaryPassed(paused(), 'd1', NOW + 1000)).toEqual(paused());
    const idle = emptyAccount('me');
    expect(canaryPassed(idle, 'd1', NOW)).toBe(idle);
  });

  it('is taken over from a holder whose membership went stale or who left, and can be released', () => {
    const held = claimCanary(paused(), 'd1', after).rec;
    const beat = withMember(held, 'd2', { ...member, pid: 200 }, after + 120_000);
    expect(claimCanary(beat, 'd2', after + 50_000, 60_000).granted).toBe(false); // d1 beat 51 s ago
    expect(claimCanary(beat, 'd2', after + 120_000, 60_000).granted).toBe(true); // d1 beat 121 s ago
    expect(claimCanary(withoutMember(held, 'd1'), 'd2', after).granted).toBe(true);
    expect(withoutMember(held, 'd1').canary).toEqual({ pending: true, holder: null, since: null });
    const released = releaseCanary(held, 'd1');
    expect(released.canary).toEqual({ pending: true, holder: null, since: null });
    expect(releaseCanary(held, 'd2')).toBe(held);
    expect(claimCanary(released, 'd2', after).granted).toBe(true);
  });

  it('a new limit while the canary runs re-arms it for whoever asks after the new pause', () => {
    const held = claimCanary(paused(), 'd1', after).rec;
    const again = withLimit(held, limit(600, 'd1'), after + 1000);
    expect(again.canary).toEqual({ pending: true, holder: null, since: null });
    expect(claimCanary(again, 'd2', after + 2000).granted).toBe(false);
  });
});

describe('window figures', () => {
  const f = { status: 'allowed_warning' as const, utilization: 0.93, type: 'five_hour', resetsAt: NOW + 3_600_000, overage: false };

  it('withWindow records the figures with who saw them and when; windowFigures gives them back', () => {
    const rec = withWindow(emptyAccount('me'), f, NOW, 'd1');
    expect(rec.window).toEqual({ status: 'allowed_warning', utilization: 0.93, type: 'five_hour', resets_at: iso(3600), seen_at: iso(0), seen_by: 'd1', overage: false });
    expect(windowFigures(rec)).toEqual(f);
    expect(windowFigures(emptyAccount('me'))).toBeNull();
    expect(windowFigures(withWindow(rec, { ...f, resetsAt: null }, NOW, 'd1'))?.resetsAt).toBeNull();
  });

  it('the newest report wins; an older one arriving later is dropped', () => {
    const rec = withWindow(emptyAccount('me'), f, NOW, 'd1');
    expect(withWindow(rec, { ...f, utilization: 0.5 }, NOW - 1000, 'd2')).toBe(rec);
    expect(withWindow(rec, { ...f, utilization: 0.95 }, NOW + 1000, 'd2').window).toMatchObject({ utilization: 0.95, seen_by: 'd2' });
  });

  it('figuresFromStream converts the CLI figures (resetsAt in seconds; unknown status → allowed)', () => {
    expect(figuresFromStream(null)).toBeNull();
    expect(figuresFromStream({ status: 'rejected', utilization: 1, rateLimitType: 'seven_day', resetsAt: 1795607175 })).toEqual({ status: 'rejected', utilization: 1, type: 'seven_day', resetsAt: 1795607175000, overage: false });
    expect(figuresFromStream({ status: 'allowed_overage', utilization: null, rateLimitType: null, resetsAt: null })).toEqual({ status: 'allowed', utilization: null, type: null, resetsAt: null, overage: false });
  });

  it('a window served from paid extra usage is kept as such (status says "extra usage", nobody stops for it)', () => {
    const over = figuresFromStream({ status: 'rejected', utilization: null, rateLimitType: 'five_hour', resetsAt: 1795607175, overage: true });
    expect(over).toEqual({ status: 'rejected', utilization: null, type: 'five_hour', resetsAt: 1795607175000, overage: true });
    const rec = withWindow(emptyAccount('me'), over!, NOW, 'd1');
    expect(rec.window?.overage).toBe(true);
    expect(parseAccount(JSON.parse(JSON.stringify(rec))).window?.overage).toBe(true);
    expect(windowFigures(rec)?.overage).toBe(true);
  });
});

describe('model-family limits (seven_day_opus, seven_day_sonnet)', () => {
  const opus = { until: iso(86_400), reason: 'weekly Opus limit', limit_type: 'seven_day_opus' };
  it('are recorded per family, never shortened, arm no canary, survive a round trip and end by themselves', () => {
    const rec = withModelLimit(emptyAccount('me'), 'opus', { ...opus, by: 'd1' }, NOW);
    expect(rec.model_limits.opus).toEqual({ ...opus, by: 'd1', since: iso(0) });
    expect(rec.pause).toBeNull();
    expect(rec.canary.pending).toBe(false);
    expect(modelLimitInForce(rec, 'opus', NOW)).toMatchObject({ limit_type: 'seven_day_opus' });
    expect(modelLimitInForce(rec, 'sonnet', NOW)).toBeNull();
    expect(withModelLimit(rec, 'opus', { ...opus, until: iso(3600), by: 'd2' }, NOW + 1000)).toBe(rec); // never shortened
    const later = withModelLimit(rec, 'opus', { ...opus, until: iso(90_000), by: 'd2' }, NOW + 1000);
    expect(later.model_limits.opus).toMatchObject({ until: iso(90_000), since: iso(0), by: 'd2' });
    expect(parseAccount(JSON.parse(JSON.stringify(later)))).toEqual(later);
    expect(parseAccount({ model_limits: { opus: { until: 'soon' }, __proto__: { until: iso(60) } } }).model_limits).toEqual({});
    expect(resumeIfEnded(later, NOW + 1000)).toBe(later);
    expect(resumeIfEnded(later, NOW + 90_000_000).model_limits).toEqual({});
  });
});

describe('members', () => {
  it('join and beat, leave, and are pruned once stale', () => {
    let rec = withMember(emptyAccount('me'), 'd1', member, NOW);
    rec = withMember(rec, 'd2', { ...member, pid: 200, repo: 'acme/api' }, NOW + 50_000);
    expect(rec.members).toEqual({ d1: { ...member, heartbeat_at: iso(0) }, d2: { host: 'box', pid: 200, repo: 'acme/api', heartbeat_at: iso(50) } });
    rec = withMember(rec, 'd1', member, NOW + 55_000);
    expect(rec.members.d1!.heartbeat_at).toBe(iso(55));
    expect(pruneMembers(rec, NOW + 100_000, 60_000)).toBe(rec);
    expect(Object.keys(pruneMembers(rec, NOW + 112_000, 60_000).members)).toEqual(['d1']);
    expect(withoutMember(rec, 'd2').members).toEqual({ d1: rec.members.d1 });
    expect(withoutMember(rec, 'nobody')).toBe(rec);
  });

  it('pruning the canary holder releases the canary', () => {
    let rec = withMember(withLimit(emptyAccount('me'), limit(1), NOW), 'd1', member, NOW);
    rec = claimCanary(rec, 'd1', NOW + 2000).rec;
    expect(rec.canary.holder).toBe('d1');
    expect(pruneMembers(rec, NOW + 200_000).canary).toEqual({ pending: true, holder: null, since: null });
  });
});
