// An operator's release holds a ticket back although it still carries its label (see controls.ts). The
// hold ends when the label is applied afresh: a poll's listing (open tickets carrying the trigger labels)
// no longer shows the ticket, then shows it again. Seeing it gone is a note on the record; seeing it back
// lifts the hold through the lifecycle. One label removal and re-application inside one polling interval
// is not seen (`swarm retry` always lifts it).
import type { Ledger } from '../state/ledger.js';
import type { Ticket } from '../tracker/types.js';
import { liftHold } from '../core/lifecycle.js';

export async function checkHolds(ledger: Ledger, listed: readonly Ticket[], now: number): Promise<void> {
  const keys = new Set(listed.map((t) => t.key));
  for (const ts of Object.values(ledger.state.tickets)) {
    const hold = ts.status === 'released' ? ts.hold : null;
    if (!hold) continue;
    if (!keys.has(ts.key)) {
      if (!hold.unlisted) ledger.noteHold(ts.key, { ...hold, unlisted: true });
    } else if (hold.unlisted) {
      await ledger.commit(liftHold(ts, 'its label was applied afresh after an operator released it: it may be picked up again', now));
    }
  }
}
