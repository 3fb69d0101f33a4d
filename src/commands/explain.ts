// `swarm explain <ticket>`: fetch the ticket fresh from the tracker and say, rule by rule, why it is or is
// not being worked on, and what happens next. Read-only: nothing is claimed or written.
import { join, resolve } from 'node:path';
import { loadWorkflow } from '../config/workflow.js';
import { makeServices } from '../services.js';
import { FileStateStore, emptyState } from '../state/file-store.js';
import { lockAlive, readLock } from '../state/lock.js';
import { swarmPaths } from '../state/paths.js';
import { branchName } from '../workspace/naming.js';
import { type Ticket } from '../tracker/types.js';
import { ticketArg, findTicketState } from '../core/ticket-keys.js';
import { explain, renderExplain, type ExplainInput } from '../report/explain.js';
import { readReport, withReport } from '../report/daemon-report.js';
import { seenAccount } from '../account/seen.js';
import { findRepoRoot, useColor, type IO } from './common.js';
import { chalkPaint } from './paint.js';
import { TrackerError, UsageError } from '../errors.js';

export async function explainCommand(ticketInput: string, opts: { workflow?: string; json?: boolean }, io: IO, now: () => number = Date.now): Promise<number> {
  const repoDir = findRepoRoot(io.cwd);
  const wf = loadWorkflow(resolve(io.cwd, opts.workflow ?? join(repoDir, 'WORKFLOW.md')), io.env);
  const svc = await makeServices(wf, { repoDir, env: io.env, log: () => {} });
  const paths = swarmPaths(repoDir);
  const info = readLock(paths.lock);
  const alive = info !== null && lockAlive(info);
  const state = withReport(new FileStateStore(paths.state).peek() ?? emptyState(now()), alive ? readReport(paths.report) : null);
  const known = findTicketState(state, ticketInput);
  const key = known?.key ?? ticketArg(ticketInput);
  let ticket: Ticket | null;
  try {
    ticket = key === '' ? null : await svc.tracker.fetch(key);
  } catch (err) {
    if (err instanceof TrackerError && err.kind === 'not_found') ticket = null;
    else throw err;
  }
  if (!ticket) {
    const where = wf.config.tracker.kind === 'local' ? `in ${wf.config.tracker.path}` : `in the ${wf.config.tracker.kind} tracker (${svc.repoSlug})`;
    const hint = wf.config.tracker.kind === 'github' ? 'give the issue number, e.g. 12 or #12' : wf.config.tracker.kind === 'linear' ? 'give the issue identifier, e.g. ENG-12' : 'give the ticket file name without .md';
    throw new UsageError(`ticket "${ticketInput}" was not found ${where}: ${hint}`);
  }
  const running = new Set(alive ? Object.values(state.tickets).filter((t) => t.status === 'running' || t.status === 'claimed').map((t) => t.key) : []);
  const branch = state.tickets[ticket.key]?.branch || branchName(wf.config.workspace.branch_prefix, ticket);
  const input: ExplainInput = {
    ticket,
    config: wf.config,
    state,
    now: now(),
    daemon: { running: alive, pid: alive ? info!.pid : null },
    running,
    trust: await svc.tracker.trust(ticket).catch((err: Error) => ({ error: err.message })),
    pr: svc.codeHost.kind === 'none' ? null : await svc.codeHost.findPullRequest(branch).catch((err: Error) => ({ error: err.message })),
    codeHost: svc.codeHost.kind,
    branch,
    account: seenAccount(state),
    backgroundRunning: [...running].filter((k) => state.queue?.lanes[k]?.lane === 'background').length,
  };
  const report = explain(input);
  io.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : renderExplain(report, useColor(io) ? chalkPaint() : undefined));
  return 0;
}
