import { describe, expect, it } from 'vitest';
import { rebuildFromEvents } from '../../src/state/rebuild.js';

const now = Date.parse('2030-01-01T12:00:00Z');
const at = (s: number) => new Date(now - 100_000 + s * 1000).toISOString();
const opts = { worktreeFor: (b: string) => `/wt/${b.replace('/', '-')}`, now };

describe('rebuild state from events.jsonl', () => {
  it('replays attempts: counted failures, handoff with PR, interrupted run, failed ticket', () => {
    const events = [
      { at: at(0), type: 'claimed', ticket: '#1', key: '1', branch: 'swarm/1-a' },
      { at: at(1), type: 'started', ticket: '#1', key: '1', attempt: 1, model: 'sonnet' },
      { at: at(2), type: 'finished', ticket: '#1', key: '1', attempt: 1, model: 'sonnet', outcome: 'no_changes', counted: true, reason: 'no commits', cost_usd: 0.5 },
      { at: at(3), type: 'started', ticket: '#1', key: '1', attempt: 2, model: 'opus' },
      { at: at(4), type: 'finished', ticket: '#1', key: '1', attempt: 2, model: 'opus', outcome: 'pr_opened', counted: false, reason: 'ok', cost_usd: 0.25 },
      { at: at(5), type: 'pr_opened', ticket: '#1', pr: 'http://x/acme/w/pull/9' },
      { at: at(6), type: 'claimed', ticket: '#2', key: '2', branch: 'swarm/2-b' },
      { at: at(7), type: 'started', ticket: '#2', key: '2', attempt: 1, model: 'sonnet' },
      { at: at(8), type: 'finished', ticket: '#2', key: '2', attempt: 1, model: 'sonnet', outcome: 'agent_error', counted: true, reason: 'max turns', cost_usd: 0 },
      { at: at(9), type: 'started', ticket: '#2', key: '2', attempt: 2, model: 'sonnet' },
      { at: at(10), type: 'claimed', ticket: '#3', branch: 'swarm/3-c' },
      { at: at(11), type: 'started', ticket: '#3', attempt: 1, model: 'sonnet' },
      { at: at(12), type: 'finished', ticket: '#3', attempt: 1, outcome: 'no_changes', counted: true },
      { at: at(13), type: 'ticket_failed', ticket: '#3', reason: 'gave up' },
    ];
    const { tickets } = rebuildFromEvents(events, opts);
    expect(tickets['1']).toMatchObject({ status: 'review', failures: 1, branch: 'swarm/1-a', worktree: '/wt/swarm-1-a', pr: { number: 9, url: 'http://x/acme/w/pull/9' }, cost_usd: 0.75 });
    expect(tickets['1']!.attempts.map((a) => [a.number, a.model, a.outcome, a.counted])).toEqual([[1, 'sonnet', 'no_changes', true], [2, 'opus', 'pr_opened', false]]);
    // #2 was running when the daemon died: interrupted (not counted), and ours to resume at once.
    expect(tickets['2']).toMatchObject({ status: 'retry_wait', failures: 1, next_retry_at: new Date(now).toISOString(), synced_rev: 0 });
    expect(tickets['2']!.attempts.map((a) => [a.outcome, a.counted])).toEqual([['agent_error', true], ['interrupted', false]]);
    // Older logs without `key`: "#3" maps to "3".
    expect(tickets['3']).toMatchObject({ status: 'failed', failures: 1 });
  });

  it('a retry request restarts the count; cancelled releases; a future pause survives, an ended one does not', () => {
    const future = new Date(now + 3_600_000).toISOString();
    const events = [
      { at: at(0), type: 'claimed', ticket: 'ENG-1', key: 'ENG-1', branch: 'swarm/eng-1' },
      { at: at(1), type: 'started', ticket: 'ENG-1', key: 'ENG-1', attempt: 1, model: 's' },
      { at: at(2), type: 'finished', ticket: 'ENG-1', key: 'ENG-1', attempt: 1, outcome: 'no_changes', counted: true },
      { at: at(3), type: 'ticket_failed', ticket: 'ENG-1' },
      { at: at(4), type: 'retry_requested', ticket: 'ENG-1' },
      { at: at(5), type: 'claimed', ticket: 'ENG-2', key: 'ENG-2', branch: 'swarm/eng-2' },
      { at: at(6), type: 'cancelled', ticket: 'ENG-2', reason: 'closed' },
      { at: at(7), type: 'paused', kind: 'rate_limit', until: future, reason: 'usage limit', limit_type: 'five_hour' },
    ];
    const r = rebuildFromEvents(events, opts);
    expect(r.tickets['ENG-1']).toMatchObject({ status: 'released', failures: 0 });
    expect(r.tickets['ENG-2']).toMatchObject({ status: 'released' });
    expect(r.pause).toMatchObject({ kind: 'rate_limit', until: future });
    const ended = rebuildFromEvents([{ at: at(0), type: 'paused', kind: 'rate_limit', until: at(1) }], opts);
    expect(ended.pause).toBeNull();
    const resumed = rebuildFromEvents([{ at: at(0), type: 'paused', kind: 'operator', until: null }, { at: at(1), type: 'resumed' }], opts);
    expect(resumed.pause).toBeNull();
  });

  it('verification after merge: verifying, verified; red → reverted → reopened (a counted failure, a fresh branch, the evidence kept); settled; a malformed verify event is skipped', () => {
    const sha = 'a'.repeat(40);
    const handoff = (k: string) => [
      { at: at(0), type: 'claimed', ticket: `#${k}`, key: k, branch: `swarm/${k}-x` },
      { at: at(1), type: 'started', ticket: `#${k}`, key: k, attempt: 1, model: 'sonnet' },
      { at: at(2), type: 'finished', ticket: `#${k}`, key: k, attempt: 1, model: 'sonnet', outcome: 'pr_opened', counted: false, reason: 'ok', cost_usd: 0.5 },
      { at: at(3), type: 'pr_opened', ticket: `#${k}`, key: k, pr: `http://x/acme/w/pull/${k}0` },
      { at: at(4), type: 'verify_started', ticket: `#${k}`, key: k, pr: `http://x/acme/w/pull/${k}0`, number: Number(`${k}0`), merge_sha: sha.replace(/a/g, k), base: 'main', head_sha: 'b'.repeat(40), commits: 1 },
    ];
    const events = [
      ...handoff('1'),
      ...handoff('2'),
      { at: at(5), type: 'verified', ticket: '#2', key: '2', merge_sha: '2'.repeat(40), detail: '1 check passed' },
      ...handoff('3'),
      { at: at(6), type: 'verify_red', ticket: '#3', key: '3', merge_sha: '3'.repeat(40), reason: 'checks', detail: 'ci failed', checks: [{ name: 'ci', conclusion: 'failure', log_excerpt: 'boom' }], command_output: '', hook_output: '', charged: true, charge_note: 'charged' },
      { at: at(7), type: 'reverted', ticket: '#3', key: '3', merge_sha: '3'.repeat(40), mode: 'pr', outcome: 'opened', branch: 'swarm/revert-3-x', pr: 'http://x/acme/w/pull/31', number: 31, pushed_sha: null, detail: 'revert PR' },
      { at: at(8), type: 'reopened', ticket: '#3', key: '3', merge_sha: '3'.repeat(40), reason: 'reverted', branch: 'swarm/3-x-r1', worktree: '/wt/swarm-3-x-r1', label: 'agent:reverted' },
      ...handoff('4'),
      { at: at(9), type: 'verify_red', ticket: '#4', key: '4', merge_sha: '4'.repeat(40), reason: 'command', detail: 'health', checks: [], command_output: 'refused', hook_output: '', charged: true, charge_note: 'charged' },
      { at: at(10), type: 'reverted', ticket: '#4', key: '4', merge_sha: '4'.repeat(40), mode: 'report', outcome: 'reported', branch: 'swarm/revert-4-x', pr: null, number: null, pushed_sha: null, detail: 'would revert' },
      { at: at(11), type: 'verify_settled', ticket: '#4', key: '4', merge_sha: '4'.repeat(40), outcome: 'reported', detail: 'would revert' },
      { at: at(12), type: 'verify_red', ticket: '#1', key: '1', merge_sha: 42, reason: 'nonsense' },
    ];
    const { tickets } = rebuildFromEvents(events, opts);
    expect(tickets['1']).toMatchObject({ status: 'verifying', verify: { current: { phase: 'verifying', merge_sha: '1'.repeat(40), base: 'main' } } });
    expect(tickets['2']).toMatchObject({ status: 'done', verify: { current: { phase: 'green' } } });
    expect(tickets['3']).toMatchObject({ status: 'released', failures: 1, branch: 'swarm/3-x-r1', pr: null, verify: { reverts: 1, evidence: { merge_sha: '3'.repeat(40), revert_pr: 'http://x/acme/w/pull/31', checks: [{ name: 'ci', conclusion: 'failure', log_excerpt: 'boom' }] } } });
    expect(tickets['4']).toMatchObject({ status: 'done', failures: 0, verify: { reverts: 0, current: { phase: 'settled', outcome: 'reported' } } });
  });
});
