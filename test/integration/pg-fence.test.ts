// Fleet leases against a real PostgreSQL (started by the suite), at the coordinator's level: two daemons'
// coordinators, each on its own pool, with their places (machine, boot, PID namespace) given explicitly so
// "another host with the same name" and "a dead daemon on this machine" can both be staged in one process.
// Proves: a holder elsewhere is dead only by its missed renewals (never by a pid looked up here); one in
// this PID space whose process is gone is taken at once; after a takeover the old holder's fenced writes
// (tracker, PR, push) send nothing and its agent is told to stop; the fence renews a lease that nobody
// took; a database restart gives every holder a ttl to come back before anything may be taken over.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openPool } from '../../src/backend/postgres/connect.js';
import { migrate } from '../../src/backend/postgres/migrate.js';
import { FleetDb, type Me } from '../../src/backend/postgres/db.js';
import { PgLeases } from '../../src/backend/postgres/leases.js';
import { PgFleetView } from '../../src/backend/postgres/fleet-view.js';
import { PgStateStore } from '../../src/backend/postgres/state-store.js';
import { FileStateStore } from '../../src/backend/embedded/state-store.js';
import { emptyState } from '../../src/state/empty-state.js';
import { Logger } from '../../src/log/logger.js';
import { daemonId, newInstanceId, placeOfThisProcess, type Place } from '../../src/fleet/identity.js';
import { FenceError, confirmFence, fenceWrites } from '../../src/fleet/fence.js';
import { processStartTime } from '../../src/agent/procs.js';
import type { SwarmState } from '../../src/core/types.js';
import { usePostgres } from '../helpers/use-postgres.js';

