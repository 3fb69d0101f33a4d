// Runs one agent attempt: spawns the command detached (its own process group), feeds the prompt on stdin,
// streams stdout into the run file and the StreamParser, and enforces the wall clock, the stall timeout and
// abort requests by terminating the whole group. Never throws for a run that went wrong: everything is in
// the RunResult.
//
// node:child_process.spawn rather than execa: we need none of execa's buffering or cleanup (cleanup is off for
// detached children anyway), we signal the group ourselves, and execa's promise waits for grandchildren that
// hold stdout open — exactly the hang this module must bound. Raw streams keep memory flat at any output size.

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, openSync } from 'node:fs';
import type { Socket } from 'node:net';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isGroupAlive, processStartTime, terminateGroup } from './procs.js';
import { StreamParser } from './stream.js';
import { LineRedactor } from './redact-stream.js';
import { CappedTranscript, TRANSCRIPT_HARD_FACTOR } from './transcript-cap.js';
import { TailBuffer } from '../util/tail-buffer.js';
import type { KillReason, RunRequest, RunResult } from './types.js';
import { holdLifeline, LIFELINE_FD, superviseSpec } from './lifeline.js';

export interface RunnerOptions {
  /** After the leader exits, how long stdout/stderr may stay open (held by a grandchild) before the group is
   *  killed and the pipes are abandoned. Default 2000 ms. */
  pipeGraceMs?: number;
}

const KILL_REASONS: readonly KillReason[] = ['timeout', 'stall', 'cancel', 'auth', 'shutdown', 'limit'];
const STDERR_TAIL_BYTES = 4096;
const NEWLINE = 0x0a;

export function abortReason(signal: AbortSignal): KillReason {
  const r: unknown = signal.reason;
  return typeof r === 'string' && (KILL_REASONS as readonly string[]).includes(r) ? (r as KillReason) : 'cancel';
}

function emptyResult(parser: StreamParser, extra: Partial<RunResult>): RunResult {
  return { exitCode: null, signal: null, killedFor: null, durationMs: 0, summary: parser.summary, stderrTail: '', spawnError: null, held: null, ...extra };
}

function describeSpawnError(err: unknown, command: string): string {
  // (`err` may be the supervisor's report of the same failure: { code, message }.)
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return `command not found: ${command} (ENOENT)`;
  if (e?.code === 'EACCES') return `permission denied running ${command} (EACCES)`;
  return `could not start ${command}: ${e?.message ?? String(err)}`;
}

/**
 * Everything from the gate to the spawn happens in one synchronous step (no await in between), so nothing
 * — a pause, a shutdown — can slip between the last check and the process starting. `req.gate` returning
 * a reason means: do not start; the result then has `held` set and nothing ran.
 */
export async function runAgent(req: RunRequest, opts: RunnerOptions = {}): Promise<RunResult> {
  const parser = new StreamParser();
  const pipeGraceMs = opts.pipeGraceMs ?? 2000;
  const killGraceMs = req.killGraceMs ?? 10_000;

  if (req.signal?.aborted) return emptyResult(parser, { killedFor: abortReason(req.signal) });
  if (!existsSync(req.cwd)) return emptyResult(parser, { spawnError: `working directory does not exist: ${req.cwd}` });
  const held = req.gate?.() ?? null;
  if (held !== null) return emptyResult(parser, { held });

  // Open the run file before spawning: if it cannot be written, do not start an agent whose output is lost.
  let runFile: CappedTranscript;
  try {
    mkdirSync(dirname(req.runFile), { recursive: true, mode: 0o700 });
    // another ticket's agent must not read it (0600)
    runFile = new CappedTranscript(createWriteStream('', { fd: openSync(req.runFile, 'a', 0o600), autoClose: true }), req.runFile, req.transcriptMax ?? null);
  } catch (err) {
    return emptyResult(parser, { spawnError: `cannot open run file ${req.runFile}: ${(err as Error).message}` });
  }

  // The agent's spec; any other transform (a sandbox) belongs before this line: the supervisor is outermost.
  const agent = { command: req.command, args: req.args, env: req.env, cwd: req.cwd };
  const spec = req.lifeline ? superviseSpec(agent, req.lifeline) : agent;
  let child: ChildProcess;
  try {
    child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true, // setsid(): the child leads its own process group, pgid = pid
      stdio: req.lifeline ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'], // fd 3: the supervisor's lifeline
    });
  } catch (err) {
    await runFile.end();
    return emptyResult(parser, { spawnError: describeSpawnError(err, req.command) });
  }

  const pid = child.pid;
  if (pid === undefined) {
    // spawn reports ENOENT/EACCES asynchronously through 'error', with no pid.
    const err = await new Promise<unknown>((resolve) => child.once('error', resolve));
    await runFile.end();
    return emptyResult(parser, { spawnError: describeSpawnError(err, req.command) });
  }
  return supervise(req, child, pid, parser, runFile, pipeGraceMs, killGraceMs);
}

