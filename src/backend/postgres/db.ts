// Every statement fleet mode sends to PostgreSQL, and nothing else: the daemon's one-round-trip poll
// (heartbeat, lease renewal and the whole shared picture in one statement), leases taken by a single-
// statement compare-and-set, ticket rows written only while their lease is held, the scope row merged under
// a version check, operator requests. Times are the database's (now()), so machines' clocks never race.
import type pg from 'pg';
import { withClient } from './with-client.js';
import type { Place } from '../../fleet/identity.js';

export interface LeaseRow {
  key: string;
  holder: string;
  acquired_at: string;
  renewed_at: string;
  expires_at: string;
  agent_pid: number | null;
  agent_pid_start: string | null;
}

export interface DaemonRow extends Partial<Place> {
  id: string;
  host: string;
  pid: number;
  pid_start: string | null;
  started_at: string;
  heartbeat_at: string;
  max_concurrent: number;
  running: number;
  draining: boolean;
  repo_dir: string | null;
  account: string | null;
  stopped_at: string | null;
}

export interface TicketRow {
  key: string;
  record: unknown;
  version: number;
  updated_at: string;
}

export interface ControlRow {
  id: number;
  key: string;
  kind: string;
  requested_by: string;
  done_by: string | null;
  result: unknown;
}

/** The lease a takeover replaces, with where its holder ran (null fields: unknown, e.g. an older swarm). */
export interface PrevHolder extends Omit<LeaseRow, 'key'>, Partial<Place> {
  expired: boolean;
}

export interface Snapshot {
  now: string;
  /** Keys whose lease this daemon renewed just now. */
  held: string[];
  scope: { record: unknown; version: number } | null;
  tickets: TicketRow[];
  leases: LeaseRow[];
  daemons: DaemonRow[];
  controls: ControlRow[];
  /** The shared Claude account's row (Me.account), so an idle poll needs no second round trip for it. */
  account?: AccountRow | null;
}

export interface AccountRow {
  record: unknown;
  version: number;
}

export interface Me {
  scope: string;
  id: string;
  /** The Claude account this daemon shares (swarm_accounts.name), read with every poll. */
  account?: string | null;
}

/** The pool plus a count of round trips (for /metrics and the bench). */
export class FleetDb {
  roundTrips = 0;

  constructor(readonly pool: pg.Pool) {}

