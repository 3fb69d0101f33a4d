// State format 3: state.json keeps the records only. A file of format 2 (which carried the daemon's view:
// its config copy, errors, notes, webhook health, and the fleet, account and queue views) loads with those
// fields dropped and everything else kept; a newer format than this swarm reads is refused, never guessed at.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateState } from '../../src/state/validate.js';
import { FileStateStore } from '../../src/backend/embedded/state-store.js';
import { STATE_VERSION } from '../../src/core/types.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const ticket = {
  key: '7', identifier: '#7', title: 'Fix it', url: 'u', branch: 'swarm/7-fix-it', worktree: '/wt/7', status: 'review', attempts: [], failures: 0,
  next_retry_at: null, retry_reason: null, pr: { number: 3, url: 'https://example.invalid/pr/3' }, cost_usd: 1.5, claimed_at: null, updated_at: '', last_event: '', rev: 2, synced_rev: 2, cleared: false,
};
const base = { branch: 'main', head_sha: 'abc', red: true, since: '2026-03-01T11:00:00Z', red_sha: 'abc', red_by: 'command', reason: 'tests fail', charged: '#7', green_sha: null, checked_at: null, hold: 'dispatch' };
const v2 = {
  version: 2,
  tickets: { '7': ticket },
  pause: { kind: 'operator', reason: 'by hand', since: '2026-03-01T10:00:00Z', until: null, limit_type: null },
  canary: true,
  breaker: { recent: [false, true], consecutive: 1, level: 2 },
  daily: { date: '2026-03-01', cost_usd: 4, tokens: { input: 1, output: 2, cacheRead: 0, cacheCreation: 0 }, attempts: { success: 1 }, prs: 1 },
  base,
  daemon: { pid: 4242, started_at: '', heartbeat_at: '', draining: true, config_error: 'old error', workflow: 'W.md', max_attempts: 3, max_concurrent: 2, notes: ['a note'], webhooks: { poll_interval_ms: 1 } },
  fleet: { self: 'd1', daemons: [], leases: [] },
  account: { self: 'm', file: null, from: 'x', record: { name: 'acct' } },
  queue: { waiting: [], lanes: {}, lane_queue: { urgent: 0, normal: 0, background: 0 } },
};

describe('state format 3', () => {
  it('is the format this swarm writes', () => {
    expect(STATE_VERSION).toBe(3);
  });

  it('a format 2 file loads with the view fields dropped and the records, pause, canary, breaker, totals and base kept', () => {
    const checked = validateState(JSON.parse(JSON.stringify(v2)), NOW);
    if (!checked.ok) throw new Error(checked.error);
    const s = checked.state;
    expect(s.version).toBe(3);
    for (const k of ['daemon', 'fleet', 'account', 'queue']) expect(s).not.toHaveProperty(k);
    expect(s.tickets['7']).toMatchObject({ status: 'review', pr: { number: 3 }, rev: 2, synced_rev: 2 });
    expect(s.pause).toMatchObject({ kind: 'operator', until: null });
    expect(s.canary).toBe(true);
    expect(s.breaker).toEqual({ recent: [false, true], consecutive: 1, level: 2 });
    expect(s.daily).toMatchObject({ date: '2026-03-01', cost_usd: 4, prs: 1 });
    // A red base holds dispatch: it must survive the restart that migrates the file.
    expect(s.base).toMatchObject({ red: true, red_sha: 'abc', hold: 'dispatch' });
  });

  it('the store loads a format 2 file in place (nothing moved aside) and writes format 3 without the view', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-state-v3-'));
    dirs.push(dir);
    const file = path.join(dir, 'state.json');
    fs.writeFileSync(file, JSON.stringify(v2));
    const store = new FileStateStore(file, () => NOW);
    const { state, problem } = store.load();
    expect(problem).toBeNull();
    store.save(state);
    const written = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(written.version).toBe(3);
    expect(Object.keys(written).sort()).toEqual(['base', 'breaker', 'canary', 'daily', 'pause', 'tickets', 'version']);
    expect(fs.readdirSync(dir)).toEqual(['state.json']);
  });

  it('a newer format than this swarm reads is refused with the reason (an older swarm does not guess)', () => {
    const checked = validateState({ ...v2, version: 4 }, NOW);
    expect(checked).toEqual({ ok: false, error: 'it was written by a newer swarm (format 4, this one reads 3)' });
  });
});
