// Workspace hooks: the operator's shell snippets from WORKFLOW.md, run with bash in
// the worktree. The script text is trusted operator input; ticket values reach it only through SWARM_*
// environment variables and are never spliced into the script string.
import { spawn } from 'node:child_process';
import type { Config } from '../config/types.js';

export type HookConfig = Config['hooks'];
export type HookName = 'after_create' | 'before_run' | 'after_run' | 'before_remove';

export interface HookResult {
  ok: boolean;
  /** Exit code; null when killed by a signal or never started. */
  code: number | null;
  timedOut: boolean;
  /** Last 4 KB of combined stdout/stderr (or the spawn error). */
  output: string;
}

export interface HookOptions {
  cwd: string;
  /** The complete environment for the hook (the caller decides what is inherited). */
  env: Record<string, string | undefined>;
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL on timeout. */
  killGraceMs?: number;
}

const TAIL_BYTES = 4096;

/** Keeps only the last `limit` bytes written. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.chunks.length > 1 && this.size - this.chunks[0]!.length >= this.limit) {
      this.size -= this.chunks.shift()!.length;
    }
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    const cut = all.length > this.limit ? all.subarray(all.length - this.limit) : all;
    // A cut can land inside a multi-byte character: drop the replacement char it decodes to.
    return cut.toString('utf8').replace(/^\uFFFD+/, '');
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // group already gone
  }
}

/** Run one hook with `bash -c`. An empty script succeeds without spawning anything. */
export function runHook(name: string, script: string, opts: HookOptions): Promise<HookResult> {
  if (script.trim() === '') return Promise.resolve({ ok: true, code: 0, timedOut: false, output: '' });
  const grace = opts.killGraceMs ?? 2000;
  return new Promise((resolve) => {
    const tail = new Tail(TAIL_BYTES);
    let timedOut = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const finish = (res: HookResult): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      resolve(res);
    };
    let child;
    try {
      child = spawn('bash', ['-c', script], {
        cwd: opts.cwd,
        env: opts.env,
        detached: true, // own process group, so a timeout kills grandchildren too
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      finish({ ok: false, code: null, timedOut: false, output: `hook ${name} could not start: ${(err as Error).message}` });
      return;
    }
    child.stdout.on('data', (c: Buffer) => tail.push(c));
    child.stderr.on('data', (c: Buffer) => tail.push(c));
    child.on('error', (err) => {
      finish({ ok: false, code: null, timedOut: false, output: `hook ${name} could not start: ${err.message}` });
    });
    const pid = child.pid;
    if (pid !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        tail.push(Buffer.from(`\n[swarm] hook ${name} timed out after ${opts.timeoutMs} ms; killing it\n`));
        killGroup(pid, 'SIGTERM');
        killTimer = setTimeout(() => {
          killGroup(pid, 'SIGKILL');
          // A descendant that left the group (setsid) could hold the pipes forever: stop waiting for it.
          killTimer = setTimeout(() => {
            child.stdout.destroy();
            child.stderr.destroy();
            finish({ ok: false, code: null, timedOut: true, output: tail.text() });
          }, 1000);
        }, grace);
      }, opts.timeoutMs);
    }
    // 'close' waits for every holder of the pipes. After a timeout, make sure the group is dead before we
    // report, so callers never race a half-killed hook.
    child.on('close', (code) => {
      if (timedOut && pid !== undefined) killGroup(pid, 'SIGKILL');
      finish({ ok: !timedOut && code === 0, code, timedOut, output: tail.text() });
    });
    // A process the script left running in the background (`server &`) can hold the pipes open forever:
    // once bash itself has exited, its exit code is the answer; stop reading shortly after.
    child.on('exit', (code) => {
      if (timedOut) return;
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish({ ok: code === 0, code, timedOut: false, output: tail.text() });
      }, 500);
    });
  });
}

export interface HookVars {
  /** Ticket key as used in state and on the command line ("12", "ENG-12", local file stem). */
  ticketId: string;
  ticketNumber: number;
  ticketUrl: string;
  branch: string;
  baseBranch: string;
  workspace: string;
  attempt: number;
  model: string;
  /** owner/name ("" when unknown, e.g. the local tracker without a GitHub remote). */
  repo: string;
  /** Optional extra: the ticket title, as SWARM_TICKET_TITLE. */
  title?: string;
  /**
   * This repository's swarm id (repo-id.ts), as SWARM_REPO_ID: how a restarted daemon recognises an agent
   * a previous one left running (by repository, never by a path prefix that other repositories may share).
   */
  repoId?: string;
}

// An env value with a NUL byte makes spawn throw; ticket-derived text must never be able to do that.
const clean = (v: string): string => v.replace(/\0/g, '');

/** The SWARM_* variables (plus SWARM_TICKET_TITLE when a title is given). */
export function hookEnv(vars: HookVars): Record<string, string> {
  const env: Record<string, string> = {
    SWARM_TICKET_ID: clean(vars.ticketId),
    SWARM_TICKET_NUMBER: String(vars.ticketNumber),
    SWARM_TICKET_URL: clean(vars.ticketUrl),
    SWARM_BRANCH: clean(vars.branch),
    SWARM_BASE_BRANCH: clean(vars.baseBranch),
    SWARM_WORKSPACE: clean(vars.workspace),
    SWARM_ATTEMPT: String(vars.attempt),
    SWARM_MODEL: clean(vars.model),
    SWARM_REPO: clean(vars.repo),
  };
  if (vars.title !== undefined) env.SWARM_TICKET_TITLE = clean(vars.title);
  if (vars.repoId !== undefined) env.SWARM_REPO_ID = clean(vars.repoId);
  return env;
}