function supervise(
  req: RunRequest,
  child: ChildProcess,
  pid: number,
  parser: StreamParser,
  runFile: CappedTranscript,
  pipeGraceMs: number,
  killGraceMs: number,
): Promise<RunResult> {
  const startedAt = performance.now();
  const stdout = child.stdout!;
  const stderr = child.stderr!;
  const stdin = child.stdin!;
  const stderrTail = new TailBuffer(STDERR_TAIL_BYTES);
  // Secrets never reach the transcript: complete lines are masked before they are written.
  const redactor = new LineRedactor(req.secrets ?? []);

  let killedFor: KillReason | null = null;
  let exitCode: number | null = null;
  let exitSignal: string | null = null;
  let exitedAt: number | null = null;
  let lastLineAt = startedAt;
  let terminating: Promise<unknown> | null = null;
  let writeError: string | null = null;
  let backpressured = false;
  // Past TRANSCRIPT_HARD_FACTOR × agent.transcript_max of output the agent is a runaway: killed (not counted).
  const hardMax = req.transcriptMax ? req.transcriptMax * TRANSCRIPT_HARD_FACTOR : null;
  let printed = 0;
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const terminate = () => {
    terminating ??= terminateGroup(pid, killGraceMs).catch(() => false);
    return terminating;
  };
  const kill = (reason: KillReason) => {
    if (exitedAt !== null || killedFor !== null) return; // exited by itself, or already being killed
    killedFor = reason;
    void terminate();
  };

  try {
    req.onSpawn?.(pid, processStartTime(pid));
  } catch {
    // a caller bug must not leave an unsupervised agent behind
  }

  // The lifeline (lifeline.ts): a heartbeat to the supervisor, its report of a failed start back.
  const lifeline = req.lifeline ? holdLifeline(child.stdio[LIFELINE_FD] as Socket, req.lifeline.beatMs) : null;

  // Prompt on stdin, then EOF; or, with an inbox (stream-json input), the prompt as the first message and
  // stdin kept open for the operator until the inbox closes it (the supervisor passes stdin
  // straight through, fd 3 is only the lifeline). EPIPE (the agent exited without reading)
  // is not our failure.
  stdin.on('error', () => {});
  if (req.inbox) req.inbox.open(stdin, req.prompt);
  else stdin.end(req.prompt);

  stdout.on('data', (chunk: Buffer) => {
    if (chunk.includes(NEWLINE)) lastLineAt = performance.now();
    printed += chunk.length;
    if (hardMax !== null && printed > hardMax) kill('output');
    const out = redactor.push(chunk);
    if (writeError === null && out.length > 0 && !runFile.write(out)) {
      backpressured = true; // never hold more than the write stream's buffer in memory
      stdout.pause();
      runFile.onceDrain(() => {
        backpressured = false;
        stdout.resume();
      });
    }
    for (const ev of parser.push(chunk)) emit(ev);
  });
  stderr.on('data', (chunk: Buffer) => stderrTail.push(chunk));
  runFile.onError((err) => {
    writeError ??= err.message;
    backpressured = false;
    stdout.resume();
  });
  child.on('error', () => {}); // e.g. a signal to an already-reaped child; the exit path still runs

  const emit = (ev: ReturnType<StreamParser['push']>[number]) => {
    req.inbox?.observe(ev);
    try {
      req.onEvent?.(ev, parser.summary);
    } catch {
      // same as onSpawn: the run goes on
    }
  };

  // Wall clock.
  if (Number.isFinite(req.timeoutMs) && req.timeoutMs > 0) later(req.timeoutMs, () => kill('timeout'));
  // Stall: one timer that re-arms for the remaining quiet time instead of being reset on every line.
  const checkStall = () => {
    if (exitedAt !== null || killedFor !== null) return;
    const quiet = performance.now() - lastLineAt;
    if (quiet >= req.stallTimeoutMs) kill('stall');
    else later(req.stallTimeoutMs - quiet, checkStall);
  };
  if (Number.isFinite(req.stallTimeoutMs) && req.stallTimeoutMs > 0) later(req.stallTimeoutMs, checkStall);

  const onAbort = () => kill(abortReason(req.signal!));
  req.signal?.addEventListener('abort', onAbort, { once: true });

  return new Promise<RunResult>((resolve) => {
    let pipesClosed = 0;
    let finished = false;
    const finish = async () => {
      if (finished) return;
      finished = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      lifeline?.stop();
      req.signal?.removeEventListener('abort', onAbort);
      for (const ev of parser.end()) emit(ev);
      req.inbox?.close();
      const rest = redactor?.end();
      if (rest && rest.length > 0 && writeError === null) runFile.write(rest);
      await runFile.end();
      // Leftovers (a backgrounded tool child with its own pipes) must not outlive the attempt.
      if (terminating === null && isGroupAlive(pid)) void terminate();
      if (terminating !== null) await terminating;
      const spawnFailure = lifeline?.failure() ?? null;
      let tail = stderrTail.toString();
      if (writeError !== null) tail += `\n[swarm] writing the run file failed: ${writeError}`;
      resolve({
        exitCode,
        signal: exitSignal,
        killedFor,
        durationMs: Math.round((exitedAt ?? performance.now()) - startedAt),
        summary: parser.summary,
        stderrTail: tail,
        spawnError: spawnFailure ? describeSpawnError(spawnFailure, req.command) : null,
        held: null,
      });
    };
    const pipeClosed = () => {
      pipesClosed++;
      if (pipesClosed === 2 && exitedAt !== null) void finish();
    };
    stdout.once('close', pipeClosed);
    stderr.once('close', pipeClosed);

    child.once('exit', (code, signal) => {
      exitedAt = performance.now();
      exitCode = code;
      exitSignal = signal;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      if (pipesClosed === 2) return void finish();
      // A grandchild may hold stdout/stderr open after the leader is gone: give it a short grace, then kill
      // the group and abandon the pipes (a process that left the group could hold them forever).
      const abandonPipes = () => {
        // Still writing what the agent already printed to a slow disk: that is not a held pipe.
        if (backpressured) return later(100, abandonPipes);
        void terminate().then(() => {
          stdout.destroy();
          stderr.destroy();
          void finish();
        });
      };
      later(pipeGraceMs, abandonPipes);
    });
  });
}
