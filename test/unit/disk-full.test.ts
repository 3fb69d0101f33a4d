// The disk-full pause, pure parts: a save refused for want of room marks the daemon disk_full (once), the
// pause every dispatch decision obeys (eligibility, the spawn gate, --until-idle, status); a later save that
// fits lifts it by itself and writes what was kept in memory — nothing lost, nothing counted twice.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/schema.js';
import type { DiskFull, SwarmState } from '../../src/core/types.js';
import type { Ticket } from '../../src/tracker/types.js';
import { DiskFullError, isDiskFull, writeFileAtomic } from '../../src/util/atomic-file.js';
import { emptyState } from '../../src/state/empty-state.js';
import { Ledger } from '../../src/state/ledger.js';
import { Logger, type Unwritten } from '../../src/log/logger.js';
import * as L from '../../src/core/lifecycle.js';
import { eligibility, spawnGate } from '../../src/core/policy.js';
import { idleVerdict, nextWakeMs } from '../../src/core/idle.js';
import { buildSnapshot, renderStatus } from '../../src/report/status.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const config = validateConfig({}, { file: 'WORKFLOW.md', env: {} }).config;
const ticket: Ticket = { key: '1', id: '1', identifier: '#1', number: 1, title: 'T', body: '', url: 'u', labels: ['agent'], priority: 4, state: 'open', open: true, phase: 'todo', created_at: '2026-01-01T00:00:00Z', updated_at: '', blockers: [], branch_hint: null };
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function daemonState(): SwarmState {
  return emptyState(NOW);
}
const daemonView = (disk_full: DiskFull | null) => ({ pid: process.pid, started_at: '', heartbeat_at: '', draining: false, config_error: null, workflow: 'WORKFLOW.md', max_attempts: 3, max_concurrent: 2, disk_full });

describe('DiskFullError', () => {
  it('is what a full disk, the file-size limit or a quota means; other errors are not', () => {
    expect(isDiskFull(new DiskFullError('/x', 'EFBIG'))).toBe(true);
    for (const code of ['ENOSPC', 'EFBIG', 'EDQUOT']) expect(isDiskFull(Object.assign(new Error(code), { code }))).toBe(true);
    expect(isDiskFull(Object.assign(new Error('nope'), { code: 'EACCES' }))).toBe(false);
  });

  it('writeFileAtomic replaces whole files with mode 0600 and leaves no temp file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-atomic-'));
    dirs.push(dir);
    const f = path.join(dir, 'state.json');
    writeFileAtomic(f, 'one');
    writeFileAtomic(f, 'two'.repeat(100_000));
    expect(fs.readFileSync(f, 'utf8')).toBe('two'.repeat(100_000));
    expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(['state.json']);
  });
});

describe('the ledger and a full disk', () => {
  it('marks the daemon disk_full, pauses dispatch, then lifts it itself once a save fits; the change is written once', async () => {
    const state = daemonState();
    let room = true;
    const saved: SwarmState[] = [];
    const store = {
      save(s: SwarmState) {
        if (!room) throw new DiskFullError('/repo/.swarm/state.json', 'EFBIG');
        saved.push(JSON.parse(JSON.stringify(s)));
      },
    };
    const events: string[] = [];
    const log = new Logger({ eventsFile: null, out: null, now: () => NOW });
    log.onEvent(({ event }) => events.push(event.type));
    const ledger = new Ledger(state, store, log);
    await ledger.commit(L.claim(undefined, ticket, 'swarm/1-t', '/wt/1', NOW));

    room = false;
    ledger.record(L.start(state.tickets['1']!, 'sonnet', '/runs/1/1.jsonl', 3, NOW));
    await expect(ledger.save()).rejects.toThrow(/disk full/);
    await expect(ledger.save()).rejects.toThrow(/disk full/);
    expect(events.filter((e) => e === 'disk_full')).toHaveLength(1);
    const disk = ledger.diskFullSince;
    expect(disk).toMatchObject({ file: '/repo/.swarm/state.json' });
    // What was written last is still the claim; the start is held in memory.
    expect(saved.at(-1)!.tickets['1']!.status).toBe('claimed');
    expect(state.tickets['1']!.status).toBe('running');

    // Every dispatch decision sees the pause (the ledger's, handed to the rules).
    const ctx = { config, state, now: NOW, running: new Set<string>(), disk };
    expect(eligibility({ ...ticket, key: '2' }, ctx).find((c) => c.rule === 'pause')).toMatchObject({ pass: false, detail: expect.stringMatching(/disk full/) });
    expect(spawnGate(config, state, undefined, NOW, 0, { lane: 'normal', backgroundRunning: 0, account: null, disk })).toMatch(/dispatch paused \(disk_full\)/);
    expect(idleVerdict(config, state, { running: 0, eligible: 0, listed: new Set(), now: NOW, disk })).toEqual({ done: false });
    expect(nextWakeMs(state, NOW, 60_000, NOW, [], disk)).toBeLessThanOrEqual(5000);
    const snap = buildSnapshot({ ...state, daemon: daemonView(disk) }, { info: { pid: process.pid, pid_start: null, started_at: '', heartbeat_at: new Date(NOW).toISOString(), workflow: '' }, alive: true }, NOW);
    expect(snap.pause).toMatchObject({ kind: 'disk_full', until: null });
    expect(renderStatus(snap)).toMatch(/PAUSED \(disk full\)/);

    expect(await ledger.probeDisk()).toBe(false);
    room = true;
    expect(await ledger.probeDisk()).toBe(true);
    expect(ledger.diskFullSince).toBeNull();
    expect(events.filter((e) => e === 'disk_recovered')).toHaveLength(1);
    expect(saved.at(-1)!.tickets['1']!.status).toBe('running');
    expect(saved.at(-1)!.tickets['1']!.attempts).toHaveLength(1);
    expect(saved.at(-1)).not.toHaveProperty('daemon'); // the disk state is never written into state.json
    expect(spawnGate(config, state, undefined, NOW, 0, { lane: 'normal', backgroundRunning: 0, account: null, disk: ledger.diskFullSince })).toBeNull();
  });

  it('event lines a full disk refused keep the pause on until they are written', async () => {
    const state = daemonState();
    const log = new Logger({ eventsFile: null, out: null });
    let unwritten: Unwritten | null = { file: '/repo/.swarm/events.jsonl', lines: 3, since: '', error: 'disk full: could not append', dropped: 0 };
    Object.defineProperty(log, 'unwritten', { get: () => unwritten });
    (log as unknown as { flushUnwritten: () => boolean }).flushUnwritten = () => true;
    const ledger = new Ledger(state, { save: () => undefined }, log);
    ledger.record(L.claim(undefined, ticket, 'swarm/1-t', '/wt/1', NOW));
    expect(ledger.diskFullSince).toMatchObject({ file: '/repo/.swarm/events.jsonl' });
    await ledger.save();
    expect(ledger.diskFullSince).not.toBeNull(); // state.json fits, but the log does not yet
    unwritten = null;
    expect(await ledger.probeDisk()).toBe(true);
    expect(ledger.diskFullSince).toBeNull();
  });
});
