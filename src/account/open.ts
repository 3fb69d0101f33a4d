// Joining the shared Claude account at start-up: name it (agent.account, else derived from the login the
// agent uses), pick where its record lives (the user's state directory, or the fleet database with
// state.url), join it as a member and keep the membership alive. Used by `swarm start` only.
import { hostname } from 'node:os';
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { FleetDb } from '../fleet/db.js';
import { processStartTime } from '../agent/procs.js';
import { daemonId } from '../fleet/identity.js';
import { deriveAccount } from './name.js';
import { AccountFileStore, type AccountStore } from './file-store.js';
import { PgAccountStore } from './pg-store.js';
import { SharedAccount } from './shared.js';

export interface OpenedAccount {
  shared: SharedAccount;
  /** The account file, or null in fleet mode. */
  file: string | null;
  /** Where the name came from ("agent.account", "ANTHROPIC_API_KEY", "login in …"). */
  from: string;
  /** Fleet mode: the store to hand each poll's snapshot row. */
  pg: PgAccountStore | null;
}

/** The account's name for a config and environment, before anything is opened (fleet mode registers it). */
export function accountFor(config: Config, env: Record<string, string | undefined>): { name: string; from: string } {
  // What the agent authenticates with: the daemon's environment as agent.env completes it.
  return deriveAccount({ configured: config.agent.account, env: { ...env, ...config.agent.env } });
}

export async function openAccount(o: { config: Config; env: Record<string, string | undefined>; repo: string; log: Logger; db: FleetDb | null }): Promise<OpenedAccount> {
  const { name, from } = accountFor(o.config, o.env);
  let store: AccountStore;
  let file: string | null = null;
  let pg: PgAccountStore | null = null;
  if (o.db) {
    store = pg = new PgAccountStore(o.db, name);
  } else {
    const fs = new AccountFileStore(name, { env: o.env });
    store = fs;
    file = fs.file;
  }
  const id = daemonId(hostname(), process.pid, processStartTime(process.pid));
  const shared = new SharedAccount({ store, self: { id, host: hostname(), pid: process.pid, repo: o.repo }, onError: (error) => o.log.event({ type: 'account_error', error }) });
  await shared.start();
  const others = Object.keys(shared.record.members).filter((m) => m !== id).length;
  o.log.event({ type: 'account_joined', account: name, from, where: file ?? 'the fleet database', others });
  return { shared, file, from, pg };
}
