// What the shared Claude account (shared.ts) needs from wherever its record is kept: the embedded backend
// keeps it in a file per account in the user's state directory, the PostgreSQL backend in swarm_accounts.
import type { AccountRecord } from '../core/account-record.js';

/** One account's shared record, wherever it is kept. */
export interface AccountStore {
  readonly name: string;
  /** The current record (an empty one when there is none yet). */
  read(): Promise<AccountRecord>;
  /**
   * Read-modify-write, atomic against every other daemon on the account. `fn` must be plain computation
   * (it may run again in a database implementation); returning undefined or the record it was given
   * means "no change" and writes nothing. Resolves with the record as stored afterwards.
   */
  update(fn: (r: AccountRecord) => AccountRecord | undefined): Promise<AccountRecord>;
}