  private async q<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
    this.roundTrips++;
    return (await this.pool.query<T>(text, values)).rows;
  }

  async register(me: Me, d: { host: string; pid: number; pid_start: string | null; started_at: string; max_concurrent: number; repo_dir: string; account: string | null; instance: string; place: Place }): Promise<void> {
    await this.q(
      `INSERT INTO swarm_daemons (id, scope, host, pid, pid_start, started_at, heartbeat_at, max_concurrent, repo_dir, account, instance, machine_id, boot_id, pid_ns)
       VALUES ($1, $2, $3, $4, $5, $6, now(), $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), stopped_at = NULL, max_concurrent = EXCLUDED.max_concurrent`,
      [me.id, me.scope, d.host, d.pid, d.pid_start, d.started_at, d.max_concurrent, d.repo_dir, d.account, d.instance, d.place.machine_id, d.place.boot_id, d.place.pid_ns],
    );
  }

  async stopped(me: Me): Promise<void> {
    await this.q('UPDATE swarm_daemons SET stopped_at = now(), running = 0 WHERE id = $1', [me.id]);
  }

  /**
   * The poll, in one round trip: this daemon's heartbeat, its leases renewed for `ttlMs`, and everything
   * shared — the scope row, tickets changed since `since` (null: all), every lease, the daemons, and the
   * open operator requests.
   */
  async snapshot(me: Me, ttlMs: number, since: string | null, live: { running: number; max_concurrent: number; draining: boolean }): Promise<Snapshot> {
    const rows = await this.q<{ snap: Snapshot }>(
      `WITH hb AS (
         UPDATE swarm_daemons SET heartbeat_at = now(), running = $4, max_concurrent = $5, draining = $6 WHERE id = $2 RETURNING 1
       ), renewed AS (
         UPDATE swarm_leases SET renewed_at = now(), expires_at = now() + make_interval(secs => $3::double precision / 1000)
         WHERE scope = $1 AND holder = $2 RETURNING key
       )
       SELECT json_build_object(
         'now', now(),
         'held', (SELECT coalesce(json_agg(key), '[]') FROM renewed),
         'scope', (SELECT json_build_object('record', record, 'version', version) FROM swarm_scopes WHERE scope = $1),
         'tickets', (SELECT coalesce(json_agg(json_build_object('key', key, 'record', record, 'version', version, 'updated_at', updated_at)), '[]')
                     FROM swarm_tickets WHERE scope = $1 AND ($7::timestamptz IS NULL OR updated_at > $7::timestamptz)),
         'leases', (SELECT coalesce(json_agg(l), '[]') FROM (SELECT key, holder, acquired_at, renewed_at, expires_at, agent_pid, agent_pid_start FROM swarm_leases WHERE scope = $1) l),
         'daemons', (SELECT coalesce(json_agg(d), '[]') FROM (SELECT id, host, pid, pid_start, started_at, heartbeat_at, max_concurrent, running, draining, repo_dir, account, stopped_at, machine_id, boot_id, pid_ns
                     FROM swarm_daemons WHERE scope = $1 AND (stopped_at IS NULL OR stopped_at > now() - interval '10 minutes') ORDER BY started_at) d),
         'controls', (SELECT coalesce(json_agg(c), '[]') FROM (SELECT id, key, kind, requested_by, done_by, result FROM swarm_controls WHERE scope = $1 AND done_at IS NULL ORDER BY id) c),
         'account', (SELECT json_build_object('record', record, 'version', version) FROM swarm_accounts WHERE name = $8),
         'hb', (SELECT count(*) FROM hb)
       ) AS snap`,
      [me.scope, me.id, ttlMs, live.running, live.max_concurrent, live.draining, since, me.account ?? null],
    );
    return rows[0]!.snap;
  }

  /** Renew this daemon's leases only (between polls); returns the keys still held. */
  async renew(me: Me, ttlMs: number): Promise<string[]> {
    const rows = await this.q<{ key: string }>(
      `UPDATE swarm_leases SET renewed_at = now(), expires_at = now() + make_interval(secs => $3::double precision / 1000)
       WHERE scope = $1 AND holder = $2 RETURNING key`,
      [me.scope, me.id, ttlMs],
    );
    return rows.map((r) => r.key);
  }

  /**
   * Take the lease on `key` in one compare-and-set: granted when nobody holds it, when this daemon (or
   * `also`, a dead predecessor of ours in this PID space) holds it, or when its lease expired — unless
   * `takeExpired` is false, or the database itself restarted less than a ttl ago and the holder has not
   * renewed since (a daemon cut off by the outage must get a full ttl to come back before anyone takes its
   * tickets). Two daemons racing for it: the row lock of ON CONFLICT DO UPDATE makes the second re-check
   * the WHERE against the first's row, so exactly one wins. Returns the previous holder's row, with where
   * it ran (for a takeover; this daemon's own expired lease too), or null when refused.
   */
  async acquire(me: Me, key: string, ttlMs: number, opts: { also?: string | null; takeExpired?: boolean } = {}): Promise<{ prev: PrevHolder | null } | null> {
    const rows = await this.q<{ got: string | null; prev: PrevHolder | null }>(
      `WITH cur AS (
         SELECT l.holder, l.acquired_at, l.renewed_at, l.expires_at, l.agent_pid, l.agent_pid_start, l.expires_at < now() AS expired,
                d.machine_id, d.boot_id, d.pid_ns
         FROM swarm_leases l LEFT JOIN swarm_daemons d ON d.id = l.holder WHERE l.scope = $1 AND l.key = $2
       ), up AS (
         INSERT INTO swarm_leases (scope, key, holder, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4::double precision / 1000))
         ON CONFLICT (scope, key) DO UPDATE
           SET holder = EXCLUDED.holder, acquired_at = now(), renewed_at = now(), expires_at = EXCLUDED.expires_at, agent_pid = NULL, agent_pid_start = NULL
           WHERE swarm_leases.holder = EXCLUDED.holder OR swarm_leases.holder = $5
              OR ($6 AND swarm_leases.expires_at < now()
                  AND (swarm_leases.renewed_at > pg_postmaster_start_time() OR pg_postmaster_start_time() < now() - make_interval(secs => $4::double precision / 1000)))
         RETURNING holder
       )
       SELECT (SELECT holder FROM up) AS got, (SELECT row_to_json(cur) FROM cur) AS prev`,
      [me.scope, key, me.id, ttlMs, opts.also ?? null, opts.takeExpired ?? true],
    );
    const r = rows[0];
    if (!r || r.got !== me.id) return null;
    return { prev: r.prev };
  }

  /**
   * The fence before an irreversible external write for `key` (a push, a PR, a tracker write), in one round
   * trip: true when this daemon still holds the lease, which is then renewed for `ttlMs` from now — under the
   * row lock, so no takeover can slip in between, and the write that follows has the whole ttl as its margin.
   * A lease of ours that ran out while nobody took it (a freeze, a database outage) is still ours: nobody
   * else worked the ticket. False: another daemon holds it now (or nobody does); write nothing.
   */
  async fence(me: Me, key: string, ttlMs: number): Promise<boolean> {
    const rows = await this.q<{ ok: number }>(
      `UPDATE swarm_leases SET renewed_at = now(), expires_at = now() + make_interval(secs => $4::double precision / 1000)
       WHERE scope = $1 AND key = $2 AND holder = $3 RETURNING 1 AS ok`,
      [me.scope, key, me.id, ttlMs],
    );
    return rows.length === 1;
  }

  async release(me: Me, key: string): Promise<void> {
    await this.q('DELETE FROM swarm_leases WHERE scope = $1 AND key = $2 AND holder = $3', [me.scope, key, me.id]);
  }

  async agentStarted(me: Me, key: string, pid: number, pidStart: string | null): Promise<void> {
    await this.q('UPDATE swarm_leases SET agent_pid = $4, agent_pid_start = $5 WHERE scope = $1 AND key = $2 AND holder = $3', [me.scope, key, me.id, pid, pidStart]);
  }

  /**
   * Write ticket records, each only while this daemon holds its lease (checked in the same statement, under
   * the lease row's lock: a takeover commits before or after, never in between). A lease of ours that ran
   * out while nobody took it still counts: nobody else worked the ticket. Returns the keys written (a key
   * missing from the answer: another daemon holds it, and nothing was written for it).
   */
  async writeTickets(me: Me, records: { key: string; record: unknown }[]): Promise<{ key: string; version: number }[]> {
    if (records.length === 0) return [];
    return this.q<{ key: string; version: number }>(
      `INSERT INTO swarm_tickets (scope, key, record, version, updated_at)
       SELECT $1, r.key, r.record, 1, now() FROM jsonb_to_recordset($2::jsonb) AS r(key text, record jsonb)
       WHERE EXISTS (SELECT 1 FROM swarm_leases l WHERE l.scope = $1 AND l.key = r.key AND l.holder = $3 FOR SHARE)
       ON CONFLICT (scope, key) DO UPDATE SET record = EXCLUDED.record, version = swarm_tickets.version + 1, updated_at = now()
       RETURNING key, version`,
      [me.scope, JSON.stringify(records), me.id],
    );
  }

  /** The scope row if its version is still `expected` (0: not created yet); null when someone wrote it first. */
  async writeScope(me: Me, record: unknown, expected: number): Promise<number | null> {
    const rows = await this.q<{ version: number }>(
      expected === 0
        ? `INSERT INTO swarm_scopes (scope, record, version) VALUES ($1, $2, 1) ON CONFLICT (scope) DO NOTHING RETURNING version`
        : `UPDATE swarm_scopes SET record = $2, version = version + 1, updated_at = now() WHERE scope = $1 AND version = $3 RETURNING version`,
      expected === 0 ? [me.scope, JSON.stringify(record)] : [me.scope, JSON.stringify(record), expected],
    );
    return rows[0]?.version ?? null;
  }

  async readScope(me: Me): Promise<{ record: unknown; version: number } | null> {
    const rows = await this.q<{ record: unknown; version: number }>('SELECT record, version FROM swarm_scopes WHERE scope = $1', [me.scope]);
    return rows[0] ?? null;
  }

  async readAccount(name: string): Promise<AccountRow | null> {
    const rows = await this.q<AccountRow>('SELECT record, version FROM swarm_accounts WHERE name = $1', [name]);
    return rows[0] ?? null;
  }

  /** The account row if its version is still `expected` (0: not created yet); null when another daemon wrote it first. */
  async writeAccount(name: string, record: unknown, expected: number): Promise<number | null> {
    const rows = await this.q<{ version: number }>(
      expected === 0
        ? `INSERT INTO swarm_accounts (name, record, version) VALUES ($1, $2, 1) ON CONFLICT (name) DO NOTHING RETURNING version`
        : `UPDATE swarm_accounts SET record = $2, version = version + 1, updated_at = now() WHERE name = $1 AND version = $3 RETURNING version`,
      expected === 0 ? [name, JSON.stringify(record)] : [name, JSON.stringify(record), expected],
    );
    return rows[0] ? Number(rows[0].version) : null;
  }

  /**
   * Change the account row under its row lock, in one transaction: every caller makes progress however
   * many daemons write at once (the compare-and-set of writeAccount can keep losing). `fn` gets the stored
   * record (null: no row yet) and returns the new one, or undefined for no change. Returns the row as left.
   */
  async lockedAccountUpdate(name: string, fn: (record: unknown) => unknown): Promise<AccountRow> {
    return withClient(this.pool, async (client) => {
      const q = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) => {
        this.roundTrips++;
        return (await client.query<T>(text, values)).rows;
      };
      await q('BEGIN');
      // Waits for a concurrent first insert to commit, then finds the row there.
      await q("INSERT INTO swarm_accounts (name, record, version) VALUES ($1, 'null'::jsonb, 0) ON CONFLICT (name) DO NOTHING", [name]);
      const row = (await q<AccountRow>('SELECT record, version FROM swarm_accounts WHERE name = $1 FOR UPDATE', [name]))[0]!;
      const next = fn(row.record);
      if (next === undefined) {
        await q('COMMIT');
        return { record: row.record, version: Number(row.version) };
      }
      const done = (await q<{ version: number }>('UPDATE swarm_accounts SET record = $2, version = version + 1, updated_at = now() WHERE name = $1 RETURNING version', [name, JSON.stringify(next)]))[0]!;
      await q('COMMIT');
      return { record: next, version: Number(done.version) };
    });
  }

  async requestControl(me: Me, key: string, kind: string): Promise<number> {
    const rows = await this.q<{ id: number }>('INSERT INTO swarm_controls (scope, key, kind, requested_by) VALUES ($1, $2, $3, $4) RETURNING id', [me.scope, key, kind, me.id]);
    return Number(rows[0]!.id);
  }

  async answerControl(me: Me, id: number, result: unknown): Promise<void> {
    await this.q('UPDATE swarm_controls SET done_by = $2, done_at = now(), result = $3 WHERE id = $1 AND done_at IS NULL', [id, me.id, JSON.stringify(result)]);
  }

  async controlAnswer(id: number): Promise<ControlRow | null> {
    const rows = await this.q<ControlRow>('SELECT id, key, kind, requested_by, done_by, result FROM swarm_controls WHERE id = $1 AND done_at IS NOT NULL', [id]);
    return rows[0] ?? null;
  }
}
