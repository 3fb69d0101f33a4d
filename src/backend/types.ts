// One backend: every store the daemon keeps, chosen once at start-up (open.ts) — the embedded one (files in
// .swarm/ and the user's state directory, one daemon) or PostgreSQL (`state.url`, a fleet of daemons).
// The loop is handed the parts (store, leases, controls, view) and never asks which backend it runs on.
import type { StateStore } from '../state/ledger.js';
import type { Leases } from '../fleet/leases.js';
import type { ControlRelay } from '../fleet/control-relay.js';
import type { FleetViewSource } from '../fleet/view.js';
import type { AccountStore } from '../account/store.js';
import type { HintBus } from '../webhooks/bus.js';
import type { Logger } from '../log/logger.js';
import type { SwarmState } from '../core/types.js';
import type { FileStateStore } from './embedded/state-store.js';

/** Where the shared Claude account's record is kept. */
export interface AccountPlace {
  store: AccountStore;
  /** The account file (embedded), or null (the database). */
  file: string | null;
  /** Where, in words, for the account_joined event. */
  where: string;
}

export interface Backend {
  readonly kind: 'embedded' | 'postgres';
  /** The ticket records and the scope (pause, canary, breaker, today's totals). */
  store: StateStore;
  /** This daemon's claims on tickets (the embedded backend's are all its own). */
  leases: Leases;
  /** Operator requests passed to the daemon that holds a ticket. */
  controls: ControlRelay;
  /** The fleet, for status (null embedded). */
  view: FleetViewSource;
  /** The shared Claude account's store; its name is known once the login is (account/open.ts). */
  accounts(name: string): AccountPlace;
  /** The clock every deadline (pauses, retries, budget days) is kept on: the database's in a fleet. */
  now: () => number;
  /** A fleet's lease ttl, which every agent's lifeline keeps well within; null embedded. */
  leaseTtl: number | null;
  /** A fleet's webhook bus (a delivery to any daemon wakes them all); null embedded. */
  hintBus: ((onError: (message: string) => void) => Promise<HintBus>) | null;
  /** Push what is pending, leave the fleet, close the connections. Never throws. */
  close(): Promise<void>;
}

export interface OpenBackendOptions {
  env: Record<string, string | undefined>;
  /** `.swarm/state.json`, already loaded into `state`. */
  journal: FileStateStore;
  /** The state the loop will run on (a fleet folds the shared picture into it, and adopts the journal's newer records). */
  state: SwarmState;
  /** owner/name (GitHub), team key (Linear) or the folder name (local): names a fleet's scope. */
  repoSlug: string;
  repoDir: string;
  log: Logger;
  /** The account this daemon runs on (a fleet registers it). */
  account: string | null;
  /** Live figures for the fleet's daemon row: agents running, slots, draining. */
  live: () => { running: number; max_concurrent: number; draining: boolean };
}
