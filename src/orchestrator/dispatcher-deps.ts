// What the dispatcher and the follow-up starter it hands work to are given by the loop.
import type { Ledger } from '../state/ledger.js';
import type { AccountLink } from './account-link.js';
import type { Alarm } from './alarm.js';
import type { TrackerSync } from './sync.js';
import type { Runtime, Settings } from './runtime.js';

export interface DispatcherDeps {
  rt: Runtime;
  ledger: Ledger;
  sync: TrackerSync;
  settings: Settings;
  alarm: Alarm;
  /** The shared Claude account (null: none, e.g. in-process tests). */
  account: AccountLink | null;
  /** What a ticket still waits for before its next attempt (verification: a reverted ticket's revert), or null. */
  waitsFor?: (key: string) => string | null;
}
