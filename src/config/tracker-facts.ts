// What the rest of the house needs to know about a tracker configuration without asking its kind: whether
// swarm's marks are workflow states, how a fleet names the tracker's scope, how a ticket is named on the
// command line, who may vouch for a ticket again, and what a change of it rebuilds. Pure, types only.
import type { TrackerConfig, TrackerKind } from './types.js';

/**
 * Where swarm's marks are workflow states (Linear): the states it picks tickets up from, and the state a
 * failed ticket is moved to (null: a failed_label marks it). null where swarm's marks are labels.
 */
export function markStates(t: TrackerConfig): { eligible: readonly string[]; failed: string | null } | null {
  return t.kind === 'linear' ? { eligible: t.states, failed: t.failed_state } : null;
}

/** A tracker whose scope is not a repository's (Linear: its team and project): the fleet scope name; else null. */
export function ownScope(t: TrackerConfig): string | null {
  return t.kind === 'linear' ? `linear:${t.team ?? ''}${t.project ? `/${t.project}` : ''}` : null;
}

/** Whether the tickets are a GitHub repository's issues (so the repository must be known: tracker.repo or the origin). */
export function issuesOfRepo(t: TrackerConfig): boolean {
  return t.kind === 'github';
}

/** A ticket's team, when a key names its team (Linear's ENG-12): a key of another team is not this tracker's. */
export function keyTeam(t: TrackerConfig): { team: string | null; project: string | null } | null {
  return t.kind === 'linear' ? { team: t.team, project: t.project } : null;
}

/** How to name a ticket on the command line (a "not found" message's fix). */
export function ticketKeyHint(kind: TrackerKind): string {
  return kind === 'github' ? 'give the issue number, e.g. 12 or #12' : kind === 'linear' ? 'give the issue identifier, e.g. ENG-12' : 'give the ticket file name without .md';
}

/** Who may put a ticket held as untrusted back in the queue (`swarm status`, the console). */
export function retrustFix(t: TrackerConfig): string {
  const label = t.labels.join(', ');
  return t.kind === 'github'
    ? `a maintainer (someone with write access) removes and re-applies the ${label} label, after checking the ticket's text`
    : `a trusted user re-applies the ${label} label after checking the ticket's text`;
}

/**
 * What in `tracker:` needs new tracker objects when it changes (the rest is adopted through setConfig):
 * Linear resolves state and label ids at startup, so any change of it rebuilds the tracker; GitHub is
 * rebuilt for where and how it connects, the local tracker for its folder.
 */
export function trackerFingerprint(t: TrackerConfig): unknown {
  switch (t.kind) {
    case 'linear':
      return t;
    case 'github':
      return [t.kind, t.api_url, t.repo, t.token, t.app_id, t.private_key, t.installation_id, t.token_command];
    case 'local':
      return [t.kind, t.api_url, t.path];
  }
}