const postgres = usePostgres();
const pools: pg.Pool[] = [];
const coordinators: PgLeases[] = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-pg-fence-'));
const SCOPE = 'github:acme/widgets';
const TTL = 2_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterEach(async () => {
  for (const c of coordinators.splice(0)) await c.close().catch(() => {});
  await Promise.all(pools.splice(0).map((p) => p.end().catch(() => {})));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Daemon {
  c: PgLeases;
  state: SwarmState;
  me: Me;
  events(): any[];
  lost: string[];
}

/** A daemon's coordinator as `swarm start` builds it, with its place (and so its identity) chosen here. */
async function daemon(url: string, name: string, place: Place, opts: { pid?: number; pidStart?: string | null; heartbeat?: boolean } = {}): Promise<Daemon> {
  const pool = openPool(url, {}, { onError: () => {} });
  pools.push(pool);
  const db = new FleetDb(pool);
  const instance = newInstanceId();
  const pid = opts.pid ?? process.pid;
  const me: Me = { scope: SCOPE, id: daemonId(os.hostname(), pid, instance) };
  const dir = fs.mkdtempSync(path.join(tmp, `${name}-`));
  const eventsFile = path.join(dir, 'events.jsonl');
  const log = new Logger({ eventsFile, out: null });
  const c = new PgLeases({ db, me, place, ttlMs: TTL, log, live: () => ({ running: 0, max_concurrent: 1, draining: false }) });
  const store = new PgStateStore(new FileStateStore(path.join(dir, 'state.json')), db, me, { owns: (k) => c.owns(k), lost: (k) => c.lose(k), failed: () => {} });
  c.store = store;
  await db.register(me, { host: os.hostname(), pid, pid_start: opts.pidStart === undefined ? processStartTime(pid) : opts.pidStart, started_at: new Date().toISOString(), max_concurrent: 1, repo_dir: dir, account: null, instance, place });
  const state = emptyState(Date.now());
  const lost: string[] = [];
  c.onLost((keys) => lost.push(...keys));
  if (opts.heartbeat === false) {
    // A frozen daemon: one snapshot, then silence (no heartbeat timer).
    (c as unknown as { state: SwarmState }).state = state;
    await c.refresh();
  } else {
    await c.start(state);
  }
  coordinators.push(c);
  const events = () => (fs.existsSync(eventsFile) ? fs.readFileSync(eventsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
  return { c, state, me, events, lost };
}

async function fleetDb(): Promise<string> {
  const url = await postgres.server.createDatabase();
  const pool = openPool(url);
  await migrate(pool);
  await pool.end();
  return url;
}

/** A place on another machine (another boot, another PID namespace) whose host name is the same. */
const elsewhere: Place = { machine_id: 'f'.repeat(32), boot_id: '00000000-0000-4000-8000-000000000001', pid_ns: '4026531836' };

/** A tracker and code host that record what reaches them. */
function recordingHost() {
  const sent: string[] = [];
  return {
    sent,
    host: {
      kind: 'github' as const,
      fetch: async (key: string) => ({ key }),
      show: async (t: { key: string }, _app: unknown) => void sent.push(`show ${t.key}`),
      openPullRequest: async (req: { branch: string }) => (sent.push(`open ${req.branch}`), { number: 1, url: 'u', state: 'open' as const, branch: req.branch }),
      findPullRequest: async () => null,
      mystery: async () => 'unclassified',
    },
  };
}

describe('fleet leases and the fence on a real PostgreSQL', () => {
  it('same host name, another machine: a live holder whose pid means nothing here is never taken over while it renews; a frozen one only after the ttl', async () => {
    const url = await fleetDb();
    // A runs "elsewhere" under a pid that does not exist here; the old hostname-and-pid rule took it at once.
    const a = await daemon(url, 'a', elsewhere, { pid: 999_999, pidStart: '1' });
    const b = await daemon(url, 'b', placeOfThisProcess());
    expect(await a.c.acquire('7')).toBe('free');
    await b.c.refresh();
    expect(b.c.heldElsewhere('7')).toBe(a.me.id);
    // A keeps renewing (its heartbeat); B polls for three ttls and never gets it.
    const until = Date.now() + 3 * TTL;
    while (Date.now() < until) {
      await b.c.refresh();
      expect(await b.c.acquire('7')).toBeNull();
      await sleep(200);
    }
    expect(b.events().filter((e) => e.type === 'taken_over')).toEqual([]);
    expect(a.lost).toEqual([]);
  }, 30_000);

  it('a holder in this PID space whose process is gone is dead at once; elsewhere it takes its lease running out', async () => {
    const url = await fleetDb();
    const here = placeOfThisProcess();
    const ghost = await daemon(url, 'ghost', here, { pid: 999_999, pidStart: '1', heartbeat: false });
    const far = await daemon(url, 'far', elsewhere, { pid: 999_998, pidStart: '1', heartbeat: false });
    await ghost.c.acquire('1');
    await far.c.acquire('2');
    const b = await daemon(url, 'b', here);
    await b.c.refresh();
    const t = await b.c.acquire('1');
    expect(t).toMatchObject({ holder: ghost.me.id, local: true });
    expect(await b.c.acquire('2')).toBeNull(); // far's lease is still live, and far is not ours to check
    await sleep(TTL + 200);
    await b.c.refresh();
    expect(await b.c.acquire('2')).toMatchObject({ holder: far.me.id, local: false });
  }, 30_000);

  it('after a takeover the old holder sends nothing: tracker write, PR and push refused at the fence, its agent told to stop; a lease nobody took is renewed', async () => {
    const url = await fleetDb();
    const a = await daemon(url, 'a', elsewhere, { heartbeat: false });
    const b = await daemon(url, 'b', placeOfThisProcess());
    a.state.tickets['5'] = { key: '5', branch: 'swarm/5-x' } as never;
    expect(await a.c.acquire('5')).toBe('free');
    expect(await a.c.check('5', 'git push')).toBe('held');
    const { host, sent } = recordingHost();
    const tracker = fenceWrites(host, a.c);
    await tracker.show({ key: '5' } as never, {} as never);
    expect(sent).toEqual(['show 5']);

    // A freezes past the ttl; nobody takes it: the fence renews it (nobody else worked the ticket).
    await sleep(TTL + 300);
    expect(await a.c.check('5', 'git push')).toBe('held');

    // A freezes again; this time B takes it over.
    await sleep(TTL + 300);
    await b.c.refresh();
    expect(await b.c.acquire('5')).toMatchObject({ holder: a.me.id });
    await expect(tracker.show({ key: '5' } as never, {} as never)).rejects.toBeInstanceOf(FenceError);
    await expect(tracker.openPullRequest({ branch: 'swarm/5-x' } as never)).rejects.toThrow(/pull request for 5 not sent: this daemon no longer holds/);
    await expect(confirmFence(a.c, '5', 'git push')).rejects.toThrow(/git push for 5 not sent/);
    expect(sent).toEqual(['show 5']);
    expect(a.lost).toEqual(['5']); // its agent is stopped
    expect(a.c.owns('5')).toBe(false);
    expect(a.events().filter((e) => e.type === 'fenced').map((e) => [e.what, e.verdict])).toEqual([['tracker update', 'lost'], ['pull request', 'lost'], ['git push', 'lost']]);
    // Its records are refused too, in the same statement as the holder check.
    const rows = await new FleetDb(pools[0]!).writeTickets(a.me, [{ key: '5', record: { stale: true } }]);
    expect(rows).toEqual([]);
    // A method the fence does not know is refused rather than let through unfenced.
    expect(() => (tracker as unknown as { mystery(): unknown }).mystery()).toThrow(/does not know mystery\(\)/);
  }, 30_000);

  it('the database restarts after an outage longer than the ttl: no daemon takes another\'s lease before it could renew; the holder keeps it', async () => {
    const url = await fleetDb();
    const a = await daemon(url, 'a', elsewhere);
    const b = await daemon(url, 'b', placeOfThisProcess());
    await a.c.acquire('9');
    await postgres.server.stop();
    try {
      await sleep(TTL * 2);
      await b.c.refresh();
      expect(new PgFleetView(b.c).view().db.status).toBe('unreachable');
      // A's fence cannot confirm: publication waits (a write with `wait` keeps asking).
      expect(await a.c.check('9', 'git push')).toBe('unreachable');
      expect(a.c.owns('9')).toBe(true); // its agent runs on
    } finally {
      await postgres.server.start();
    }
    // Back: every lease has run out by the database's clock, but B may not take A's until it has been in
    // touch for a whole ttl, and the database itself refuses while it has been up for less than one.
    await b.c.refresh();
    expect(b.c.heldElsewhere('9')).toBe(a.me.id);
    expect(await b.c.acquire('9')).toBeNull();
    // A's heartbeat comes back within the ttl and keeps it.
    await sleep(TTL + 500);
    await b.c.refresh();
    expect(await b.c.acquire('9')).toBeNull();
    expect(a.c.holds('9')).toBe(true);
    expect(await a.c.check('9', 'git push')).toBe('held');
    expect(a.lost).toEqual([]);
  }, 60_000);
});
