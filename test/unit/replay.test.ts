// Replay equivalence: what the live daemon folds (lifecycle steps committed through the real Ledger, whose
// Logger writes events.jsonl) is exactly what a rebuild from that events.jsonl gives back — for a run with
// follow-up rounds, a needs-human stop, a usage limit, a fleet takeover and a diverged branch. The decoder
// lives beside the event union (events.ts): every event type has one, so nothing is silently dropped.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/schema.js';
import type { Classification, RunResult } from '../../src/agent/types.js';
import type { SwarmState, TicketState } from '../../src/core/types.js';
import type { Ticket } from '../../src/tracker/types.js';
import type { AttemptOutput } from '../../src/core/types.js';
import { decodeEvent, type RawEvent } from '../../src/core/events.js';
import { emptyState } from '../../src/state/empty-state.js';
import { Ledger } from '../../src/state/ledger.js';
import { Logger } from '../../src/log/logger.js';
import { rebuildFromEventFiles } from '../../src/state/rebuild.js';
import * as L from '../../src/core/lifecycle.js';

const T0 = Date.parse('2026-11-21T12:00:00Z');
const config = validateConfig({ pr: { max_followups: 2 } }, { file: 'WORKFLOW.md', env: {} }).config;
const tk = (n: number): Ticket => ({ key: String(n), id: String(n), identifier: `#${n}`, number: n, title: `Ticket ${n}`, body: '', url: `https://x/issues/${n}`, labels: ['agent'], priority: 4, state: 'open', open: true, phase: 'todo', created_at: '2026-01-01T00:00:00Z', updated_at: '', blockers: [], branch_hint: null });
const cls = (outcome: Classification['outcome'], counted: boolean, over: Partial<Classification> = {}): Classification => ({ outcome, counted, reason: `${outcome}: why`, resetAt: null, limitType: null, rule: outcome, ...over });
function run(cost: number, text = 'Done.'): RunResult {
  return {
    exitCode: 0, signal: null, killedFor: null, durationMs: 900, stderrTail: '', spawnError: null, held: null,
    summary: {
      sessionId: 'sess', model: 'sonnet', sawModelTurn: true, lines: 3, bytes: 100, badLines: 0, lastText: text, apiRetries: [], rateLimit: null, window: null, syntheticError: null, lastActivity: 'result',
      result: { type: 'result', subtype: 'success', isError: false, result: text, numTurns: 2, durationMs: 900, totalCostUsd: cost, usage: { input: 10, output: 20, cacheRead: 3, cacheCreation: 4 }, modelUsage: {}, terminalReason: null, apiErrorStatus: null, apiErrorType: null, apiError: null, errors: [], permissionDenials: 0, sessionId: 'sess', startupFailureReason: null, invalidConfigPath: null, raw: {} },
    },
  };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A live daemon's ledger: real fold, real Logger appending to events.jsonl, state kept in memory. */
function live() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-replay-'));
  dirs.push(dir);
  const events = path.join(dir, 'events.jsonl');
  let now = T0;
  const state: SwarmState = emptyState(T0);
  const log = new Logger({ eventsFile: events, out: null, now: () => now });
  const ledger = new Ledger(state, { save: () => undefined }, log);
  const at = (ms: number) => (now = T0 + ms);
  const ts = (n: number): TicketState => state.tickets[String(n)]!;
  const attempt = async (n: number, ms: number, c: Classification, out: Partial<AttemptOutput> = {}) => {
    at(ms);
    ledger.record(L.start(ts(n), 'sonnet', `/runs/${n}/${ts(n).attempts.length + 1}.jsonl`, config.agent.max_attempts, now));
    const no = ts(n).attempts.length;
    await ledger.commit(L.spawned(ts(n), no, 4000 + no, '123', now));
    at(ms + 1000);
    await ledger.commit(L.finish(state, ts(n), no, { cls: c, pr: null, run: run(0.25), held: null, started: true, commits: [], followupHead: null, ...out }, config, now, 0));
  };
  return { state, ledger, events, at, ts, attempt, now: () => now };
}

const HEAD = (c: string) => c.repeat(40);

