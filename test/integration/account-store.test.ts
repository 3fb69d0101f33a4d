// AccountFileStore: the file's place in the user's state directory, reads and updates in one process, and
// the acceptance 5 — daemons writing the account file at the same moments (separate Node
// processes running the compiled store through test/helpers/account-store-worker.mjs, plus a reader that
// never takes the lock) never lose an update and never see a corrupt file. No wall-clock assertions.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AccountFileStore, accountFile, accountsDir } from '../../src/backend/embedded/account-store.js';
import { emptyAccount, parseAccount, withLimit, withMember } from '../../src/core/account-record.js';

const WORKER = resolve(fileURLToPath(import.meta.url), '../../helpers/account-store-worker.mjs');
const COMPILED = resolve(fileURLToPath(import.meta.url), '../../../dist/backend/embedded/account-store.js');

let root: string;
let n = 0;
const procs: ChildProcess[] = [];

beforeAll(() => {
  if (!existsSync(COMPILED)) throw new Error(`${COMPILED} is missing: run \`npm run build\` first (npm test does)`);
  root = mkdtempSync(join(tmpdir(), 'account-store-test-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

const stateHome = () => {
  const d = join(root, `case-${++n}`);
  mkdirSync(d);
  return d;
};

describe('where the account file lives', () => {
  it('under $XDG_STATE_HOME/swarm/accounts, else $HOME/.local/state (a relative XDG_STATE_HOME is ignored)', () => {
    expect(accountsDir({ XDG_STATE_HOME: '/x/state', HOME: '/home/a' })).toBe('/x/state/swarm/accounts');
    expect(accountsDir({ XDG_STATE_HOME: 'rel', HOME: '/home/a' })).toBe('/home/a/.local/state/swarm/accounts');
    expect(accountFile('ada@example.com-1a2b3c', { HOME: '/home/a' })).toBe('/home/a/.local/state/swarm/accounts/ada@example.com-1a2b3c.json');
    expect(() => accountsDir({})).toThrow(/neither XDG_STATE_HOME nor HOME is set/);
    expect(() => accountFile('../x', { HOME: '/h' })).toThrow(/cannot name a file/);
  });
});

describe('AccountFileStore in one process', () => {
  it('reads an empty record before the first write, updates, and skips writes that change nothing', async () => {
    const env = { XDG_STATE_HOME: stateHome() };
    const store = new AccountFileStore('team', { env });
    expect(store.file).toBe(join(env.XDG_STATE_HOME, 'swarm', 'accounts', 'team.json'));
    expect(await store.read()).toEqual(emptyAccount('team'));
    const now = Date.parse('2025-03-01T12:00:00Z');
    const after = await store.update((r) => withMember(r, 'd1', { host: 'h', pid: 1, repo: 'r' }, now));
    expect(after.members.d1?.heartbeat_at).toBe('2025-03-01T12:00:00.000Z');
    expect(await store.read()).toEqual(after);
    expect(parseAccount(JSON.parse(readFileSync(store.file, 'utf8')))).toEqual(after);
    writeFileSync(store.file, 'garbage'); // a record no helper wrote: read as empty, never an error
    expect(await store.read()).toEqual(emptyAccount('team'));
    const unchanged = await store.update((r) => r);
    expect(unchanged).toEqual(emptyAccount('team'));
    expect(readFileSync(store.file, 'utf8')).toBe('garbage'); // nothing written
    const limited = await store.update((r) => withLimit(r, { until: '2025-03-01T13:00:00.000Z', reason: 'limit', limit_type: 'five_hour', by: 'd1' }, now));
    expect(limited.pause?.until).toBe('2025-03-01T13:00:00.000Z');
    // What fn returns is stored as a valid record of this account, whatever it built.
    const odd = await store.update((r) => ({ ...r, name: 'other', version: 2 as unknown as 1 }));
    expect(odd).toMatchObject({ name: 'team', version: 1 });
  });
});

interface Worker {
  proc: ChildProcess;
  line: (pred: (l: string) => boolean) => Promise<string>;
}

function worker(env: NodeJS.ProcessEnv, ...args: string[]): Worker {
  const proc = spawn(process.execPath, [WORKER, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
  procs.push(proc);
  let out = '';
  let err = '';
  const lines: string[] = [];
  const waiters: { pred: (l: string) => boolean; resolve: (l: string) => void }[] = [];
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
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  const line = (pred: (l: string) => boolean) =>
    new Promise<string>((res, rej) => {
      const hit = lines.find(pred);
      if (hit !== undefined) return res(hit);
      waiters.push({ pred, resolve: res });
      void exited.then((code) => rej(new Error(`worker ${args.join(' ')} exited (${code}) first; stderr:\n${err}`)));
    });
  return { proc, line };
}

describe('several daemons on one account at the same moments (acceptance 5)', () => {
  it('three writers doing window, member and limit updates at once, and a lock-free reader: nothing lost, the file always valid', async () => {
    const env = { ...process.env, XDG_STATE_HOME: stateHome() };
    const N = 120;
    const ids = ['d1', 'd2', 'd3'];
    const target = ids.length * (N + 1);
    const writers = ids.map((id) => worker(env, 'stress', 'shared', id, String(N)));
    const reader = worker(env, 'read', 'shared', String(target));
    const all = [...writers, reader];
    await Promise.all(all.map((w) => w.line((l) => l === 'ready')));
    for (const w of all) w.proc.stdin!.write('go\n');
    const results = (await Promise.all(writers.map((w) => w.line((l) => l.startsWith('{'))))).map((l) => JSON.parse(l) as { done: number; maxUntil: number; lastSeen: number });
    const found = JSON.parse(await reader.line((l) => l.startsWith('{'))) as { reads: number; missingAfterSeen: number; invalid: number; backwards: number; last: number };

    const file = join(env.XDG_STATE_HOME, 'swarm', 'accounts', 'shared.json');
    const rec = JSON.parse(readFileSync(file, 'utf8'));
    expect(parseAccount(rec)).toEqual(rec); // exactly a valid record, nothing defaulted
    // Every member update survived: each writer's own id and each of its N extra members.
    const expected = ids.flatMap((id) => [id, ...Array.from({ length: N }, (_, i) => `${id}-${i}`)]).sort();
    expect(Object.keys(rec.members).sort()).toEqual(expected);
    // The pause is the longest any writer asked for: no write was lost and none shortened it.
    expect(Date.parse(rec.pause.until)).toBe(Math.max(...results.map((r) => r.maxUntil)));
    expect(rec.canary).toEqual({ pending: true, holder: null, since: null });
    // The window is the newest report of all.
    expect(Date.parse(rec.window.seen_at)).toBe(Math.max(...results.map((r) => r.lastSeen)));
    // The reader, never locking, saw only complete records, and the member count never went back.
    expect(found).toMatchObject({ missingAfterSeen: 0, invalid: 0, backwards: 0, last: target });
    expect(found.reads).toBeGreaterThan(0);
    // No lock or temp file left behind.
    expect(readdirSync(join(env.XDG_STATE_HOME, 'swarm', 'accounts'))).toEqual(['shared.json']);
  });
});
