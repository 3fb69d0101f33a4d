// Ticket arguments as operators type them: "12", "#12", "ENG-12", "eng-12", a local file stem. One
// normalisation for every command (explain, logs, retry, release) and the HTTP API.
import type { SwarmState, TicketState } from './types.js';

/** The tracker key to look up: a leading "#" dropped, whitespace trimmed. */
export function ticketArg(input: string): string {
  return input.trim().replace(/^#/, '');
}

/** The state entry an operator meant, by key or identifier (case-insensitive), or null. */
export function findTicketState(state: SwarmState, input: string): TicketState | null {
  const arg = ticketArg(input);
  if (state.tickets[arg]) return state.tickets[arg]!;
  const lower = arg.toLowerCase();
  for (const t of Object.values(state.tickets)) {
    if (t.key.toLowerCase() === lower || ticketArg(t.identifier).toLowerCase() === lower) return t;
  }
  return null;
}
