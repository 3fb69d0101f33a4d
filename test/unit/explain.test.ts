// `swarm explain`: every rule that can block a ticket shows as ✗ with its reason, and "Next" says what
// the loop will do. Built on the same policy.eligibility() the loop runs.
import { describe, expect, it } from 'vitest';
import { parseWorkflow } from '../../src/config/workflow.js';
import type { Config } from '../../src/config/types.js';
import { emptyState } from '../../src/state/empty-state.js';
import type { SwarmState, TicketState } from '../../src/core/types.js';
import type { Ticket } from '../../src/tracker/types.js';
import { explain, renderExplain, type ExplainInput } from '../../src/report/explain.js';
import { emptyAccount, withLimit, withMember, withWindow, claimCanary, type AccountRecord } from '../../src/core/account-record.js';

const NOW = Date.parse('2025-03-01T12:00:00.000Z');

function config(front = ''): Config {
  return parseWorkflow(`---\ntracker:\n  kind: github\n  repo: acme/widgets\n  token: x\n${front}---\nDo it\n`, 'WORKFLOW.md', {}).config;
}

function tk(over: Partial<Ticket> = {}): Ticket {
  return {
    key: '12', id: '12', identifier: '#12', number: 12, title: 'Fix login', body: '', url: 'https://github.com/acme/widgets/issues/12', labels: ['agent'],
    priority: 4, state: 'open', open: true, phase: 'todo', created_at: '2025-01-01T00:00:00Z', updated_at: '2025-01-01T00:00:00Z', blockers: [], branch_hint: null, ...over,
  };
}

function ts(over: Partial<TicketState> = {}): TicketState {
  return {
    key: '12', identifier: '#12', title: 'Fix login', url: '', branch: 'swarm/12-fix-login', worktree: '/w', status: 'released', attempts: [], failures: 0,
    next_retry_at: null, retry_reason: null, pr: null, cost_usd: 0, claimed_at: null, updated_at: '2025-03-01T11:00:00Z', last_event: '', rev: 1, synced_rev: 1, cleared: false, ...over,
  };
}

function input(over: Partial<ExplainInput> = {}, state: SwarmState = emptyState(NOW)): ExplainInput {
  return {
    ticket: tk(), config: config(), state, now: NOW, daemon: { running: true, pid: 1 }, running: new Set(), trust: { trusted: true, reason: 'labelled by a maintainer' },
    pr: null, codeHost: 'github', branch: 'swarm/12-fix-login', ...over,
  };
}

const failing = (inp: ExplainInput) => explain(inp).checks.filter((c) => !c.pass).map((c) => c.rule);
const withTicket = (t: Partial<TicketState>, mut?: (s: SwarmState) => void) => {
  const s = emptyState(NOW);
  s.tickets['12'] = ts(t);
  mut?.(s);
  return s;
};

