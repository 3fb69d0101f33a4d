import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../src/backend/embedded/state-store.js';
import { emptyState } from '../../src/state/empty-state.js';
import { acquireLock, heartbeat, readLock, releaseLock } from '../../src/state/lock.js';
import { claim, start } from '../../src/core/lifecycle.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-state-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const NOW = Date.parse('2026-11-21T12:00:00Z');
const ticket = { key: '7', id: '7', identifier: '#7', number: 7, title: 'T', body: '', url: 'u', labels: [], priority: 4, state: 'open', open: true, phase: 'todo' as const, created_at: '', updated_at: '', blockers: [], branch_hint: null };

describe('FileStateStore', () => {
  it('round-trips a state and leaves no temp files', () => {
    const store = new FileStateStore(path.join(dir, 'state.json'), () => NOW);
    const s = emptyState(NOW);
    const ts = start(claim(undefined, ticket, 'swarm/7-t', '/w', NOW).ticket!, 'opus', '/runs/7/1.jsonl', 3, NOW).ticket!;
    s.tickets['7'] = ts;
    store.save(s);
    expect(fs.readdirSync(dir)).toEqual(['state.json']);
    const back = store.load();
    expect(back.problem).toBeNull();
    expect(back.state.tickets['7']).toEqual(ts);
  });

  it('moves a truncated file aside, says so, and starts empty', () => {
    const file = path.join(dir, 'state.json');
    const store = new FileStateStore(file, () => NOW);
    const s = emptyState(NOW);
    s.tickets['7'] = claim(undefined, ticket, 'b', '/w', NOW).ticket!;
    store.save(s);
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
    const res = store.load();
    expect(res.problem?.message).toMatch(/could not be used: it is not valid JSON \(truncated\?\); moved it to .*state\.json\.corrupt-/);
    expect(fs.existsSync(res.problem!.movedTo)).toBe(true);
    expect(fs.readFileSync(res.problem!.movedTo, 'utf8')).toBe(text.slice(0, Math.floor(text.length / 2)));
    expect(res.state.tickets).toEqual({});
    expect(fs.existsSync(file)).toBe(false);
  });

  it('refuses a file from a newer swarm and a malformed ticket, never silently', () => {
    const file = path.join(dir, 'state.json');
    const store = new FileStateStore(file, () => NOW);
    fs.writeFileSync(file, JSON.stringify({ ...emptyState(NOW), version: 99 }));
    expect(store.load().problem?.message).toMatch(/newer swarm \(format 99/);
    fs.writeFileSync(file, JSON.stringify({ ...emptyState(NOW), tickets: { x: { status: 'weird', attempts: [] } } }));
    expect(store.load().problem?.message).toMatch(/ticket x has an unknown status/);
    fs.writeFileSync(file, '');
    expect(store.load().problem?.message).toMatch(/it is empty/);
  });

  it('peek never moves anything', () => {
    const file = path.join(dir, 'state.json');
    fs.writeFileSync(file, '{"broken');
    expect(new FileStateStore(file).peek()).toBeNull();
    expect(fs.existsSync(file)).toBe(true);
  });
});

describe('daemon lock', () => {
  it('lets one holder in, names it to the next, and is released', () => {
    const file = path.join(dir, 'daemon.lock');
    expect(acquireLock(file, 'WORKFLOW.md', NOW)).toEqual({ ok: true, stale: null });
    heartbeat(file, NOW + 5000);
    expect(readLock(file)?.heartbeat_at).toBe(new Date(NOW + 5000).toISOString());
    // Another live process holding it: simulate by rewriting the pid to our parent's.
    const info = readLock(file)!;
    fs.writeFileSync(file, JSON.stringify({ ...info, pid: process.ppid, pid_start: null }));
    const second = acquireLock(file, 'WORKFLOW.md', NOW);
    expect(second).toMatchObject({ ok: false, holder: { pid: process.ppid } });
    fs.writeFileSync(file, JSON.stringify(info));
    releaseLock(file);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('takes over the lock of a dead process and of a reused pid', async () => {
    const file = path.join(dir, 'daemon.lock');
    const child = spawn('true');
    const pid = child.pid!;
    await new Promise((r) => child.on('exit', r));
    fs.writeFileSync(file, JSON.stringify({ pid, pid_start: '1', started_at: '', heartbeat_at: '', workflow: '' }));
    expect(acquireLock(file, 'W', NOW)).toMatchObject({ ok: true, stale: { pid } });
    // A live pid whose start time differs from the recorded one is someone else now.
    fs.writeFileSync(file, JSON.stringify({ pid: process.ppid, pid_start: 'not-the-real-start', started_at: '', heartbeat_at: '', workflow: '' }));
    expect(acquireLock(file, 'W', NOW)).toMatchObject({ ok: true, stale: { pid: process.ppid } });
    // Garbage in the file (crash between create and write) does not block either.
    fs.writeFileSync(file, '');
    expect(acquireLock(file, 'W', NOW).ok).toBe(true);
  });
});
