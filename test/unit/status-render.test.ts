// `swarm status` text for idle, busy, paused, draining and failed states (fixed clock, built states):
// snapshots of the exact text, every line within 80 columns, colour only when asked for.
import { describe, expect, it } from 'vitest';
import { emptyState } from '../../src/state/empty-state.js';
import type { AttemptRecord, TicketState, ViewedState as SwarmState } from '../../src/core/types.js';
import type { LockInfo } from '../../src/state/lock.js';
import { buildSnapshot, renderStatus } from '../../src/report/status.js';
import { watchFrame } from '../../src/commands/status.js';
import { chalkPaint } from '../../src/commands/paint.js';
import { emptyAccount, withMember, withWindow } from '../../src/core/account-record.js';

const NOW = Date.parse('2025-03-01T12:00:00.000Z');
const iso = (offsetS: number) => new Date(NOW + offsetS * 1000).toISOString();
const lock: LockInfo = { pid: 4242, pid_start: null, started_at: iso(-7300), heartbeat_at: iso(-3), workflow: '/repo/WORKFLOW.md' };
const tokens = { input: 1200, output: 3400, cacheRead: 50_000, cacheCreation: 800 };

function attempt(n: number, over: Partial<AttemptRecord> = {}): AttemptRecord {
  return {
    number: n, model: 'sonnet', outcome: 'no_changes', counted: true, reason: 'finished without commits or a PR', summary: '',
    started_at: iso(-3600 + n * 60), ended_at: iso(-3500 + n * 60), duration_ms: 100_000, cost_usd: 0.12, tokens, session_id: null, pid: null, pid_start: null, run_file: '',
    ...over,
  };
}

function ticket(key: string, over: Partial<TicketState> = {}): TicketState {
  return {
    key, identifier: `#${key}`, title: `Ticket ${key}`, url: `https://github.com/acme/widgets/issues/${key}`, branch: `swarm/${key}-ticket`, worktree: `/w/${key}`,
    status: 'released', attempts: [], failures: 0, next_retry_at: null, retry_reason: null, pr: null, cost_usd: 0, claimed_at: null, updated_at: iso(-600), last_event: '', rev: 1, synced_rev: 1, cleared: false,
    ...over,
  };
}

function base(): SwarmState {
  const s: SwarmState = emptyState(NOW);
  s.daily = { date: '2025-03-01', cost_usd: 0, tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 }, attempts: {}, prs: 0 };
  s.daemon = { pid: 4242, started_at: iso(-7300), heartbeat_at: iso(-3), draining: false, config_error: null, workflow: '/repo/WORKFLOW.md', max_attempts: 3, max_concurrent: 3 };
  return s;
}

function busy(): SwarmState {
  const s = base();
  s.tickets['12'] = ticket('12', {
    title: 'Fix the login page so that the remember-me checkbox survives a reload on Safari',
    status: 'running', failures: 1, cost_usd: 0.4567, last_event: 'Bash: npm test -- --run test/unit/login.test.ts --reporter verbose',
    attempts: [attempt(1), attempt(2, { outcome: 'running', model: 'claude-opus-4-1', counted: false, ended_at: null, started_at: iso(-245) })],
  });
  s.tickets['13'] = ticket('13', { status: 'claimed', last_event: '' });
  s.tickets['14'] = ticket('14', { status: 'retry_wait', failures: 2, next_retry_at: iso(150), retry_reason: 'agent_error: Reached maximum number of turns (60)', attempts: [attempt(1), attempt(2)] });
  s.tickets['11'] = ticket('11', { status: 'review', pr: { number: 31, url: 'https://github.com/acme/widgets/pull/31' }, cost_usd: 0.21, attempts: [attempt(1, { outcome: 'pr_opened', counted: false })] });
  s.daily = { date: '2025-03-01', cost_usd: 1.2345, tokens, attempts: { pr_opened: 1, no_changes: 3, rate_limited: 1 }, prs: 1 };
  return s;
}

const render = (s: SwarmState, alive = true) => renderStatus(buildSnapshot(s, alive ? { info: lock, alive: true } : null, NOW));

function expectFits(text: string) {
  for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
}

