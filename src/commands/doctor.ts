// `swarm doctor [--fix]`: preflight. One line per check with ✓/✗ and the fix; exit 1 if any check fails.
// `--fix` creates missing GitHub labels. Never prints a token.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadWorkflowOrLastGood } from '../config/last-good.js';
import { checkClaudeCredentials, checkOriginMatchesRepo } from '../doctor/claude.js';
import type { Workflow } from '../config/types.js';
import { FileStateStore } from '../backend/embedded/state-store.js';
import { lockAlive, readLock } from '../state/lock.js';
import { liveReport } from '../report/daemon-report.js';
import { swarmPaths } from '../state/paths.js';
import { checkAgent, checkBudget, checkDisk, checkRemote, checkTracker } from '../doctor/checks.js';
import type { CheckLine } from '../doctor/types.js';
import { checkSandbox } from '../doctor/sandbox-check.js';
import { plain, type Paint } from '../report/status.js';
import { useColor, type IO } from './common.js';
import { chalkPaint } from './paint.js';

export interface DoctorOptions {
  fix?: boolean;
  workflow?: string;
  /** For tests: pretend to run as root or not. */
  isRoot?: boolean;
  minFreeBytes?: number;
}

export async function doctorCommand(opts: DoctorOptions, io: IO): Promise<number> {
  const p = useColor(io) ? chalkPaint() : plain;
  const lines: CheckLine[] = [];
  const print = (l: CheckLine) => {
    lines.push(l);
    io.stdout.write(formatLine(l, p) + '\n');
  };
  const top = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: io.cwd, encoding: 'utf8' });
  if (top.error || top.status !== 0) {
    print({ ok: false, name: 'git repository', detail: top.error ? 'git was not found on PATH' : `${io.cwd} is not inside a git repository`, fix: top.error ? 'install git' : 'run swarm from your project checkout (or `git init`)' });
    return 1;
  }
  const repoDir = top.stdout.trim();
  print({ ok: true, name: 'git repository', detail: repoDir });

  const workflowPath = resolve(io.cwd, opts.workflow ?? join(repoDir, 'WORKFLOW.md'));
  let wf: Workflow | null = null;
  if (!existsSync(workflowPath)) print({ ok: false, name: 'WORKFLOW.md', detail: `${workflowPath} does not exist`, fix: 'run `swarm init`' });
  else {
    try {
      const loaded = loadWorkflowOrLastGood(workflowPath, io.env, swarmPaths(repoDir));
      wf = loaded.workflow;
      if (loaded.broken) {
        print({ ok: false, name: 'WORKFLOW.md', detail: loaded.broken, fix: `edit the key named above; the running daemon keeps the last good configuration, which the checks below use (saved ${loaded.savedAt})` });
      } else {
        print({ ok: true, name: 'WORKFLOW.md', detail: `valid${wf.warnings.length ? ` (${wf.warnings.length} warning${wf.warnings.length > 1 ? 's' : ''})` : ''}` });
        for (const w of wf.warnings) io.stdout.write(`    ${p.yellow(`warning: ${w}`)}\n`);
      }
    } catch (err) {
      print({ ok: false, name: 'WORKFLOW.md', detail: (err as Error).message, fix: 'edit the key named above' });
    }
  }
  if (!wf) {
    io.stdout.write(p.dim('  (remote, agent, tracker and disk checks need a valid WORKFLOW.md)\n'));
    return 1;
  }
  const ctx = { repoDir, wf, env: io.env, fix: opts.fix === true, isRoot: opts.isRoot ?? process.getuid?.() === 0, minFreeBytes: opts.minFreeBytes };
  for (const l of await checkRemote(ctx)) print(l);
  const matches = await checkOriginMatchesRepo(ctx);
  if (matches) print(matches);
  for (const l of checkAgent(ctx)) print(l);
  print(checkClaudeCredentials(ctx));
  print(checkBudget(ctx));
  for (const l of await checkSandbox(ctx)) print(l);
  for (const l of await checkTracker(ctx)) print(l);
  for (const l of await webhookLines(ctx, repoDir)) print(l);
  print(checkDisk(ctx));
  print(stateLine(repoDir));

  const failed = lines.filter((l) => !l.ok).length;
  const warned = lines.filter((l) => l.ok && l.warn).length;
  const warnings = warned > 0 ? ` (${warned} warning${warned > 1 ? 's' : ''})` : '';
  io.stdout.write(failed === 0 ? p.green(`\nall checks passed${warnings}\n`) : p.red(`\n${failed} check${failed > 1 ? 's' : ''} failed${warnings}\n`));
  return failed === 0 ? 0 : 1;
}

/** The webhook checks (only when a webhook secret is set): they ping the hook when a daemon runs here. */
async function webhookLines(ctx: Parameters<typeof checkTracker>[0], repoDir: string): Promise<CheckLine[]> {
  const w = ctx.wf.config.webhooks;
  if (w.github_secret === null && w.linear_secret === null) return [];
  const { checkWebhooks } = await import('../doctor/webhooks.js');
  const paths = swarmPaths(repoDir);
  const info = readLock(paths.lock);
  const running = info !== null && lockAlive(info);
  // Webhook health as the running daemon judges it: its report (a dead daemon's is ignored).
  const seen = liveReport(paths.report, running ? info : null)?.webhooks ?? null;
  return checkWebhooks({ ...ctx, daemonRunning: running, lastVerified: seen ? { github: seen.github.last_at, linear: seen.linear.last_at } : undefined });
}

function stateLine(repoDir: string): CheckLine {
  const paths = swarmPaths(repoDir);
  const info = readLock(paths.lock);
  const daemon = info && lockAlive(info) ? `daemon running (pid ${info.pid})` : 'no daemon running';
  if (existsSync(paths.state) && new FileStateStore(paths.state).peek() === null) {
    return { ok: false, name: 'state', detail: `${paths.state} is unreadable; ${daemon}`, fix: 'the next `swarm start` moves it aside and reports it' };
  }
  return { ok: true, name: 'state', detail: `${existsSync(paths.state) ? 'state.json readable' : 'no state yet'}; ${daemon}` };
}

export function formatLine(l: CheckLine, p: Paint = plain): string {
  const mark = !l.ok ? p.red('✗') : l.warn ? p.yellow('!') : p.green('✓');
  const main = `${mark} ${p.bold(l.name)}: ${l.warn ? p.yellow(l.detail) : l.detail}`;
  if (!l.fix) return main;
  return `${main}\n    ${!l.ok ? p.yellow(`fix: ${l.fix}`) : l.warn ? p.yellow(`warning: ${l.fix}`) : p.dim(`note: ${l.fix}`)}`;
}
