// How a ticket read on its own (a webhook's targeted re-read) stands in for the poll listing (pure): the
// listing holds open tickets with every trigger label — GitHub: in this repository; Linear: of the team,
// in an eligible state or the running state. A ticket read by key outside that scope must never look like
// a candidate: reading a Linear identifier of another team answers that team's issue.
import type { Config } from '../config/types.js';
import type { Ticket } from '../tracker/types.js';

const has = (t: Ticket, label: string) => t.labels.some((l) => l.toLowerCase() === label.toLowerCase());

/**
 * Whether a ticket read by key belongs to this daemon's scope: true/false, or null when that cannot be told
 * from the ticket (Linear with tracker.project set: the re-read does not carry the project) — then only a
 * full poll may decide.
 */
export function inScope(t: Ticket, config: Config): boolean | null {
  const tr = config.tracker;
  if (tr.kind !== 'linear') return true; // GitHub reads issue N of this repository; local reads its folder
  if (tr.project !== null) return null;
  return tr.team !== null && t.identifier.toUpperCase().startsWith(`${tr.team.toUpperCase()}-`);
}

/** Whether the poll listing would include `t` (scope aside). */
export function wouldList(t: Ticket, config: Config): boolean {
  const tr = config.tracker;
  if (!tr.labels.every((l) => has(t, l))) return false;
  if (tr.kind === 'linear') return [...tr.states, tr.running_state].includes(t.state);
  return t.open;
}
