// How a ticket read on its own (a webhook's targeted re-read) stands in for the poll listing (pure): the
// listing holds open tickets with every trigger label — GitHub: in this repository; Linear: of the team,
// in an eligible state or the running state. A ticket read by key outside that scope must never look like
// a candidate: reading a Linear identifier of another team answers that team's issue.
import type { Config } from '../config/types.js';
import type { Ticket } from '../tracker/types.js';
import { keyTeam, markStates } from '../config/tracker-facts.js';

const has = (t: Ticket, label: string) => t.labels.some((l) => l.toLowerCase() === label.toLowerCase());

/**
 * Whether a ticket read by key belongs to this daemon's scope: true/false, or null when that cannot be told
 * from the ticket (Linear with tracker.project set: the re-read does not carry the project) — then only a
 * full poll may decide.
 */
export function inScope(t: Ticket, config: Config): boolean | null {
  const scope = keyTeam(config.tracker);
  if (scope === null) return true; // GitHub reads issue N of this repository; local reads its folder
  if (scope.project !== null) return null;
  return scope.team !== null && t.identifier.toUpperCase().startsWith(`${scope.team.toUpperCase()}-`);
}

/** Whether the poll listing would include `t` (scope aside). */
export function wouldList(t: Ticket, config: Config): boolean {
  const tr = config.tracker;
  if (!tr.labels.every((l) => has(t, l))) return false;
  // Workflow states: listed in one swarm picks up from or its running state; labels: listed while open.
  if (markStates(tr) !== null) return t.phase === 'todo' || t.phase === 'ours';
  return t.open;
}
