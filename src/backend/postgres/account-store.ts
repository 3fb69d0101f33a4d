// Fleet mode's AccountStore: one row per Claude account in swarm_accounts (name, record, version), shared by
// every daemon on the database whatever scope it works on. An update reads the row and writes it back under a
// version check (one compare-and-set statement, no transaction held open); when another daemon wrote first
// the change is applied again to the newer record under the row's lock (FleetDb.lockedAccountUpdate), which
// always makes progress, so no daemon's update is lost however many write at once. Reads at a poll
// cost nothing: the poll's own snapshot statement carries the row (absorb), and a read right after it is
// served from there; any later read (right before a spawn) goes to the database.
import type { AccountStore } from '../../account/store.js';
import { emptyAccount, parseAccount, type AccountRecord } from '../../core/account-record.js';
import type { AccountRow, FleetDb } from './db.js';

/** A snapshot's row serves reads this soon after it arrived (the same poll); later ones ask the database. */
const SNAPSHOT_FRESH_MS = 250;

export class PgAccountStore implements AccountStore {
  private absorbed: { rec: AccountRecord; at: number } | null = null;

  constructor(
    private readonly db: Pick<FleetDb, 'readAccount' | 'writeAccount' | 'lockedAccountUpdate'>,
    readonly name: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The row as the poll's snapshot just read it (null: no row yet). */
  absorb(row: AccountRow | null): void {
    this.absorbed = { rec: this.parse(row?.record), at: this.now() };
  }

  async read(): Promise<AccountRecord> {
    const a = this.absorbed;
    this.absorbed = null;
    if (a && this.now() - a.at <= SNAPSHOT_FRESH_MS) return a.rec;
    return (await this.load()).rec;
  }

  async update(fn: (r: AccountRecord) => AccountRecord | undefined): Promise<AccountRecord> {
    const base = await this.load();
    const next = fn(base.rec);
    if (next === undefined || next === base.rec) return base.rec;
    const rec = this.parse(next);
    if ((await this.db.writeAccount(this.name, rec, base.version)) !== null) return rec;
    // Another daemon wrote the row first: apply the change to theirs, holding the row's lock.
    let out = rec;
    await this.db.lockedAccountUpdate(this.name, (raw) => {
      const current = raw === null ? emptyAccount(this.name) : this.parse(raw);
      const changed = fn(current);
      out = changed === undefined || changed === current ? current : this.parse(changed);
      return out === current ? undefined : out;
    });
    return out;
  }

  private async load(): Promise<{ rec: AccountRecord; version: number }> {
    const row = await this.db.readAccount(this.name);
    return row ? { rec: this.parse(row.record), version: Number(row.version) } : { rec: emptyAccount(this.name), version: 0 };
  }

  /** Whatever is stored (or about to be) is a valid record of this account. */
  private parse(raw: unknown): AccountRecord {
    return { ...parseAccount(raw, this.name), name: this.name };
  }
}
