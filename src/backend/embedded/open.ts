// The embedded backend: `.swarm/state.json` for the tickets, one file per Claude account in the user's
// state directory, and one daemon that owns every ticket.
import type { Backend } from '../types.js';
import type { FileStateStore } from './state-store.js';
import { AccountFileStore } from './account-store.js';
import { LocalLeases, NO_FLEET_VIEW, NO_RELAY } from './local-leases.js';

export function openEmbedded(store: FileStateStore, env: Record<string, string | undefined>): Backend {
  return {
    kind: 'embedded',
    store,
    leases: new LocalLeases(),
    controls: NO_RELAY,
    view: NO_FLEET_VIEW,
    accounts: (name) => {
      const fs = new AccountFileStore(name, { env });
      return { store: fs, file: fs.file, where: fs.file };
    },
    now: Date.now,
    leaseTtl: null,
    hintBus: null,
    close: async () => undefined,
  };
}
