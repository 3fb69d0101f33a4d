// The statements CLI commands send when no daemon runs in this clone: reading a scope's tickets, its live
// daemons and a ticket's lease (fleet controls), and copying an embedded state into the fleet in one
// transaction (`swarm state migrate`). The daemon's own statements stay in db.ts; every write here keeps
// its rules: a ticket row held by a live lease is never written by anyone but the holder, and every row
// written bumps its version, so a daemon's compare-and-set notices.
import type pg from 'pg';
import type { TicketRow } from './db.js';
import { withClient } from './with-client.js';

export interface LiveDaemon {
  id: string;
  host: string;
  pid: number;
}

export interface ImportInput {
  scope: string;
  /** Who copies (host:pid:start of the CLI process), recorded with the import. */
  by: string;
  /** What the copy comes from (host and state.json path): a second copy of it is recognised. */
  source: string;
  tickets: { key: string; record: unknown }[];
  /** The scope row to write, given the database's (null: none yet) and whether this source was copied before. */
  scope_row: (existing: unknown | null, copiedBefore: boolean) => unknown;
  force: boolean;
  /** Recorded in swarm_events with the import. */
  summary: unknown;
}

export type ImportResult =
  | { ok: true; overwritten: string[]; scopeExisted: boolean; copiedBefore: string | null }
  | { ok: false; leased: { key: string; holder: string }[]; existing: string[]; copiedBefore: string | null };

export class FleetAdmin {
  roundTrips = 0;

  constructor(readonly pool: pg.Pool) {}

  private async q<T extends pg.QueryResultRow>(text: string, values: unknown[] = [], client: pg.Pool | pg.PoolClient = this.pool): Promise<T[]> {
    this.roundTrips++;
    return (await client.query<T>(text, values)).rows;
  }

  async tickets(scope: string): Promise<TicketRow[]> {
    return this.q<TicketRow>('SELECT key, record, version, updated_at FROM swarm_tickets WHERE scope = $1 ORDER BY key', [scope]);
  }

  /** Daemons of the scope that are running: not stopped, and a heartbeat within `ttlMs`. */
  async liveDaemons(scope: string, ttlMs: number): Promise<LiveDaemon[]> {
    return this.q<LiveDaemon>(
      `SELECT id, host, pid FROM swarm_daemons
       WHERE scope = $1 AND stopped_at IS NULL AND heartbeat_at > now() - make_interval(secs => $2::double precision / 1000) ORDER BY started_at`,
      [scope, ttlMs],
    );
  }

  /** The live (unexpired) lease on `key`, or null. */
  async liveLease(scope: string, key: string): Promise<{ holder: string; expires_at: string } | null> {
    const rows = await this.q<{ holder: string; expires_at: string }>('SELECT holder, expires_at FROM swarm_leases WHERE scope = $1 AND key = $2 AND expires_at > now()', [scope, key]);
    return rows[0] ?? null;
  }

  /**
   * Copy ticket records and the scope row in one transaction, serialised with any other copy into the
   * same scope. Refused — nothing written — when a live daemon leases one of the tickets (even with
   * force), or, without force, when the database already has one of them or this source was copied before.
   */
  async importState(i: ImportInput): Promise<ImportResult> {
    return withClient(this.pool, async (client) => {
      await this.q('BEGIN', [], client);
      await this.q("SELECT pg_advisory_xact_lock(hashtext('swarm:import:' || $1))", [i.scope], client);
      const keys = i.tickets.map((t) => t.key);
      const leased = await this.q<{ key: string; holder: string }>('SELECT key, holder FROM swarm_leases WHERE scope = $1 AND key = ANY($2::text[]) AND expires_at > now() ORDER BY key', [i.scope, keys], client);
      const existing = (await this.q<{ key: string }>('SELECT key FROM swarm_tickets WHERE scope = $1 AND key = ANY($2::text[]) ORDER BY key', [i.scope, keys], client)).map((r) => r.key);
      const before = await this.q<{ at: string }>("SELECT at FROM swarm_events WHERE scope = $1 AND type = 'state_imported' AND data->>'source' = $2 ORDER BY id DESC LIMIT 1", [i.scope, i.source], client);
      const copiedBefore = before[0] ? new Date(before[0].at).toISOString() : null;
      if (leased.length > 0 || (!i.force && (existing.length > 0 || copiedBefore !== null))) {
        await this.q('ROLLBACK', [], client);
        return { ok: false, leased, existing, copiedBefore };
      }
      if (i.tickets.length > 0) {
        await this.q(
          `INSERT INTO swarm_tickets (scope, key, record, version, updated_at)
           SELECT $1, r.key, r.record, 1, now() FROM jsonb_to_recordset($2::jsonb) AS r(key text, record jsonb)
           ON CONFLICT (scope, key) DO UPDATE SET record = EXCLUDED.record, version = swarm_tickets.version + 1, updated_at = now()`,
          [i.scope, JSON.stringify(i.tickets)],
          client,
        );
      }
      const row = (await this.q<{ record: unknown }>('SELECT record FROM swarm_scopes WHERE scope = $1 FOR UPDATE', [i.scope], client))[0];
      const next = i.scope_row(row ? row.record : null, copiedBefore !== null);
      await this.q(
        `INSERT INTO swarm_scopes (scope, record, version) VALUES ($1, $2, 1)
         ON CONFLICT (scope) DO UPDATE SET record = EXCLUDED.record, version = swarm_scopes.version + 1, updated_at = now()`,
        [i.scope, JSON.stringify(next)],
        client,
      );
      await this.q("INSERT INTO swarm_events (scope, daemon, type, data) VALUES ($1, $2, 'state_imported', $3)", [i.scope, i.by, JSON.stringify({ source: i.source, summary: i.summary })], client);
      await this.q('COMMIT', [], client);
      return { ok: true, overwritten: existing, scopeExisted: row !== undefined, copiedBefore };
    });
  }
}
