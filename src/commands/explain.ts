// `swarm explain <ticket>`: fetch the ticket fresh from the tracker and say, rule by rule, why it is or is
// not being worked on, and what happens next. Read-only: nothing is claimed or written. While a daemon runs
// in this clone the daemon answers (over its control socket, with its configuration and tracker token);
// otherwise the command reads WORKFLOW.md itself — the last good copy while the file is broken.
import { renderExplain, type ExplainReport } from '../report/explain.js';
import { explainTicket } from '../report/explain-run.js';
import { seenAccount } from '../account/seen.js';
import { daemonRequest } from '../control/client.js';
import { useColor, type IO } from './common.js';
import { commandContext, type CommandContext } from './context.js';
import { chalkPaint } from './paint.js';
import { UsageError } from '../errors.js';

export async function explainCommand(ticketInput: string, opts: { workflow?: string; json?: boolean }, io: IO, now: () => number = Date.now): Promise<number> {
  const ctx = commandContext(io, { workflow: opts.workflow, usingLastGood: 'explaining with' });
  const report = (opts.workflow === undefined ? await viaDaemon(ctx, ticketInput) : null) ?? (await locally(ctx, ticketInput, now));
  io.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : renderExplain(report, useColor(io) ? chalkPaint() : undefined));
  return 0;
}

/** The running daemon's answer; null when none runs here. */
async function viaDaemon(ctx: CommandContext, ticketInput: string): Promise<ExplainReport | null> {
  const res = await daemonRequest(ctx.repoDir, ctx.paths, 'GET', `/api/v1/explain/${encodeURIComponent(ticketInput)}`, null);
  if (res === null) return null;
  const body = (res.body ?? {}) as { message?: unknown };
  if (res.status === 404 && typeof body.message === 'string') throw new UsageError(body.message);
  if (res.status !== 200) throw new Error(`the daemon could not explain ${ticketInput}: ${typeof body.message === 'string' ? body.message : `HTTP ${res.status}`}`);
  return res.body as ExplainReport;
}

async function locally(ctx: CommandContext, ticketInput: string, now: () => number): Promise<ExplainReport> {
  const wf = await ctx.workflow();
  const svc = await ctx.services();
  const info = ctx.holder();
  const alive = info !== null;
  const state = ctx.viewed(now());
  if (alive && state.daemon) {
    // A full disk lives only in the daemon's memory (it cannot write it down): ask the daemon.
    const { liveSnapshot } = await import('../control/client.js');
    const p = (await liveSnapshot(ctx.paths))?.pause;
    if (p?.kind === 'disk_full') state.daemon.disk_full = { since: p.since, file: '', error: /^disk full \((.*)\); resumes/.exec(p.reason)?.[1] ?? p.reason };
  }
  const running = new Set(alive ? Object.values(state.tickets).filter((t) => t.status === 'running' || t.status === 'claimed').map((t) => t.key) : []);
  const out = await explainTicket(ticketInput, { wf, svc, state, daemon: { running: alive, pid: alive ? info.pid : null }, running, account: seenAccount(state), now: now() });
  if ('notFound' in out) throw new UsageError(out.notFound);
  return out.report;
}
