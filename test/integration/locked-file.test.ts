// LockedJsonFile against real processes: concurrent writers in separate Node processes (the compiled
// module, via test/helpers/locked-file-worker.mjs), a concurrent reader, holders that are SIGKILLed with the
// lock held, and hand-written stale locks. No wall-clock assertions.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { processStartTime } from '../../src/agent/procs.js';
import { LockedJsonFile } from '../../src/state/locked-file.js';

const WORKER = resolve(fileURLToPath(import.meta.url), '../../helpers/locked-file-worker.mjs');
const COMPILED = resolve(fileURLToPath(import.meta.url), '../../../dist/state/locked-file.js');

interface Rec {
  counter: number;
  log: string[];
}
const parse = (raw: unknown): Rec => {
  const r = raw as Partial<Rec> | undefined;
  return r && Number.isInteger(r.counter) && Array.isArray(r.log) ? (r as Rec) : { counter: 0, log: [] };
};

interface Worker {
  proc: ChildProcess;
  /** Resolves with the first stdout line matching `pred`. */
  line: (pred: (l: string) => boolean) => Promise<string>;
  exited: Promise<number | null>;
  stderr: () => string;
}

const started: Worker[] = [];
let root: string;
let n = 0;

beforeAll(() => {
  if (!existsSync(COMPILED)) throw new Error(`${COMPILED} is missing: run \`npm run build\` first (npm test does)`);
  root = mkdtempSync(join(tmpdir(), 'locked-file-test-'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

afterEach(() => {
  for (const w of started.splice(0)) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
});

function freshFile(): string {
  const dir = join(root, `case-${++n}`);
  mkdirSync(dir);
  return join(dir, 'account.json');
}

function worker(...args: string[]): Worker {
  const proc = spawn(process.execPath, [WORKER, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: { pred: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  const lines: string[] = [];
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    let i: number;
    while ((i = out.indexOf('\n')) >= 0) {
      const l = out.slice(0, i);
      out = out.slice(i + 1);
      lines.push(l);
      for (const w of waiters.filter((w) => w.pred(l))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
    }
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  const line = (pred: (l: string) => boolean) =>
    new Promise<string>((res, rej) => {
      const hit = lines.find(pred);
      if (hit !== undefined) return res(hit);
      waiters.push({ pred, resolve: res });
      void exited.then((code) => rej(new Error(`worker ${args.join(' ')} exited (${code}) first; stderr:\n${err}`)));
    });
  const w = { proc, line, exited, stderr: () => err };
  started.push(w);
  return w;
}

/** A process that took the lock and blocks holding it; `counter` is the record's value when it got it. */
async function holdLock(file: string): Promise<Worker & { counter: number }> {
  const w = worker('hold', file);
  const l = await w.line((l) => l.startsWith('locked '));
  return { ...w, counter: Number(l.slice('locked '.length)) };
}

async function kill(w: Worker): Promise<void> {
  w.proc.kill('SIGKILL');
  await w.exited;
}

const lockError = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as Error & { code?: string });

describe('LockedJsonFile across processes', () => {
  it('loses no update with three writers and a reader started at the same moment', async () => {
    const file = freshFile();
    const N = 500;
    const ids = ['a', 'b', 'c'];
    const writers = ids.map((id) => worker('count', file, id, String(N)));
    const reader = worker('read', file, String(N * ids.length));
    const all = [...writers, reader];
    await Promise.all(all.map((w) => w.line((l) => l === 'ready')));
    const t0 = performance.now();
    for (const w of all) w.proc.stdin!.write('go\n');
    const results = await Promise.all(writers.map((w) => w.line((l) => l.startsWith('{'))));
    const seconds = (performance.now() - t0) / 1000;
    const found = JSON.parse(await reader.line((l) => l.startsWith('{')));

    const rec = JSON.parse(readFileSync(file, 'utf8')) as Rec;
    expect(rec.counter).toBe(N * ids.length);
    expect(rec.log).toHaveLength(N * ids.length);
    for (const id of ids) {
      const mine = rec.log.filter((e) => e.startsWith(`${id}:`));
      expect(mine).toEqual(Array.from({ length: N }, (_, i) => `${id}:${i}`));
    }
    for (const r of results) expect(JSON.parse(r).done).toBe(N);
    expect(found).toMatchObject({ missingAfterSeen: 0, invalid: 0, backwards: 0, inconsistent: 0, last: N * ids.length });
    expect(found.reads).toBeGreaterThan(0);
    expect(existsSync(`${file}.lock`)).toBe(false);
    expect(readdirSync(join(file, '..'))).toEqual(['account.json']); // no temp file, claim or lock left behind
    console.log(`locked-file stress: ${N * ids.length} updates by ${ids.length} processes in ${seconds.toFixed(2)} s = ${Math.round((N * ids.length) / seconds)} updates/s; reader made ${found.reads} reads`);
  });

  it('writers that all find the same dead holder break its lock once between them', async () => {
    const file = freshFile();
    const N = 300;
    const ids = ['a', 'b', 'c'];
    const writers = ids.map((id) => worker('count', file, id, String(N)));
    await Promise.all(writers.map((w) => w.line((l) => l === 'ready')));
    // Five times, while the writers run: a process takes the lock and is SIGKILLed holding it, so every
    // writer is waiting on the same stale lock and they race to break it. The first one holds the lock
    // before the writers start, so at least that kill overlaps them however fast they are.
    const during: number[] = [];
    for (let i = 0; i < 5; i++) {
      const victim = await holdLock(file);
      during.push(victim.counter);
      if (i === 0) for (const w of writers) w.proc.stdin!.write('go\n');
      await kill(victim);
    }
    await Promise.all(writers.map((w) => w.line((l) => l.startsWith('{'))));
    expect(during.filter((c) => c < N * ids.length).length).toBeGreaterThan(0); // the kills did overlap the writers
    const rec = JSON.parse(readFileSync(file, 'utf8')) as Rec;
    expect(rec.counter).toBe(N * ids.length);
    expect(rec.log).toHaveLength(N * ids.length);
    for (const id of ids) expect(rec.log.filter((e) => e.startsWith(`${id}:`))).toEqual(Array.from({ length: N }, (_, i) => `${id}:${i}`));
    // The last victim may have died after the writers finished: its lock stays until the next update.
    await new LockedJsonFile(file, { parse, lockTimeoutMs: 300 }).update(() => undefined);
    expect(readdirSync(join(file, '..'))).toEqual(['account.json']);
  });

  it('times out with ELOCKED on a live holder, and takes over once that holder is SIGKILLed', async () => {
    const file = freshFile();
    const holder = await holdLock(file);
    const store = new LockedJsonFile(file, { parse, lockTimeoutMs: 300 });
    const err = await lockError(store.update((r) => ({ ...r, counter: r.counter + 1 })));
    expect(err?.code).toBe('ELOCKED');
    expect(err?.message).toContain(`${file}.lock`);
    expect(err?.message).toContain(`pid ${holder.proc.pid}`);
    expect(existsSync(file)).toBe(false);

    await kill(holder);
    expect((await store.update((r) => ({ ...r, counter: r.counter + 1 }))).counter).toBe(1);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });
});

describe('LockedJsonFile stale locks written by hand', () => {
  const writeLock = (file: string, holder: object, ageMs = 0) => {
    writeFileSync(`${file}.lock`, JSON.stringify(holder));
    if (ageMs) utimesSync(`${file}.lock`, new Date(Date.now() - ageMs), new Date(Date.now() - ageMs));
  };

  it('breaks a lock naming a pid that does not exist', async () => {
    const file = freshFile();
    const gone = spawn(process.execPath, ['-e', '']);
    const pid = gone.pid!;
    await new Promise((res) => gone.on('exit', res));
    writeLock(file, { pid, pid_start: null, host: hostname(), at: new Date().toISOString() });
    const store = new LockedJsonFile(file, { parse, lockTimeoutMs: 300 });
    expect((await store.update((r) => ({ ...r, counter: r.counter + 1 }))).counter).toBe(1);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it.runIf(processStartTime(process.pid) !== null)('breaks a lock whose pid now belongs to another process', async () => {
    const file = freshFile();
    writeLock(file, { pid: process.pid, pid_start: '1', host: hostname(), at: new Date().toISOString() });
    const store = new LockedJsonFile(file, { parse, lockTimeoutMs: 300 });
    expect((await store.update((r) => ({ ...r, counter: r.counter + 1 }))).counter).toBe(1);
  });

  it('judges by age only when liveness cannot be told: another host, or an empty lock', async () => {
    const file = freshFile();
    const store = new LockedJsonFile(file, { parse, lockTimeoutMs: 300, staleLockMs: 10_000 });
    const elsewhere = { pid: 1, pid_start: '1', host: `not-${hostname()}`, at: new Date().toISOString() };
    writeLock(file, elsewhere);
    const err = await lockError(store.update((r) => ({ ...r, counter: 1 })));
    expect(err?.code).toBe('ELOCKED');
    expect(err?.message).toContain('pid 1 on not-');
    writeLock(file, elsewhere, 60_000);
    expect((await store.update((r) => ({ ...r, counter: 1 }))).counter).toBe(1);

    writeFileSync(`${file}.lock`, ''); // a creator killed between open('wx') and its write
    expect((await lockError(store.update((r) => ({ ...r, counter: 2 }))))?.code).toBe('ELOCKED');
    utimesSync(`${file}.lock`, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    expect((await store.update((r) => ({ ...r, counter: 2 }))).counter).toBe(2);
  });

  it('a process that saw a stale lock that someone else has since broken and replaced deletes nothing', async () => {
    // The interleaving that makes naive check-then-delete unsafe, forced step by step: B inspects the
    // stale lock; A breaks it and takes the lock; only then does B act on what it saw.
    const file = freshFile();
    const gone = spawn(process.execPath, ['-e', '']);
    const pid = gone.pid!;
    await new Promise((res) => gone.on('exit', res));
    writeLock(file, { pid, pid_start: null, host: hostname(), at: new Date().toISOString(), nonce: 'cccccccccccccccc' });
    const seenByB = { identity: 'cccccccccccccccc', holder: JSON.parse(readFileSync(`${file}.lock`, 'utf8')), mtimeMs: statSync(`${file}.lock`).mtimeMs };
    const a = await holdLock(file);
    const aLock = readFileSync(`${file}.lock`, 'utf8');
    expect(JSON.parse(aLock).pid).toBe(a.proc.pid);
    const b = new LockedJsonFile(file, { parse, lockTimeoutMs: 300 });
    const breakStale = (b as unknown as { breakStale: (path: string, seen: object, depth: number) => boolean }).breakStale.bind(b);
    breakStale(`${file}.lock`, seenByB, 0);
    expect(readFileSync(`${file}.lock`, 'utf8')).toBe(aLock);
    expect((await lockError(b.update(() => ({ counter: 1, log: [] }))))?.code).toBe('ELOCKED');
    expect(readdirSync(join(file, '..')).sort()).toEqual(['account.json.lock']);
  });

  it('leaves a stale lock alone while a live process holds the claim to break it', async () => {
    const file = freshFile();
    const gone = spawn(process.execPath, ['-e', '']);
    const pid = gone.pid!;
    await new Promise((res) => gone.on('exit', res));
    writeLock(file, { pid, pid_start: null, host: hostname(), at: new Date().toISOString(), nonce: 'dddddddddddddddd' });
    const live = { pid: process.pid, pid_start: processStartTime(process.pid), host: hostname(), at: new Date().toISOString(), nonce: 'eeeeeeeeeeeeeeee' };
    writeFileSync(`${file}.lock.break-dddddddddddddddd`, JSON.stringify(live));
    const store = new LockedJsonFile(file, { parse, lockTimeoutMs: 300 });
    expect((await lockError(store.update(() => ({ counter: 1, log: [] }))))?.code).toBe('ELOCKED');
    expect(existsSync(`${file}.lock`)).toBe(true);
  });

  it('breaks a claim on a stale lock whose breaker died holding it', async () => {
    const file = freshFile();
    const gone = spawn(process.execPath, ['-e', '']);
    const pid = gone.pid!;
    await new Promise((res) => gone.on('exit', res));
    const dead = { pid, pid_start: null, host: hostname(), at: new Date().toISOString() };
    writeLock(file, { ...dead, nonce: 'aaaaaaaaaaaaaaaa' });
    writeFileSync(`${file}.lock.break-aaaaaaaaaaaaaaaa`, JSON.stringify({ ...dead, nonce: 'bbbbbbbbbbbbbbbb' }));
    const store = new LockedJsonFile(file, { parse, lockTimeoutMs: 2000 });
    expect((await store.update((r) => ({ ...r, counter: 1 }))).counter).toBe(1);
    expect(readdirSync(join(file, '..'))).toEqual(['account.json']);
  });
});

describe('LockedJsonFile in one process', () => {
  it('an exception inside fn releases the lock and leaves the file unchanged', async () => {
    const file = freshFile();
    const store = new LockedJsonFile(file, { parse, lockTimeoutMs: 300 });
    await store.update(() => ({ counter: 7, log: ['x'] }));
    const before = readFileSync(file, 'utf8');
    await expect(
      store.update(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(existsSync(`${file}.lock`)).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect((await store.update((r) => ({ ...r, counter: r.counter + 1 }))).counter).toBe(8);
  });

  it('fn returning undefined writes nothing', async () => {
    const file = freshFile();
    const store = new LockedJsonFile(file, { parse });
    await store.update(() => ({ counter: 3, log: [] }));
    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    const before = statSync(file);
    const content = readFileSync(file, 'utf8');
    expect(await store.update(() => undefined)).toEqual({ counter: 3, log: [] });
    const after = statSync(file);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);
    expect(readFileSync(file, 'utf8')).toBe(content);
    expect(readdirSync(join(file, '..'))).toEqual(['account.json']);
  });

  it('creates missing folders (0700) and writes the record 0600', async () => {
    const file = join(root, `case-${++n}`, 'state', 'swarm', 'accounts', 'work.json');
    const store = new LockedJsonFile(file, { parse });
    expect(store.read()).toEqual({ counter: 0, log: [] });
    await store.update(() => ({ counter: 1, log: ['a'] }));
    expect(store.read()).toEqual({ counter: 1, log: ['a'] });
    expect(statSync(join(file, '..')).mode & 0o777).toBe(0o700);
    expect(statSync(join(file, '..', '..', '..')).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('a corrupt file reads as parse(undefined) and update() replaces it', async () => {
    const file = freshFile();
    writeFileSync(file, '{"counter": 4, "log": [');
    const seen: unknown[] = [];
    const store = new LockedJsonFile(file, { parse: (raw) => (seen.push(raw), parse(raw)) });
    expect(store.read()).toEqual({ counter: 0, log: [] });
    expect(seen).toEqual([undefined]);
    expect((await store.update((r) => ({ counter: r.counter + 1, log: [...r.log, 'z'] }))).counter).toBe(1);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ counter: 1, log: ['z'] });
  });

  it('concurrent update() calls in one process queue behind each other', async () => {
    const file = freshFile();
    const a = new LockedJsonFile(file, { parse });
    const b = new LockedJsonFile(file, { parse });
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).update((r) => ({ counter: r.counter + 1, log: [...r.log, String(i)] }))));
    expect(a.read().counter).toBe(40);
  });

  it('removes temp files left by a writer that was killed mid-write', async () => {
    const file = freshFile();
    const gone = spawn(process.execPath, ['-e', '']);
    const pid = gone.pid!;
    await new Promise((res) => gone.on('exit', res));
    writeFileSync(`${file}.${pid}.abcdef012345.tmp`, '{"coun');
    writeFileSync(`${file}.${process.pid}.abcdef012345.tmp`, '{"coun'); // a live writer's: kept
    await new LockedJsonFile(file, { parse }).update(() => ({ counter: 1, log: [] }));
    expect(readdirSync(join(file, '..')).sort()).toEqual(['account.json', `account.json.${process.pid}.abcdef012345.tmp`]);
  });
});
