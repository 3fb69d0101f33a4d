// Steering a running agent from the console or the API: an operator's message goes into the agent's live
// session through its inbox (agent/inbox.ts) and is recorded as an event (the transcript shows it too, as
// the CLI echoes it). The message is the operator's own text — the HTTP layer only lets an authenticated
// caller reach this — so it goes to the agent unfenced, marked as the operator's.
import type { Ledger } from '../state/ledger.js';
import type { Logger } from '../log/logger.js';
import type { ControlResult } from '../core/controls.js';
import type { Running } from './dispatcher.js';

export function sendOperatorMessage(running: ReadonlyMap<string, Running>, ledger: Ledger, log: Logger, key: string, text: string): ControlResult {
  const ts = ledger.ticket(key);
  const who = ts?.identifier ?? key;
  const entry = running.get(key);
  const attempt = ts?.attempts.find((a) => a.outcome === 'running');
  if (!entry || !ts || !attempt) return { ok: false, message: `no agent of ${who} is running on this daemon; a message can only go to a running attempt` };
  if (entry.ac.signal.aborted) return { ok: false, message: `the agent of ${who} is being stopped` };
  if (!entry.inbox) return { ok: false, message: `the agent of ${who} has not started yet; try again in a moment` };
  const sent = entry.inbox.send(text);
  if (!sent.ok) return { ok: false, message: `${who}: ${sent.message}` };
  log.event({ type: 'operator_message', ticket: ts.identifier, key, attempt: attempt.number, text: text.trim() });
  return { ok: true, message: `delivered to attempt ${attempt.number} of ${who}: the agent reads it at its next turn` };
}