describe('rebuild from events.jsonl equals the live fold', () => {
  it('follow-up rounds, needs-human, a usage limit, a fleet takeover and a diverged branch come back exactly', async () => {
    const w = live();
    const { ledger, ts } = w;
    const pr7 = { number: 7, url: 'https://x/pull/7', state: 'open' as const, branch: 'swarm/1-ticket-1' };

    // Ticket 1: a usage limit (paused, waits, not counted), then a PR, then two follow-up rounds that push.
    w.at(0);
    await ledger.commit(L.claim(undefined, tk(1), 'swarm/1-ticket-1', '/wt/a/swarm-1-ticket-1', w.now()));
    await w.attempt(1, 1000, cls('rate_limited', false, { resetAt: T0 + 60_000, limitType: 'five_hour' }));
    expect(w.state.pause).toMatchObject({ kind: 'rate_limit' });
    w.at(70_000);
    await ledger.commit(L.resume(w.state.pause!, 'rate_limit pause ended', w.now()));
    await w.attempt(1, 71_000, cls('pr_opened', false), { pr: pr7, commits: [HEAD('a')] });
    for (const round of [1, 2]) {
      w.at(100_000 * round);
      const head = HEAD(round === 1 ? 'a' : 'b');
      await ledger.commit(L.followupStarted(ts(1), { pr: 7, round, kind: round === 1 ? 'ci' : 'review', head_sha: head, triggers: [`7:${head}:ci`], checks: [{ name: 'build', conclusion: 'failure', summary: 'red', log_excerpt: 'boom' }], comments: round === 2 ? [{ author: 'rev', body: 'fix', path: 'a.ts', line: 3 }] : [] }, w.now()));
      await w.attempt(1, 100_000 * round + 1000, cls('pr_opened', false), { commits: [HEAD(round === 1 ? 'b' : 'c')], followupHead: HEAD(round === 1 ? 'b' : 'c') });
    }
    expect(ts(1).followup).toMatchObject({ rounds: 2, pending: null });

    // Ticket 2: a PR, then the bound of follow-ups is reached → needs a human.
    w.at(300_000);
    await ledger.commit(L.claim(undefined, tk(2), 'swarm/2-ticket-2', '/wt/a/swarm-2-ticket-2', w.now()));
    await w.attempt(2, 301_000, cls('pr_opened', false), { pr: { ...pr7, number: 8, url: 'https://x/pull/8' }, commits: [HEAD('d')] });
    await ledger.commit(L.needsHuman(ts(2), 'needs_human', 'checks still failing after 2 follow-ups', config.pr.needs_human_label, w.now()));

    // Ticket 3: claimed by a daemon that stopped; this one takes it over (the holder's attempt is interrupted).
    w.at(400_000);
    await ledger.commit(L.claim(undefined, tk(3), 'swarm/3-ticket-3', '/wt/a/swarm-3-ticket-3', w.now()));
    ledger.record(L.start(ts(3), 'sonnet', '/runs/3/1.jsonl', 3, w.now()));
    w.at(500_000);
    await ledger.commit(L.interrupt(ts(3), 'taken over from host-b:77:1, which stopped (not counted)', w.now()));
    await ledger.commit(L.claim(ts(3), tk(3), 'swarm/3-ticket-3', '/wt/a/swarm-3-ticket-3', w.now()));
    await w.attempt(3, 501_000, cls('no_changes', true));
    await w.attempt(3, 510_000, cls('pr_auto_opened', false), { pr: { ...pr7, number: 9, url: 'https://x/pull/9' }, commits: [HEAD('e')] });

    // Ticket 4: a retry found origin's branch rewritten: stopped for a human, local commits kept.
    w.at(600_000);
    await ledger.commit(L.claim(undefined, tk(4), 'swarm/4-ticket-4', '/wt/a/swarm-4-ticket-4', w.now()));
    await ledger.commit(L.branchDiverged(ts(4), { branch: 'swarm/4-ticket-4', local_head: HEAD('1'), remote_head: HEAD('2'), ahead: 1, behind: 2, backup_ref: 'refs/swarm/backup/swarm/4-ticket-4/x', reason: 'origin/swarm/4-ticket-4 was rewritten' }, config.pr.needs_human_label, w.now()));

    const rebuilt = rebuildFromEventFiles(w.events, { now: w.now() + 1000 });
    // Only the write-ahead mark differs by design: a rebuilt record is re-told to the tracker.
    const strip = (t: TicketState) => ({ ...t, synced_rev: 0 });
    for (const key of ['1', '2', '3', '4']) expect(strip(rebuilt.tickets[key]!), `ticket ${key}`).toEqual(strip(w.state.tickets[key]!));
    expect(Object.keys(rebuilt.tickets).sort()).toEqual(['1', '2', '3', '4']);
    expect(rebuilt.tickets['1']!.followup).toMatchObject({ rounds: 2, handled: [`7:${HEAD('a')}:ci`, `7:${HEAD('b')}:ci`], ours: [HEAD('a'), HEAD('b'), HEAD('c')] });
    expect(rebuilt.tickets['2']!.followup?.stopped).toMatchObject({ why: 'needs_human' });
    expect(rebuilt.tickets['3']!.attempts.map((a) => [a.outcome, a.counted])).toEqual([['interrupted', false], ['no_changes', true], ['pr_auto_opened', false]]);
    expect(rebuilt.tickets['4']).toMatchObject({ status: 'failed', followup: { stopped: { why: 'diverged' } } });
    expect(rebuilt.pause).toBeNull(); // the usage limit ended and was resumed
  });

  it('an event type the union gains without a decoder would not compile; every known type decodes or is named operational', () => {
    // Spot-check at run time too: each ticket and scope type round-trips through decodeEvent.
    const keyOf = (r: RawEvent) => (typeof r.key === 'string' ? r.key : null);
    const at = new Date(T0).toISOString();
    const t = { at, ticket: '#1', key: '1' };
    const samples: RawEvent[] = [
      { ...t, type: 'followup_pushed', round: 2, head_sha: 'h', commits: ['c'] },
      { ...t, type: 'followups_resumed', reason: 'label removed', head_sha: null },
      { ...t, type: 'commits_seen', commits: ['x'] },
      { ...t, type: 'pr_closed', merged: true, pr: 'https://x/pull/1' },
      { ...t, type: 'needs_human', why: 'human_push', reason: 'a push', label: 'agent:needs-human' },
      { at, type: 'budget_reached', daily_usd: 5, spent_usd: 6, reason: 'spent' },
    ];
    for (const s of samples) expect(decodeEvent(JSON.parse(JSON.stringify(s)), { keyOf })).toEqual(s);
    expect(decodeEvent({ at, type: 'daemon_started', pid: 1 }, { keyOf })).toBeNull();
    expect(decodeEvent({ at, type: 'constructor' }, { keyOf })).toBeNull();
    expect(decodeEvent({ at, type: 'no_such_type' }, { keyOf })).toBeNull();
  });
});
