// Constructors for the records in state.json: one place that knows every field's starting value, used
// by the fold (core/fold.ts) for live transitions and the events-log rebuild alike.
import type { AttemptRecord, SwarmState, TicketState } from './types.js';
import { budgetDate } from './budget-day.js';

export function blankTicketState(key: string, identifier: string, at: string): TicketState {
  return {
    key,
    identifier,
    title: '',
    url: '',
    branch: '',
    worktree: '',
    status: 'released',
    attempts: [],
    failures: 0,
    next_retry_at: null,
    retry_reason: null,
    pr: null,
    cost_usd: 0,
    claimed_at: null,
    updated_at: at,
    last_event: '',
    rev: 0,
    synced_rev: 0,
    cleared: false,
    followup: null,
    verify: null,
  };
}

/** An attempt that has just started (outcome `running`). */
export function newAttemptRecord(number: number, model: string, startedAt: string, runFile: string): AttemptRecord {
  return {
    number,
    model,
    outcome: 'running',
    counted: false,
    reason: '',
    summary: '',
    started_at: startedAt,
    ended_at: null,
    duration_ms: 0,
    cost_usd: 0,
    tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 },
    session_id: null,
    pid: null,
    pid_start: null,
    run_file: runFile,
  };
}

export function emptyDaily(now: number): SwarmState['daily'] {
  return { date: localDate(now), cost_usd: 0, tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 }, attempts: {}, prs: 0 };
}

/** The budget day `now` falls in (budget-day.ts: the machine's local day, or UTC / budget.timezone). */
export function localDate(now: number): string {
  return budgetDate(now);
}
