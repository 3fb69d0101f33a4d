// PURE decisions for `swarm gc` and the daemon's daily sweep: which worktrees (and local branches) may go,
// which must stay and why, and which transcripts are past their retention. The facts (ticket open?, PR
// state, unpushed commits, uncommitted files, busy?) are gathered by gc.ts — only for folders swarm marked
// as its own in this repository's namespace; nothing here touches git, the tracker or the clock.

export type PrFact = { state: 'open' | 'closed' | 'merged'; url: string } | null | 'unknown';
export type TicketFact = 'open' | 'closed' | 'unknown';

export interface GcCandidate {
  /** Worktree directory (may not exist any more: then only the branch is at stake). */
  path: string;
  branch: string | null;
  /** The state's ticket key for this branch, when swarm knows it. */
  ticket: string | null;
  /** Git lists it but its directory is gone. */
  prunable: boolean;
  /** A marked directory in the namespace that git does not know (a half-created worktree, or one whose repository moved). */
  unregistered: boolean;
  /** The directory exists. */
  exists: boolean;
  ticketFact: TicketFact;
  pr: PrFact;
  /** Commits on the branch that no remote has. */
  unpushed: number;
  /** Files no commit holds (modified, staged, untracked; for a folder git does not know: every entry). */
  dirty: number;
  /** A daemon works on this ticket right now (or an agent process of a crashed one still runs there). */
  busy: string | null;
}

export type GcDecision =
  | { action: 'remove'; reason: string; deleteBranch: boolean }
  | { action: 'keep'; reason: string; finished: boolean };

export interface GcPlanOptions {
  force: boolean;
}

/** Why this ticket's work is finished, or null while it is not. */
export function finishedWhy(c: Pick<GcCandidate, 'pr' | 'ticketFact'>): string | null {
  if (c.pr !== null && c.pr !== 'unknown' && c.pr.state === 'merged') return `PR merged (${c.pr.url})`;
  if (c.pr !== null && c.pr !== 'unknown' && c.pr.state === 'closed') return `PR closed (${c.pr.url})`;
  if (c.ticketFact === 'closed') return 'ticket closed';
  return null;
}

export function decide(c: GcCandidate, opts: GcPlanOptions): GcDecision {
  if (c.busy) return { action: 'keep', reason: c.busy, finished: false };
  if (c.prunable) return { action: 'remove', reason: 'its directory is gone (stale git metadata)', deleteBranch: false };
  const why = finishedWhy(c);
  if (why === null) {
    if (c.unregistered && c.ticket === null) {
      if (c.dirty > 0 && !opts.force) return { action: 'keep', reason: `a worktree folder git does not know, holding ${c.dirty} file(s); use --force to delete it`, finished: true };
      return { action: 'remove', reason: 'half-created worktree directory that git does not know', deleteBranch: false };
    }
    const open = c.pr !== null && c.pr !== 'unknown' ? `PR open (${c.pr.url})` : c.pr === 'unknown' || c.ticketFact === 'unknown' ? 'could not check the ticket/PR' : 'ticket still open';
    return { action: 'keep', reason: open, finished: false };
  }
  if (c.dirty > 0 && !opts.force) {
    return { action: 'keep', reason: `${why}, but its worktree holds ${c.dirty} uncommitted or untracked file(s); use --force to delete them`, finished: true };
  }
  if (c.unpushed > 0 && !opts.force) {
    return { action: 'keep', reason: `${why}, but ${c.branch ?? 'its branch'} has ${c.unpushed} unpushed commit(s); use --force to delete them`, finished: true };
  }
  const forced = [c.unpushed > 0 ? `${c.unpushed} unpushed commit(s)` : '', c.dirty > 0 ? `${c.dirty} uncommitted file(s)` : ''].filter(Boolean).join(' and ');
  return { action: 'remove', reason: why + (forced ? ` (--force: ${forced} deleted)` : ''), deleteBranch: c.branch !== null };
}

export interface TranscriptFile {
  path: string;
  mtimeMs: number;
  bytes: number;
}

/** Transcripts older than `days` (by last write), except ones an agent is writing now. */
export function expiredTranscripts(files: readonly TranscriptFile[], now: number, days: number, active: ReadonlySet<string>): TranscriptFile[] {
  const cutoff = now - days * 24 * 60 * 60 * 1000;
  return files.filter((f) => f.mtimeMs < cutoff && !active.has(f.path));
}
