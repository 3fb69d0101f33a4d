// The shared account as a command outside the daemon sees it (`swarm status`, `swarm explain`): the record
// the daemon last read (its report, daemon.json), read again from the account file when there is one (no lock is
// needed to read it), so the figures are as fresh as any daemon's. Fleet mode has no file: the daemon's view.
import { readFileSync } from 'node:fs';
import type { LiveView } from '../core/types.js';
import type { AccountView } from '../core/account-policy.js';
import { parseAccount } from '../core/account-record.js';

export function seenAccount(state: Pick<LiveView, 'account'>): AccountView | null {
  const a = state.account;
  if (!a) return null;
  let record = a.record;
  if (a.file) {
    try {
      record = { ...parseAccount(JSON.parse(readFileSync(a.file, 'utf8')), a.record.name), name: a.record.name };
    } catch {
      // gone or being replaced: the daemon's last view is the best there is
    }
  }
  return { record, self: a.self };
}
