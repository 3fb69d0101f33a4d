// Where the account record lives without a database: one small JSON file per Claude account in the user's
// state directory, `${XDG_STATE_HOME:-$HOME/.local/state}/swarm/accounts/<name>.json`, shared by every
// daemon of that user on this machine whatever repository it runs in. Reads need no lock; every update is
// a read-modify-write under a short-lived lock with atomic replacement (LockedJsonFile), so concurrent
// daemons never lose an update and never see a torn file. In fleet mode (state.url) the same AccountStore
// interface is implemented on the swarm_accounts table instead.
import { isAbsolute, join } from 'node:path';
import type { Env } from '../../config/fields.js';
import { SwarmError } from '../../errors.js';
import { LockedJsonFile } from '../../state/locked-file.js';
import { parseAccount, type AccountRecord } from '../../core/account-record.js';
import type { AccountStore } from '../../account/store.js';

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$/;

/** `${XDG_STATE_HOME}/swarm/accounts`, or `$HOME/.local/state/swarm/accounts` (XDG: a relative XDG_STATE_HOME is ignored). */
export function accountsDir(env: Env): string {
  const xdg = env.XDG_STATE_HOME?.trim();
  if (xdg && isAbsolute(xdg)) return join(xdg, 'swarm', 'accounts');
  const home = env.HOME?.trim() || env.USERPROFILE?.trim();
  if (!home) {
    throw new SwarmError('EACCOUNT', 'cannot place the shared Claude account file: neither XDG_STATE_HOME nor HOME is set (set one of them, or use state.url)', 2);
  }
  return join(home, '.local', 'state', 'swarm', 'accounts');
}

export function accountFile(name: string, env: Env): string {
  if (!SAFE_NAME.test(name)) {
    throw new SwarmError('EACCOUNT', `account name ${JSON.stringify(name)} cannot name a file (letters, digits and . _ @ + - only)`, 2);
  }
  return join(accountsDir(env), `${name}.json`);
}

export interface AccountFileStoreOptions {
  /** The environment that locates the state directory (XDG_STATE_HOME, HOME). */
  env: Env;
  /** Use this file instead (tests). */
  file?: string;
  /** How long an update waits for another daemon's lock (default 5 s). */
  lockTimeoutMs?: number;
  now?: () => number;
}

export class AccountFileStore implements AccountStore {
  readonly file: string;
  private readonly json: LockedJsonFile<AccountRecord>;

  constructor(
    readonly name: string,
    opts: AccountFileStoreOptions,
  ) {
    this.file = opts.file ?? accountFile(name, opts.env);
    this.json = new LockedJsonFile(this.file, {
      parse: (raw) => ({ ...parseAccount(raw, name), name }),
      lockTimeoutMs: opts.lockTimeoutMs,
      now: opts.now,
    });
  }

  read(): Promise<AccountRecord> {
    return Promise.resolve(this.json.read());
  }

  update(fn: (r: AccountRecord) => AccountRecord | undefined): Promise<AccountRecord> {
    return this.json.update((current) => {
      const next = fn(current);
      if (next === undefined || next === current) return undefined;
      // Whatever fn built, what is stored is a valid record of this account.
      return { ...parseAccount(next, this.name), name: this.name };
    });
  }
}
