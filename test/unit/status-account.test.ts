// The account and lane parts of `swarm status` (status-account.ts): the snapshot of a shared account
// record (window, pause, canary, daemons) and the text blocks for the account and the waiting tickets.
import { describe, expect, it } from 'vitest';
import { emptyAccount, withLimit, withMember, withWindow, claimCanary } from '../../src/core/account-record.js';
import { accountSnapshot, extraParts, renderAccount, renderWaiting } from '../../src/report/status-account.js';
import { dur, shortTime } from '../../src/report/status.js';

const NOW = Date.parse('2025-03-01T12:00:00.000Z');
const look = { width: 80, bold: (s: string) => s, warn: (s: string) => `!${s}`, dim: (s: string) => s, time: shortTime, dur };

function shared() {
  let rec = withMember(emptyAccount('ada@example.com-1a2b3c'), 'box:4242', { host: 'box', pid: 4242, repo: 'acme/widgets' }, NOW - 3000);
  rec = withMember(rec, 'ci:77', { host: 'ci', pid: 77, repo: 'acme/api' }, NOW - 12_000);
  return withWindow(rec, { status: 'allowed_warning', utilization: 0.93, type: 'five_hour', resetsAt: NOW + 3_720_000 }, NOW - 60_000, 'box:4242');
}

describe('accountSnapshot', () => {
  it('shows the window, the daemons with their heartbeat age, and no pause when none is in force', () => {
    expect(accountSnapshot(shared(), NOW)).toEqual({
      name: 'ada@example.com-1a2b3c',
      window: { status: 'allowed_warning', utilization: 0.93, type: 'five_hour', resets_at: '2025-03-01T13:02:00.000Z', overage: false },
      pause: null,
      model_limits: [],
      canary: { pending: false, holder: null },
      members: [
        { id: 'box:4242', host: 'box', pid: 4242, repo: 'acme/widgets', heartbeat_age_s: 3 },
        { id: 'ci:77', host: 'ci', pid: 77, repo: 'acme/api', heartbeat_age_s: 12 },
      ],
    });
  });

  it('a pause in force with its time left; a window whose reset passed is not shown', () => {
    const rec = withLimit(shared(), { until: '2025-03-01T13:02:00.000Z', reason: "You've hit your 5-hour limit", limit_type: 'five_hour', by: 'ci:77' }, NOW);
    expect(accountSnapshot(rec, NOW).pause).toEqual({ until: '2025-03-01T13:02:00.000Z', reason: "You've hit your 5-hour limit", limit_type: 'five_hour', since: '2025-03-01T12:00:00.000Z', by: 'ci:77', remaining_s: 3720 });
    const later = accountSnapshot(rec, NOW + 3_720_000);
    expect([later.pause, later.window, later.canary]).toEqual([null, null, { pending: true, holder: null }]);
  });

  it('extraParts adds nothing without extras, null for a known absence, the snapshot otherwise', () => {
    expect(extraParts({}, NOW)).toEqual({});
    expect(extraParts({ account: null, waiting: [] }, NOW)).toEqual({ account: null, waiting: [] });
    expect(extraParts({ account: shared() }, NOW).account?.name).toBe('ada@example.com-1a2b3c');
  });
});

describe('renderAccount and renderWaiting', () => {
  it('the account block: name and daemons, window figures, pause, canary, one line per daemon', () => {
    let rec = withLimit(shared(), { until: '2025-03-01T13:02:00.000Z', reason: "You've hit your 5-hour limit · resets 1pm (UTC)", limit_type: 'five_hour', by: 'ci:77' }, NOW);
    expect(renderAccount(accountSnapshot(rec, NOW), look)).toEqual([
      'Account ada@example.com-1a2b3c · 2 daemon(s)',
      '!  window 93% used (five_hour, allowed_warning) · resets 2025-03-01 13:02 UTC',
      '!  PAUSED (five_hour limit) until 2025-03-01 13:02 UTC (1h02m left)',
      "!    ci:77: You've hit your 5-hour limit · resets 1pm (UTC)",
      '  canary: after the pause, one run goes first',
      '  box pid 4242 · acme/widgets · heartbeat 3s ago',
      '  ci pid 77 · acme/api · heartbeat 12s ago',
    ]);
    expect(renderAccount(accountSnapshot(rec, NOW + 3_720_000), look)).toContain('  canary: the next run goes first');
    rec = claimCanary(rec, 'box:4242', NOW + 3_721_000).rec;
    expect(renderAccount(accountSnapshot(rec, NOW + 3_721_000), look)).toContain('  canary: running on box:4242; the others wait for it');
    expect(renderAccount(accountSnapshot(emptyAccount('solo'), NOW), look)).toEqual(['Account solo · 0 daemon(s)', '  window: no figures reported yet']);
    const allowed = withWindow(emptyAccount('a'), { status: 'allowed', utilization: null, type: null, resetsAt: null }, NOW, 'd');
    expect(renderAccount(accountSnapshot(allowed, NOW), look)[1]).toBe('  window usage not reported (allowed)');
  });

  it('the waiting list: ticket, lane and why, clipped to the width', () => {
    const lines = renderWaiting([
      { ticket: '#21', key: '21', title: 'a', lane: 'background', waiting_because: 'background lane opens at 01:00 (in 3h 12m)' },
      { ticket: '#22', key: '22', title: 'b', lane: 'normal', waiting_because: 'only urgent tickets start: the usage window is 93% used (agent.pacing.reserve 80%) until it resets at 13:02 (in 1h 2m)' },
    ], look);
    expect(lines[0]).toBe('Waiting (2)');
    expect(lines[1]).toBe('  #21      background background lane opens at 01:00 (in 3h 12m)');
    expect(lines[2]).toMatch(/^  #22      normal     only urgent tickets start: .*…$/);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(renderWaiting([], look)).toEqual(['Waiting (0)', '  none']);
  });
});
