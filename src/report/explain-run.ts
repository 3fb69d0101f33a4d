// `swarm explain` from its sources: read the ticket fresh from the tracker, then the same report whoever
// asks — the command on its own (its WORKFLOW.md, its tracker token), or the running daemon for the
// command over its control socket (the daemon's configuration in force, the last good one while the file
// is broken, and its own tracker credentials, so no shell needs the token to ask).
import type { Workflow } from '../config/types.js';
import type { ViewedState } from '../core/types.js';
import type { CodeHost, Ticket, Tracker } from '../tracker/types.js';
import type { AccountView } from '../core/account-policy.js';
import { findTicketState, ticketArg } from '../core/ticket-keys.js';
import { branchName } from '../workspace/naming.js';
import { explain, type ExplainReport } from './explain.js';
import { TrackerError } from '../errors.js';
import { ticketKeyHint } from '../config/tracker-facts.js';

export interface ExplainSources {
  wf: Workflow;
  svc: { tracker: Tracker; codeHost: CodeHost; repoSlug: string };
  state: ViewedState;
  daemon: { running: boolean; pid: number | null };
  /** Keys with a live agent. */
  running: ReadonlySet<string>;
  account: AccountView | null;
  now: number;
}

/** The report, or why the ticket was not found (a sentence with the fix). */
export async function explainTicket(input: string, src: ExplainSources): Promise<{ report: ExplainReport } | { notFound: string }> {
  const { wf, svc, state } = src;
  const known = findTicketState(state, input);
  const key = known?.key ?? ticketArg(input);
  let ticket: Ticket | null;
  try {
    ticket = key === '' ? null : await svc.tracker.fetch(key);
  } catch (err) {
    if (err instanceof TrackerError && err.kind === 'not_found') ticket = null;
    else throw err;
  }
  if (!ticket) {
    const kind = wf.config.tracker.kind;
    const folder = wf.config.tracker.path;
    const where = folder !== undefined ? `in ${folder}` : `in the ${kind} tracker (${svc.repoSlug})`;
    const hint = ticketKeyHint(kind);
    return { notFound: `ticket "${input}" was not found ${where}: ${hint}` };
  }
  const branch = state.tickets[ticket.key]?.branch || branchName(wf.config.workspace.branch_prefix, ticket);
  const report = explain({
    ticket,
    config: wf.config,
    state,
    now: src.now,
    daemon: src.daemon,
    running: src.running,
    trust: await svc.tracker.trust(ticket).catch((err: Error) => ({ error: err.message })),
    pr: svc.codeHost.kind === 'none' ? null : await svc.codeHost.findPullRequest(branch).catch((err: Error) => ({ error: err.message })),
    codeHost: svc.codeHost.kind,
    branch,
    account: src.account,
    backgroundRunning: [...src.running].filter((k) => state.queue?.lanes[k]?.lane === 'background').length,
  });
  return { report };
}