describe('status text', () => {
  it('idle: no daemon, nothing known', () => {
    const s = base();
    s.daemon = null;
    const text = render(s, false);
    expectFits(text);
    expect(text).toMatchSnapshot();
  });

  it('busy: running rows with model, elapsed, cost, attempt and failures used, last event; retry queue; recent PRs; totals', () => {
    const text = render(busy());
    expectFits(text);
    expect(text).toContain('Running (2 of 3)');
    expect(text).toMatch(/#12 +opus-4-1 4m05s +\$0\.46 +Fix the login page/);
    expect(text).toContain('attempt 2 · 1 of 3 failures used · Bash: npm test');
    expect(text).not.toMatch(/\d\/3 /);
    expect(text).toContain('Bash: npm test');
    expect(text).toMatch(/#14 +in 2m30s +2 failure\(s\) · agent_error/);
    expect(text).toContain('https://github.com/acme/widgets/pull/31');
    expect(text).toContain('Attempts today: no_changes 3, pr_opened 1, rate_limited 1');
    expect(text).toMatchSnapshot();
  });

  it('paused: kind, limit, end time, time left and reason', () => {
    const s = busy();
    s.pause = { kind: 'rate_limit', reason: "You've hit your 5-hour limit · resets 2:19pm (UTC)", since: iso(-60), until: iso(3720), limit_type: 'five_hour' };
    const text = render(s);
    expectFits(text);
    expect(text).toContain('PAUSED (rate_limit, five_hour) until 2025-03-01 13:02 UTC (1h02m left)');
    expect(text).toMatchSnapshot();
    const op = base();
    op.pause = { kind: 'operator', reason: 'paused by an operator (swarm pause)', since: iso(-60), until: null, limit_type: null };
    expect(render(op)).toContain('PAUSED (operator) until `swarm resume`');
  });

  it('draining: says no new work is taken', () => {
    const s = busy();
    s.daemon!.draining = true;
    const text = render(s);
    expectFits(text);
    expect(text).toContain('DRAINING');
    expect(text).toMatchSnapshot();
  });

  it('failed: lists failed tickets with their last reason and the retry hint; a stale heartbeat is flagged', () => {
    const s = base();
    s.tickets['9'] = ticket('9', { status: 'failed', failures: 3, title: 'Impossible task', attempts: [attempt(1), attempt(2), attempt(3, { outcome: 'agent_error', reason: 'error_max_turns: Reached maximum number of turns (60)' })] });
    const text = renderStatus(buildSnapshot(s, { info: { ...lock, heartbeat_at: iso(-95) }, alive: true }, NOW));
    expectFits(text);
    expect(text).toContain('Failed (1)');
    expect(text).toContain('3 failures · error_max_turns');
    expect(text).toContain('(stale: hung?)');
    expect(text).toMatchSnapshot();
  });

  it('a dead daemon with claims in the state says the next start recovers them', () => {
    expect(render(busy(), false)).toContain('state shows 2 claimed ticket(s)');
  });

  it('colours only with a painter; plain text has no escape codes', () => {
    expect(render(busy())).not.toMatch(/\x1b\[/);
    const coloured = renderStatus(buildSnapshot(busy(), { info: lock, alive: true }, NOW), chalkPaint());
    expect(coloured).toMatch(/\x1b\[/);
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, '')).toBe(render(busy()));
  });

  it('shared account and lanes: absent unless given; then the account block, lanes in the retry queue and the waiting list', () => {
    const plainSnap = buildSnapshot(busy(), { info: lock, alive: true }, NOW);
    expect('account' in plainSnap || 'waiting' in plainSnap).toBe(false);
    expect(plainSnap.retry_queue[0]).not.toHaveProperty('lane');
    let acct = withMember(emptyAccount('ada@example.com-1a2b3c'), 'box:4242', { host: 'box', pid: 4242, repo: 'acme/widgets' }, NOW - 3000);
    acct = withWindow(acct, { status: 'allowed_warning', utilization: 0.85, type: 'five_hour', resetsAt: NOW + 3_720_000 }, NOW, 'box:4242');
    const snap = buildSnapshot(busy(), { info: lock, alive: true }, NOW, {
      account: acct,
      lanes: { '14': { lane: 'background', waiting_because: 'background lane opens at 01:00 (in 13h)' } },
      waiting: [{ ticket: '#21', key: '21', title: 'Hot', lane: 'normal', waiting_because: 'only urgent tickets start: the usage window is 85% used (agent.pacing.reserve 80%) until it resets at 13:02 (in 1h 2m)' }],
    });
    expect(snap.account).toMatchObject({ name: 'ada@example.com-1a2b3c', window: { utilization: 0.85 }, members: [{ id: 'box:4242', heartbeat_age_s: 3 }] });
    expect(snap.retry_queue[0]).toMatchObject({ key: '14', lane: 'background', waiting_because: 'background lane opens at 01:00 (in 13h)' });
    const text = renderStatus(snap);
    expectFits(text);
    expect(text).toContain('Account ada@example.com-1a2b3c · 1 daemon(s)\n  window 85% used (five_hour, allowed_warning) · resets 2025-03-01 13:02 UTC\n  box pid 4242 · acme/widgets · heartbeat 3s ago');
    expect(text).toContain('           background lane · then waits: background lane opens at 01:00 (in 13h)');
    expect(text).toMatch(/Waiting \(1\)\n  #21      normal     only urgent tickets start: the usage window is 85% used/);
    expect(text.replace(/Account[\s\S]*?\n\n/, '').replace(/\n +background lane ·[^\n]*/, '').replace(/\nWaiting[\s\S]*?\n\n/, '\n')).toBe(render(busy()));
    expect(renderStatus(buildSnapshot(busy(), { info: lock, alive: true }, NOW, { account: null, waiting: [] }))).toContain('Waiting (0)\n  none');
  });

  it('--watch frames overwrite in place (home, clear each line tail, clear below) instead of clearing the screen', () => {
    const f = watchFrame('a\nbb\n');
    expect(f).toBe('\x1b[Ha\x1b[K\nbb\x1b[K\n\x1b[J');
    expect(f).not.toContain('\x1b[2J');
  });

  it('uses the width it is given: a 30-character id whole at 200 columns (and at 80); reasons and config errors wrapped, not cut', () => {
    const s = base();
    const id = 'fix-the-login-redirect-loop-01';
    expect(id).toHaveLength(30);
    s.tickets[id] = ticket(id, { identifier: id, status: 'running', failures: 1, last_event: 'Bash: npm test', attempts: [attempt(1, { outcome: 'auth_failed', counted: false }), attempt(2), attempt(3, { outcome: 'running', counted: false, ended_at: null, started_at: iso(-30) })] });
    s.daemon!.config_error = 'WORKFLOW.md: agent.max_concurrent must be a whole number ≥ 1 (got "three"); fix: write a number such as 3 in WORKFLOW.md and save it';
    s.pause = { kind: 'auth', reason: 'Invalid API key · Fix external API key: run `claude` and /login as the user swarm runs as, or set ANTHROPIC_API_KEY, then `swarm resume` to start again', since: iso(-60), until: null, limit_type: null };
    for (const width of [200, 80]) {
      const text = renderStatus(buildSnapshot(s, { info: lock, alive: true }, NOW), undefined, width);
      for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(width);
      expect(text).toMatch(new RegExp(`^  ${id} +sonnet`, 'm'));
      expect(text).toContain('attempt 3 · 1 of 3 failures used');
      const flat = text.replace(/\s+/g, ' ');
      expect(flat).toContain('then `swarm resume` to start again');
      expect(flat).toContain('write a number such as 3 in WORKFLOW.md and save it');
    }
  });

  it('shows the agent\'s last words for a failed or no-change attempt, and tickets held as untrusted with the fix', () => {
    const s = base();
    s.tickets['21'] = ticket('21', { status: 'failed', failures: 3, attempts: [attempt(1, { summary: 'I could not find the config loader; the tests for it do not exist.' })] });
    s.tickets['22'] = ticket('22', { status: 'retry_wait', failures: 1, next_retry_at: iso(60), retry_reason: 'no_changes', attempts: [attempt(1, { summary: 'Nothing to change: the bug is already fixed on main.' })] });
    s.queue = { waiting: [], lanes: {}, lane_queue: { urgent: 0, normal: 0, background: 0 }, untrusted: [{ ticket: '#23', key: '23', title: 'Add a login', reason: 'the agent label was applied by mallory, who has no write access', fix: 'a maintainer re-applies the agent label' }] };
    const text = render(s);
    expectFits(text);
    expect(text).toContain('last words: “I could not find the config loader;');
    expect(text).toContain('last words: “Nothing to change: the bug is already fixed on main.”');
    expect(text).toMatch(/Held as untrusted \(1\)[^\n]*\n {2}#23 +the agent label was applied by mallory, who has no write access\n +fix: a maintainer re-applies the agent label/);
  });
});
