// `swarm status [--json] [--watch]`: the ticket records from state.json, the running daemon's view from its
// report (daemon.json) or, fresher, from the daemon itself; works with or without a daemon.
// --watch redraws in place (cursor home, overwrite each line, clear the rest) without flicker.
import { buildSnapshot, renderStatus, plain, type Paint, type Snapshot } from '../report/status.js';
import { extraFromState } from '../report/status-account.js';
import { seenAccount } from '../account/seen.js';
import { useColor, type IO } from './common.js';
import { commandContext, type CommandContext } from './context.js';
import { chalkPaint } from './paint.js';

/** The snapshot from the files: the records from state.json, the configuration in force and the views from the live daemon's report. */
export function snapshotFor(ctx: CommandContext, now = Date.now()): Snapshot {
  const info = ctx.lock();
  const alive = info !== null && ctx.holder()?.pid === info.pid;
  const state = ctx.viewed(now);
  return buildSnapshot(state, info ? { info, alive } : null, now, extraFromState(state, alive, seenAccount(state)?.record ?? null));
}

/** The running daemon's own snapshot, or null (the client is loaded only when a daemon runs: status starts fast). */
async function daemonSnapshot(ctx: CommandContext): Promise<Snapshot | null> {
  if (!ctx.holder()) return null;
  const { liveSnapshot } = await import('../control/client.js');
  return liveSnapshot(ctx.paths);
}

/** The terminal's width (a pipe: $COLUMNS, else 80), at least 60: every line fits it; ids are never cut. */
export function terminalWidth(io: IO): number {
  const cols = (io.stdout as { columns?: number }).columns ?? Number(io.env.COLUMNS);
  return Math.max(60, Number.isFinite(cols) && cols > 0 ? Math.floor(cols) : 80);
}

/** One --watch frame: home the cursor, overwrite each line (clearing its tail), clear below. */
export function watchFrame(text: string): string {
  return '\x1b[H' + text.replace(/\n$/, '').split('\n').map((l) => l + '\x1b[K').join('\n') + '\n\x1b[J';
}

export async function statusCommand(opts: { json?: boolean; watch?: boolean; intervalMs?: number; signal?: AbortSignal }, io: IO): Promise<number> {
  const ctx = commandContext(io);
  const paint: Paint = useColor(io) ? chalkPaint() : plain;
  const width = terminalWidth(io);
  // A running daemon answers for itself (what it holds in memory, e.g. a full disk it cannot write down);
  // otherwise, or when it does not answer, state.json and the lock.
  const draw = async () => {
    const snap = (await daemonSnapshot(ctx)) ?? snapshotFor(ctx);
    if (opts.json) return JSON.stringify(snap, null, 2) + '\n';
    const rec = snap.daemon.running ? ctx.report() : null;
    const url = rec && rec.pid === snap.daemon.pid && rec.url ? `dashboard ${rec.url}\n` : '';
    return renderStatus(snap, paint, width) + url;
  };
  if (!opts.watch) {
    io.stdout.write(await draw());
    return 0;
  }
  const tty = io.stdout.isTTY === true;
  await new Promise<void>((resolve) => {
    // Not a terminal (a pipe, a log file): print whole frames one after another instead of escape codes.
    let busy = false;
    const tick = async () => {
      if (busy) return;
      busy = true;
      try {
        const frame = await draw();
        io.stdout.write(tty && !opts.json ? watchFrame(frame) : frame + '\n');
      } finally {
        busy = false;
      }
    };
    if (tty) io.stdout.write('\x1b[2J\x1b[?25l');
    void tick();
    const timer = setInterval(() => void tick(), opts.intervalMs ?? 1000);
    const stop = () => {
      clearInterval(timer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (tty) io.stdout.write('\x1b[?25h');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    opts.signal?.addEventListener('abort', stop, { once: true });
  });
  return 0;
}
