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
});
