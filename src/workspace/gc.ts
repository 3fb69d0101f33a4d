// The hygiene sweep shared by `swarm gc` and the daemon (startup + daily): repairs worktree links first (a
// moved repository), gathers the facts for every worktree swarm marked in this repository's namespace
// under workspace.root (ticket open? PR merged/closed? unpushed commits? uncommitted files? busy?), asks
// gc-plan.ts what to do, re-reads the state right before each removal, removes worktrees and their local
// branches, drops git's records of vanished ones, and deletes transcripts past state.transcript_days.
// Never removes a folder swarm did not mark, nor unpushed commits or uncommitted files unless forced.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SwarmState, TicketState } from '../core/types.js';
import type { CodeHost, Tracker } from '../tracker/types.js';
import { isGroupAlive } from '../agent/procs.js';
import { gitAt, refExists } from './git.js';
import { isStrictlyInside, worktreeDirName } from './naming.js';
import type { Worktrees } from './worktree.js';
import { decide, expiredTranscripts, type GcCandidate, type PrFact, type TicketFact, type TranscriptFile } from './gc-plan.js';

export interface SweepInput {
  worktrees: Worktrees;
  tracker: Pick<Tracker, 'fetch'>;
  codeHost: Pick<CodeHost, 'findPullRequest' | 'kind'>;
  /** null when there is no usable state file (then only PR facts decide). */
  state: SwarmState | null;
  /** Why a ticket must not be touched now (a daemon works on it), or null. Checked again just before removal. */
  busy: (ts: TicketState) => string | null;
  /** The state as it is now (read again right before each removal); absent: `state` is live already. */
  reload?: () => SwarmState | null;
  runsDir: string;
  transcriptDays: number;
  now: number;
  dryRun: boolean;
  force: boolean;
}

export interface SweepEntry {
  path: string;
  branch: string | null;
  ticket: string | null;
  reason: string;
}

export interface SweepReport {
  dryRun: boolean;
  removed: (SweepEntry & { bytes: number; branchDeleted: boolean })[];
  /** Finished tickets whose worktree/branch was kept (unpushed commits, busy…), with the reason. */
  kept: SweepEntry[];
  /** Worktrees left alone because their work is not finished (PR open, ticket open…). */
  active: SweepEntry[];
  prunedEntries: number;
  transcripts: { deleted: number; bytes: number };
  bytesFreed: number;
  errors: string[];
}

const ACTIVE = new Set<TicketState['status']>(['claimed', 'running', 'retry_wait']);

/** The standard busy rule: a live daemon's active claims, and agent groups a crashed daemon left running. */
export function busyReason(ts: TicketState, daemon: { pid: number; running?: ReadonlySet<string> } | null): string | null {
  if (daemon && (ACTIVE.has(ts.status) || daemon.running?.has(ts.key))) return `the running daemon (pid ${daemon.pid}) is working on ${ts.identifier}`;
  // Merged, but not verified yet: the worktree may be collected once verification is over.
  if (ts.status === 'verifying' || ts.status === 'red') return `${ts.identifier}'s merge is being verified (\`swarm start\` finishes it)`;
  const orphan = ts.attempts.find((a) => a.outcome === 'running' && a.pid !== null && isGroupAlive(a.pid));
  if (orphan) return `agent process group ${orphan.pid} of a stopped daemon still runs in it (\`swarm start\` stops it)`;
  return null;
}

