// Where a ticket stands in swarm's lifecycle as its tracker shows it (Ticket.phase), worked out by each
// adapter when it normalises a ticket, so the rules ask "is it waiting to be picked up?" rather than which
// label or workflow state means that on this tracker. Pure; the marks come from the configuration.
import type { LinearKeys } from '../config/types.js';
import type { TicketPhase } from './types.js';

/** swarm's labels (GitHub, local files): running_label, review_label, failed_label. */
export interface LabelMarks {
  running_label: string;
  review_label: string;
  failed_label: string;
}

/**
 * Trackers that mark with labels: closed when the ticket is; else failed, review or ours by swarm's label
 * (compared case-insensitively, as GitHub matches label names), in that order; else todo.
 */
export function labelPhase(t: { open: boolean; labels: readonly string[] }, marks: LabelMarks): TicketPhase {
  if (!t.open) return 'closed';
  const labels = new Set(t.labels.map((l) => l.toLowerCase()));
  if (labels.has(marks.failed_label.toLowerCase())) return 'failed';
  if (labels.has(marks.review_label.toLowerCase())) return 'review';
  if (labels.has(marks.running_label.toLowerCase())) return 'ours';
  return 'todo';
}

/**
 * Trackers that mark with workflow states (Linear, names compared exactly as Linear's filter does): closed
 * when the state's type is completed or canceled; tracker.failed_state → failed; one of tracker.states →
 * todo; running_state → ours; review_state → review; any other state → other.
 */
export function statePhase(t: { open: boolean; state: string }, states: Pick<LinearKeys, 'states' | 'running_state' | 'review_state' | 'failed_state'>): TicketPhase {
  if (!t.open) return 'closed';
  if (states.failed_state !== null && t.state === states.failed_state) return 'failed';
  if (states.states.includes(t.state)) return 'todo';
  if (t.state === states.running_state) return 'ours';
  if (t.state === states.review_state) return 'review';
  return 'other';
}