describe('explain', () => {
  it('an eligible ticket passes every rule and is claimed at the next poll', () => {
    const r = explain(input());
    expect(r.eligible).toBe(true);
    expect(r.checks.map((c) => c.rule)).toEqual(['open', 'labels', 'exclude_labels', 'handed_off', 'hold', 'claimed_elsewhere', 'blockers', 'reclaim', 'attempts', 'retry_wait', 'running', 'pause', 'lane', 'budget', 'trust', 'pull_request', 'concurrency']);
    expect(r.next).toMatch(/^claimed at the next poll \(within 30s\): attempt 1 on sonnet, branch swarm\/12-fix-login$/);
    const text = renderExplain(r);
    expect(text).toContain('✓ labels');
    expect(text).toContain('Model ladder: [sonnet] → sonnet → opus');
  });

  const cases: [string, () => ExplainInput, RegExp][] = [
    ['open', () => input({ ticket: tk({ open: false, state: 'closed' }) }), /closed/],
    ['labels', () => input({ ticket: tk({ labels: [] }) }), /missing label agent/],
    ['exclude_labels', () => input({ ticket: tk({ labels: ['agent', 'blocked'] }), config: config('  exclude_labels: [blocked]\n') }), /excluded label blocked/],
    ['handed_off', () => input({ ticket: tk({ labels: ['agent', 'agent:review'] }) }), /handed off/],
    ['claimed_elsewhere', () => input({ ticket: tk({ labels: ['agent', 'agent:running'] }) }), /another daemon, or a human/],
    ['blockers', () => input({ ticket: tk({ blockers: ['#7'] }) }), /blocked by #7/],
    ['attempts', () => input({}, withTicket({ status: 'failed', failures: 3 })), /swarm retry 12/],
    ['retry_wait', () => input({}, withTicket({ status: 'retry_wait', failures: 1, next_retry_at: new Date(NOW + 90_000).toISOString(), retry_reason: 'no_changes' })), /retry in 1m 30s as attempt 1 on sonnet/],
    ['running', () => input({ running: new Set(['12']) }, withTicket({ status: 'running', last_event: 'Bash: npm test' })), /working on it now.*Bash: npm test/],
    ['pause', () => input({}, withTicket({}, (s) => (s.pause = { kind: 'auth', reason: 'Invalid API key', since: '', until: null, limit_type: null }))), /swarm resume/],
    ['budget', () => input({ config: config('budget:\n  daily_usd: 5\n') }, withTicket({}, (s) => (s.daily.cost_usd = 6))), /budget\.daily_usd/],
    ['trust', () => input({ trust: { trusted: false, reason: 'agent was added by stranger, who has no write access' } }), /ignored every poll: agent was added by stranger/],
    ['pull_request', () => input({ pr: { number: 40, url: 'https://github.com/acme/widgets/pull/40', state: 'open', branch: 'swarm/12-fix-login' } }), /finds https:\/\/github\.com\/acme\/widgets\/pull\/40 and marks the ticket handed off/],
    ['concurrency', () => input({ running: new Set(['1', '2', '3']) }), /waits for a free slot/],
  ];
  for (const [rule, make, next] of cases) {
    it(`blocks on ${rule}`, () => {
      const inp = make();
      expect(failing(inp)).toContain(rule);
      const r = explain(inp);
      expect(r.eligible).toBe(false);
      expect(r.next).toMatch(next);
      expect(renderExplain(r)).toMatch(new RegExp(`✗ ${rule}`));
    });
  }

  describe('lanes and the shared account', () => {
    const OTHER = 'box:42:1';
    const account = (edit: (r: AccountRecord) => AccountRecord = (r) => r) =>
      ({ record: edit(withMember(emptyAccount('team'), OTHER, { host: 'box', pid: 42, repo: 'acme/api' }, NOW)), self: 'me:1:1' });

    it('a background ticket outside its hours waits, and says until when', () => {
      const r = explain(input({ ticket: tk({ labels: ['agent', 'agent:overnight'] }), config: config('agent:\n  lanes:\n    background:\n      labels: [agent:overnight]\n      hours: "14:30-15:00 UTC"\n') }));
      expect(r.lane).toBe('background');
      expect(r.checks.find((c) => c.rule === 'lane')).toMatchObject({ pass: false });
      expect(r.next).toBe('waiting: background lane opens at 14:30 UTC (in 2h 30m)');
      expect(renderExplain(r)).toContain('background lane');
    });

    it('pacing: at the reserve a normal ticket waits for the window, an urgent one does not', () => {
      const cfg = config('agent:\n  pacing:\n    reserve: 0.8\n');
      const acct = account((r) => withWindow(r, { status: 'allowed_warning', utilization: 0.9, type: 'five_hour', resetsAt: NOW + 3_600_000 }, NOW, OTHER));
      const r = explain(input({ config: cfg, account: acct }));
      expect(r.next).toMatch(/^waiting: only urgent tickets start: the usage window is 90% used \(agent\.pacing\.reserve 80%\) until it resets at .* \(in 1h\)$/);
      expect(explain(input({ config: cfg, account: acct, ticket: tk({ labels: ['agent', 'P0'], priority: 0 }) })).eligible).toBe(true);
    });

    it("another daemon's usage limit on the account pauses this ticket, naming the daemon", () => {
      const acct = account((r) => withLimit(r, { until: new Date(NOW + 600_000).toISOString(), reason: 'usage limit reached (five_hour)', limit_type: 'five_hour', by: OTHER }, NOW));
      const r = explain(input({ account: acct }));
      expect(r.checks.find((c) => c.rule === 'pause')?.detail).toBe(`dispatch paused: usage limit on Claude account team until ${new Date(NOW + 600_000).toISOString()}, hit by box pid 42 (acme/api): usage limit reached (five_hour)`);
      expect(r.next).toMatch(/^waiting: dispatch paused: usage limit on Claude account team/);
    });

    it("the account's canary running on another daemon holds every slot here", () => {
      const acct = account((r) => claimCanary(withLimit(r, { until: new Date(NOW - 1).toISOString(), reason: 'x', limit_type: null, by: OTHER }, NOW - 10), OTHER, NOW).rec);
      const r = explain(input({ account: acct }));
      expect(r.checks.find((c) => c.rule === 'concurrency')).toEqual({ rule: 'concurrency', pass: false, detail: 'after the usage limit on Claude account team one canary run goes first; it runs on box pid 42 (acme/api)' });
    });

    it("the daily budget's urgent share stops normal tickets under the budget rule", () => {
      const cfg = config('budget:\n  daily_usd: 10\n  urgent_reserve_usd: 4\n');
      const r = explain(input({ config: cfg }, withTicket({}, (s) => (s.daily.cost_usd = 6.5))));
      expect(failing(input({ config: cfg }, withTicket({}, (s) => (s.daily.cost_usd = 6.5))))).toEqual(['budget']);
      expect(r.next).toMatch(/^waits: only urgent tickets start: today's spend \$6\.50 reached \$6\.00/);
    });
  });

  it('blocks on state (Linear): only the configured states are eligible', () => {
    const cfg = parseWorkflow('---\ntracker:\n  kind: linear\n  api_key: k\n  team: ENG\n  states: [Todo]\n---\nx\n', 'WORKFLOW.md', {}).config;
    const r = explain(input({ config: cfg, ticket: tk({ key: 'ENG-12', identifier: 'ENG-12', state: 'Backlog', phase: 'other' }) }));
    expect(r.checks.find((c) => c.rule === 'state')).toMatchObject({ pass: false, detail: 'state "Backlog" is not one of Todo' });
    expect(r.next).toMatch(/not picked up while: state "Backlog"/);
  });

  it('shows the model ladder position and the attempts so far; says when no daemon runs', () => {
    const attempt = (n: number, model: string) => ({
      number: n, model, outcome: 'no_changes' as const, counted: true, reason: 'finished without commits or a PR', summary: '', started_at: '', ended_at: '', duration_ms: 1, cost_usd: 0.05,
      tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 }, session_id: null, pid: null, pid_start: null, run_file: '',
    });
    const s = withTicket({ status: 'released', failures: 2, attempts: [attempt(1, 'sonnet'), attempt(2, 'sonnet')] });
    const r = explain(input({ daemon: { running: false, pid: null } }, s));
    expect(r.ladder.map((l) => [l.model, l.next])).toEqual([['sonnet', false], ['sonnet', false], ['opus', true]]);
    expect(r.next).toMatch(/attempt 3 on opus.*no daemon is running now/);
    const text = renderExplain(r);
    expect(text).toContain('Model ladder: sonnet → sonnet → [opus]');
    expect(text).toContain('Attempts so far (2 counted):');
    expect(text).toMatch(/ 2 {2}sonnet +no_changes +counted/);
  });
});
