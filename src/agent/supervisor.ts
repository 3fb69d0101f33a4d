// The agent's supervisor on node (protocol: lifeline.ts; bin/swarm-supervisor.pl is the same program in
// perl, preferred where perl is found: a node process per agent costs far more): a small program of its
// own, started by the runner as the leader of the agent's process group, with the agent as its only child:
//
//   node supervisor.js --grace=MS --kill-grace=MS -- COMMAND ARGS…      (fd 3: the lifeline to the daemon)
//
// It passes stdin, stdout and stderr straight to the agent (the stream-json never goes through it), and
// watches fd 3: end of file — the daemon died — or no heartbeat byte for `grace` ms — the daemon is frozen —
// and it stops the whole group: TERM, then KILL after `kill-grace` ms (itself last). While the daemon lives,
// a TERM to the group (the runner stopping the agent) is the agent's to answer: the supervisor waits for the
// agent and ends as it ended (same exit code, same signal), so the runner sees what it always saw.
// Nothing here reads swarm's configuration or environment: the agent's environment passes through untouched.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { groupOf } from './procs.js';

interface Args {
  graceMs: number;
  killGraceMs: number;
  command: string;
  args: string[];
}

function parseArgs(argv: string[]): Args | string {
  const sep = argv.indexOf('--');
  if (sep < 0 || sep === argv.length - 1) return 'usage: supervisor.js --grace=MS --kill-grace=MS -- COMMAND [ARGS…]';
  const opts = new Map(argv.slice(0, sep).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
  const graceMs = Number(opts.get('grace'));
  const killGraceMs = Number(opts.get('kill-grace'));
  if (!(graceMs > 0) || !(killGraceMs >= 0)) return 'supervisor.js: --grace and --kill-grace must be milliseconds';
  return { graceMs, killGraceMs, command: argv[sep + 1]!, args: argv.slice(sep + 2) };
}

/** Diagnostics go to stderr (the run's stderr tail); a reader that is gone (the daemon died) is no error. */
function note(line: string): void {
  try {
    process.stderr.write(`[swarm supervisor] ${line}\n`);
  } catch {
    // nobody is listening
  }
}

function main(): void {
  const a = parseArgs(process.argv.slice(2));
  if (typeof a === 'string') {
    note(a);
    process.exit(2);
  }
  process.stderr.on('error', () => {});
  // The group's TERM (the runner stopping the agent, or our own stop below) is the agent's to act on.
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => {});
  // Leader of its own group (the runner spawns it detached): stops reach the agent's tool grandchildren too.
  const group = groupOf('self') === process.pid ? process.pid : null;

  let child: ChildProcess | null = null;
  let stopping = false;
  let lastBeat = performance.now();
  const line = new Socket({ fd: 3, readable: true, writable: true });

  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      if (group !== null) process.kill(-group, sig);
      else child?.kill(sig);
    } catch {
      // already gone
    }
  };
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    note(`${why}: stopping the agent's process group`);
    signalGroup('SIGTERM');
    setTimeout(() => {
      signalGroup('SIGKILL');
      process.exit(137);
    }, a.killGraceMs).unref();
  };

  line.on('data', () => (lastBeat = performance.now()));
  line.on('error', () => stop('the lifeline to the daemon broke'));
  line.on('end', () => stop('the daemon is gone (its end of the lifeline closed)'));
  line.on('close', () => stop('the daemon is gone (its end of the lifeline closed)'));
  const watch = setInterval(() => {
    const silent = performance.now() - lastBeat;
    if (silent > a.graceMs) stop(`no heartbeat from the daemon for ${Math.round(silent)} ms (frozen?)`);
  }, Math.max(50, Math.min(500, Math.floor(a.graceMs / 4))));

  // fd 3 of the agent is /dev/null: the lifeline stays between the daemon and this process.
  const devnull = openSync('/dev/null', 'r');
  try {
    child = spawn(a.command, a.args, { stdio: ['inherit', 'inherit', 'inherit', devnull] });
  } catch (err) {
    report(line, err as NodeJS.ErrnoException, () => process.exit(127));
    return;
  }
  child.once('error', (err: NodeJS.ErrnoException) => report(line, err, () => process.exit(127)));
  child.once('exit', (code, signal) => {
    clearInterval(watch);
    if (stopping) {
      // Whatever is left of the group (tool grandchildren) goes with us.
      setTimeout(() => {
        signalGroup('SIGKILL');
        process.exit(137);
      }, 200);
      return;
    }
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      setTimeout(() => process.exit(128), 1000).unref(); // a signal that does not end a process (e.g. SIGCHLD)
      return;
    }
    process.exit(code ?? 1);
  });
}

/** The agent could not be started: say why on the lifeline (the runner reports it as a spawn error). */
function report(line: Socket, err: NodeJS.ErrnoException, then: () => void): void {
  note(`could not start the agent: ${err.message}`);
  line.write(`${JSON.stringify({ spawn_error: err.message, code: err.code ?? null })}\n`, () => then());
  setTimeout(then, 1000).unref();
}

main();