export async function sweep(input: SweepInput): Promise<SweepReport> {
  const report: SweepReport = { dryRun: input.dryRun, removed: [], kept: [], active: [], prunedEntries: 0, transcripts: { deleted: 0, bytes: 0 }, bytesFreed: 0, errors: [] };
  if (!input.dryRun) {
    // A moved repository first gets its worktrees reconnected: judged before that, they look abandoned.
    try {
      const r = await input.worktrees.repair();
      report.errors.push(...r.problems);
    } catch (err) {
      report.errors.push(`git worktree repair failed: ${(err as Error).message}`);
    }
  }
  const candidates = await collect(input, report);
  for (const { c, ts } of candidates) {
    const d = decide(c, { force: input.force });
    const entry: SweepEntry = { path: c.path, branch: c.branch, ticket: ts?.identifier ?? c.ticket, reason: d.reason };
    if (d.action === 'keep') {
      (d.finished ? report.kept : report.active).push(entry);
      continue;
    }
    // Right before removing: the state read again (a daemon may have claimed it since), the mark and the
    // files looked at again (worktrees.remove() checks both once more under its own lock).
    const late = recheck(input, c, ts);
    if (late) {
      report.active.push({ ...entry, reason: late });
      continue;
    }
    const bytes = c.exists ? await input.worktrees.sizeOf(c.path).catch(() => 0) : 0;
    if (c.prunable) report.prunedEntries++;
    if (input.dryRun) {
      report.removed.push({ ...entry, bytes, branchDeleted: d.deleteBranch });
      report.bytesFreed += bytes;
      continue;
    }
    try {
      if (c.prunable) {
        report.removed.push({ ...entry, bytes: 0, branchDeleted: false });
        continue; // git's record only: dropped by the prune below
      }
      const res = await input.worktrees.remove(c.path, c.branch ?? '', { deleteBranch: d.deleteBranch && c.branch !== null, force: input.force });
      if (!res.removed && res.kept) {
        report.kept.push({ ...entry, reason: res.kept }); // an operator's `git worktree lock`, files that appeared since
        continue;
      }
      if (!res.removed) throw new Error(`git could not remove ${c.path}`);
      report.removed.push({ ...entry, bytes, branchDeleted: res.branchDeleted });
      if (d.deleteBranch && !res.branchDeleted && res.kept) report.kept.push({ ...entry, reason: `worktree removed; branch kept: ${res.kept}` });
      report.bytesFreed += bytes;
    } catch (err) {
      report.errors.push(`${entry.ticket ?? c.path}: ${(err as Error).message}`);
    }
  }
  if (!input.dryRun) await input.worktrees.prune();
  sweepTranscripts(input, report);
  return report;
}

/** Why a candidate must stay after all, looked at again just before its removal; null to go ahead. */
function recheck(input: SweepInput, c: GcCandidate, ts: TicketState | null): string | null {
  const fresh = input.reload ? input.reload() : input.state;
  const now = (ts && fresh?.tickets[ts.key]) ?? ts;
  const busy = now ? input.busy(now) : null;
  if (busy) return busy;
  if (ts && now && now.status !== ts.status && (now.status === 'claimed' || now.status === 'running' || now.status === 'retry_wait')) return `${now.identifier} was claimed again just now`;
  if (c.exists && !c.prunable && input.worktrees.ownership.owns(c.path) === null) return 'its ownership marker is gone; left alone';
  return null;
}

async function collect(input: SweepInput, report: SweepReport): Promise<{ c: GcCandidate; ts: TicketState | null }[]> {
  const wt = input.worktrees;
  const git = gitAt(wt.repoDir);
  const tickets = Object.values(input.state?.tickets ?? {});
  const byBranch = new Map(tickets.filter((t) => t.branch).map((t) => [t.branch, t]));
  // A worktree the agent switched to another branch is still its ticket's folder: known by its name too.
  const byDir = new Map(tickets.filter((t) => t.branch).map((t) => [worktreeDirName(t.branch), t]));
  const ticketFacts = new Map<string, Promise<TicketFact>>();
  const ticketFact = (ts: TicketState | null): Promise<TicketFact> => {
    if (!ts) return Promise.resolve('unknown');
    let p = ticketFacts.get(ts.key);
    if (!p) {
      p = input.tracker.fetch(ts.key).then((t) => (t === null || !t.open ? 'closed' : 'open') as TicketFact, () => 'unknown' as TicketFact);
      ticketFacts.set(ts.key, p);
    }
    return p;
  };
  const prFact = async (branch: string | null): Promise<PrFact> => {
    if (!branch || input.codeHost.kind === 'none') return null;
    try {
      const pr = await input.codeHost.findPullRequest(branch);
      return pr ? { state: pr.state, url: pr.url } : null;
    } catch {
      return 'unknown';
    }
  };
  const out: { c: GcCandidate; ts: TicketState | null }[] = [];
  const seen = new Set<string>();
  const add = async (p: string, branch: string | null, flags: { prunable: boolean; unregistered: boolean }) => {
    seen.add(path.resolve(p));
    const ts = (branch ? byBranch.get(branch) : undefined) ?? byDir.get(path.basename(p)) ?? null;
    const busy = ts ? input.busy(ts) : null;
    const exists = fs.existsSync(p);
    const [tf, pr, unpushed, dirty] = busy || flags.prunable
      ? (['unknown', null, 0, 0] as const)
      : await Promise.all([ticketFact(ts), prFact(branch), branch ? wt.unpushedCommits(branch).catch(() => 0) : Promise.resolve(0), exists ? wt.dirtyFiles(p).catch(() => 1) : Promise.resolve(0)]);
    out.push({ c: { path: p, branch, ticket: ts?.key ?? null, ...flags, exists, ticketFact: tf, pr, unpushed, dirty, busy }, ts });
  };

  let listed: Awaited<ReturnType<Worktrees['list']>> = [];
  try {
    listed = await wt.list();
  } catch (err) {
    report.errors.push(`git worktree list failed: ${(err as Error).message}`);
  }
  // Only this repository's namespace, and in it only what swarm marked: nothing else under the root is ours.
  const home = realOrNull(wt.home);
  const inHome = (p: string) => home !== null && path.dirname(realOrSelf(p)) === home;
  const known = new Set<string>();
  for (const w of listed) {
    known.add(realOrSelf(w.path));
    if (w.managed || (w.prunable && inHome(w.path))) await add(w.path, w.branch, { prunable: w.prunable, unregistered: false });
  }
  // Marked folders git does not know: a crash between the mark and `worktree add`, or one whose
  // registration was lost. Marks whose folder is gone and that git does not know are simply dropped.
  if (home) {
    if (!input.dryRun) wt.ownership.sweepTemps(); // a marker write cut short by a kill -9
    for (const name of wt.ownership.markedNames()) {
      const p = path.join(home, name);
      if (known.has(realOrSelf(p)) || seen.has(path.resolve(p))) continue;
      if (!fs.existsSync(p)) {
        if (!input.dryRun) wt.ownership.unmark(p);
        continue;
      }
      if (!fs.statSync(p).isDirectory() || !isStrictlyInside(home, p)) continue;
      const branch = wt.ownership.owns(p)?.branch ?? null;
      const ts = branch ? byBranch.get(branch) ?? null : null;
      await add(p, ts ? branch : null, { prunable: false, unregistered: true });
    }
  }
  // Branches of finished tickets whose worktree is already gone (e.g. removed when the ticket closed).
  const listedBranches = new Set(listed.map((w) => w.branch));
  for (const ts of tickets) {
    if (!ts.branch || listedBranches.has(ts.branch) || seen.has(path.resolve(wt.pathFor(ts.branch)))) continue;
    if (!(await refExists(git, `refs/heads/${ts.branch}`))) continue;
    await add(wt.pathFor(ts.branch), ts.branch, { prunable: false, unregistered: false });
  }
  return out;
}

