// `swarm dashboard [--open]`: a one-time login link to the console of the daemon running in this clone,
// asked for over its private control socket (only this user can), printed, and with --open handed to the
// desktop's browser. The link works once, for ten minutes: the browser trades it for a session cookie.
import { spawn } from 'node:child_process';
import { daemonRequest } from '../control/client.js';
import type { IO } from './common.js';
import { commandContext } from './context.js';
import { UsageError } from '../errors.js';

export async function dashboardCommand(opts: { open?: boolean }, io: IO, opener: (url: string) => Promise<string | null> = openInBrowser): Promise<number> {
  const ctx = commandContext(io);
  const res = await daemonRequest(ctx.repoDir, ctx.paths, 'POST', '/api/v1/login-link', {}, 15_000);
  if (res === null) throw new UsageError('no swarm daemon runs in this repository: start one with `swarm start` (with server.port set, or --port 8080) first');
  const body = (res.body ?? {}) as { url?: unknown; message?: unknown };
  if (res.status !== 200 || typeof body.url !== 'string') throw new UsageError(typeof body.message === 'string' ? body.message : `the daemon gave no login link (HTTP ${res.status})`);
  io.stdout.write(`Open this link to log in to the swarm console (it works once, within 10 minutes):\n\n  ${body.url}\n\n`);
  if (opts.open) {
    const problem = await opener(body.url);
    io.stdout.write(problem ? `could not open a browser (${problem}): open the link yourself\n` : 'opened in your browser\n');
  }
  return 0;
}

/** The desktop's opener (xdg-open, open, start); resolves with why it failed, or null. */
function openInBrowser(url: string): Promise<string | null> {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  return new Promise((resolve) => {
    const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
    child.once('error', (err) => resolve(`${cmd}: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    child.once('spawn', () => {
      child.unref();
      resolve(null);
    });
  });
}
