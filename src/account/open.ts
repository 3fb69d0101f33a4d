// Joining the shared Claude account at start-up: name it (agent.account, else derived from the login the
// agent uses), take its store from the backend (the user's state directory, or the fleet database with
// state.url), join it as a member and keep the membership alive. Used by `swarm start` only.
import { hostname } from 'node:os';
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { processStartTime } from '../agent/procs.js';
import { daemonId } from '../fleet/identity.js';
import { deriveAccount } from './name.js';
import type { AccountStore } from './store.js';
import { SharedAccount } from './shared.js';

export interface OpenedAccount {
  shared: SharedAccount;
  /** The account file, or null in fleet mode. */
  file: string | null;
  /** Where the name came from ("agent.account", "ANTHROPIC_API_KEY", "login in …"). */
  from: string;
}

/** Where an account's record is kept (the backend's `accounts`): the store, the file if any, and where in words. */
export type AccountPlacer = (name: string) => { store: AccountStore; file: string | null; where: string };

/** The account's name for a config and environment, before anything is opened (fleet mode registers it). */
export function accountFor(config: Config, env: Record<string, string | undefined>): { name: string; from: string } {
  // What the agent authenticates with: the daemon's environment as agent.env completes it.
  return deriveAccount({ configured: config.agent.account, env: { ...env, ...config.agent.env } });
}

export async function openAccount(o: { config: Config; env: Record<string, string | undefined>; repo: string; log: Logger; accounts: AccountPlacer }): Promise<OpenedAccount> {
  const { name, from } = accountFor(o.config, o.env);
  const { store, file, where } = o.accounts(name);
  const id = daemonId(hostname(), process.pid, processStartTime(process.pid));
  const shared = new SharedAccount({ store, self: { id, host: hostname(), pid: process.pid, repo: o.repo }, onError: (error) => o.log.event({ type: 'account_error', error }) });
  await shared.start();
  const others = Object.keys(shared.record.members).filter((m) => m !== id).length;
  o.log.event({ type: 'account_joined', account: name, from, where, others });
  return { shared, file, from };
}