function realOrNull(p: string): string | null {
  try {
    return fs.realpathSync(p);
  } catch {
    return null;
  }
}

function realOrSelf(p: string): string {
  return realOrNull(p) ?? path.resolve(p);
}

function sweepTranscripts(input: SweepInput, report: SweepReport): void {
  const files: TranscriptFile[] = [];
  let dirs: string[] = [];
  try {
    dirs = fs.readdirSync(input.runsDir);
  } catch {
    return;
  }
  for (const d of dirs) {
    const dir = path.join(input.runsDir, d);
    try {
      for (const f of fs.readdirSync(dir)) {
        if (!f.endsWith('.jsonl')) continue;
        const st = fs.statSync(path.join(dir, f));
        if (st.isFile()) files.push({ path: path.join(dir, f), mtimeMs: st.mtimeMs, bytes: st.size });
      }
    } catch {
      /* not a directory */
    }
  }
  const active = new Set(Object.values(input.state?.tickets ?? {}).flatMap((t) => t.attempts.filter((a) => a.outcome === 'running').map((a) => path.resolve(a.run_file))));
  for (const f of expiredTranscripts(files, input.now, input.transcriptDays, active)) {
    if (!input.dryRun) {
      try {
        fs.rmSync(f.path, { force: true });
      } catch (err) {
        report.errors.push(`could not delete ${f.path}: ${(err as Error).message}`);
        continue;
      }
    }
    report.transcripts.deleted++;
    report.transcripts.bytes += f.bytes;
    report.bytesFreed += f.bytes;
  }
}

/** Human summary, one line per removal/kept entry, then totals. */
export function formatSweep(r: SweepReport, verbose = false): string {
  const lines: string[] = [];
  const verb = r.dryRun ? 'would remove' : 'removed';
  for (const e of r.removed) lines.push(`${verb} ${e.path}${e.branch ? ` and branch ${e.branch}` : ''}${e.ticket ? ` (${e.ticket})` : ''}: ${e.reason} [${formatBytes(e.bytes)}]`);
  for (const e of r.kept) lines.push(`kept ${e.path}${e.ticket ? ` (${e.ticket})` : ''}: ${e.reason}`);
  if (verbose) for (const e of r.active) lines.push(`left ${e.path}${e.ticket ? ` (${e.ticket})` : ''}: ${e.reason}`);
  for (const e of r.errors) lines.push(`error: ${e}`);
  lines.push(
    `${r.dryRun ? 'would free' : 'freed'} ${formatBytes(r.bytesFreed)}: ${r.removed.length} worktree(s), ${r.transcripts.deleted} transcript(s); ` +
      `${r.kept.length} kept, ${r.active.length} still in progress`,
  );
  return lines.join('\n') + '\n';
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}
