// The commander program and the only place that exits the process. Commands are imported lazily so
// `swarm status` never loads Octokit, the Linear SDK or nunjucks.
import { Command, CommanderError } from 'commander';
import type { IO } from './commands/common.js';
import { redactKnown } from './util/secrets.js';
import { terminalSafe } from './util/terminal.js';
import { SECRET_ENV_NAMES } from './config/secret-values.js';
import { exitCodeOf } from './errors.js';

const EXIT_USAGE = 2;

export async function main(argv: string[], io: IO = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env }): Promise<void> {
  const code = await run(argv, io);
  // Let stdout drain before exiting (pipes).
  await new Promise<void>((r) => (io.stdout.write('') ? r() : io.stdout.once('drain', () => r())));
  process.exit(code);
}

export async function run(argv: string[], io: IO): Promise<number> {
  let code = 0;
  const verbose = argv.includes('--verbose');
  const program = new Command('swarm')
    .description('Turns labelled tickets into pull requests with Claude Code, unattended.')
    .version(await version(), '-V, --version')
    .option('--verbose', 'debug detail, and stack traces on errors')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  const act = (fn: (...args: any[]) => Promise<number> | number) => async (...args: any[]) => {
    code = await fn(...args);
  };

  program
    .command('init')
    .description('write WORKFLOW.md from a template and git-ignore .swarm/')
    .option('--tracker <kind>', 'github | linear | local', 'github')
    .option('--force', 'overwrite an existing WORKFLOW.md')
    .action(act(async (o) => (await import('./commands/init.js')).initCommand(o, io)));
  program
    .command('start')
    .description('run the daemon in this repository')
    .option('--workflow <file>', 'WORKFLOW.md to use')
    .option('--once', 'one poll cycle; wait for the runs it started; exit')
    .option('--until-idle', 'exit once nothing is eligible, running or waiting for a retry')
    .option('--dry-run', 'print what would be claimed and why; change nothing')
    .option('--port <n>', 'serve the dashboard/API on 127.0.0.1:<n>')
    .option('--log-format <fmt>', 'text | json', 'text')
    .action(act(async (o) => (await import('./commands/start.js')).startCommand({ ...o, verbose }, io)));
  program
    .command('status')
    .description('what the daemon is doing (works without a daemon too)')
    .option('--json', 'machine-readable snapshot')
    .option('--watch', 'redraw every second')
    .action(act(async (o) => (await import('./commands/status.js')).statusCommand(o, io)));
  program
    .command('explain <ticket>')
    .description('why a ticket is or is not being worked on, rule by rule, and what happens next')
    .option('--workflow <file>', 'WORKFLOW.md to use')
    .option('--json', 'machine-readable report')
    .action(act(async (t, o) => (await import('./commands/explain.js')).explainCommand(t, o, io)));
  program
    .command('doctor')
    .description('preflight: git, claude, tracker access, labels/states, WORKFLOW.md, disk')
    .option('--fix', 'create missing GitHub labels')
    .option('--workflow <file>', 'WORKFLOW.md to use')
    .action(act(async (o) => (await import('./commands/doctor.js')).doctorCommand(o, io)));
  program
    .command('logs <ticket>')
    .description("an attempt's agent transcript, rendered readable")
    .option('--attempt <n>', 'attempt number (default: the latest)')
    .option('--follow', 'keep printing a running attempt until it ends')
    .action(act(async (t, o) => (await import('./commands/logs.js')).logsCommand(t, o, io)));
  const control = async () => import('./commands/control.js');
  // Controls reach the daemon running here; with none, the fleet's database when WORKFLOW.md sets state.url.
  const fleetHelp = 'WORKFLOW.md to read state.url from when no daemon runs here (fleet mode acts on every daemon)';
  program
    .command('retry <ticket>')
    .description('clear the failed state and attempt count; the ticket is picked up again')
    .option('--force', 'also a ticket that is handed off, closed, or not failed')
    .option('--workflow <file>', fleetHelp)
    .action(act(async (t, o) => (await control()).controlCommand({ kind: 'retry', ticket: t, force: o.force === true }, io, Date.now, o)));
  program
    .command('release <ticket>')
    .description('drop the claim on a ticket and leave it alone until its label is applied again or `swarm retry` (stops its agent; worktree and branch are kept)')
    .option('--workflow <file>', fleetHelp)
    .action(act(async (t, o) => (await control()).controlCommand({ kind: 'release', ticket: t }, io, Date.now, o)));
  program
    .command('pause')
    .description('pause dispatch (running agents continue)')
    .option('--for <duration>', 'resume by itself after this long, e.g. 30m or 2h')
    .option('--workflow <file>', fleetHelp)
    .action(act(async (o) => {
      const c = await control();
      return c.controlCommand(c.pauseAction(o, Date.now()), io, Date.now, o);
    }));
  program
    .command('resume')
    .description('resume dispatch after any pause')
    .option('--workflow <file>', fleetHelp)
    .action(act(async (o) => (await control()).controlCommand({ kind: 'resume' }, io, Date.now, o)));
  program
    .command('dashboard')
    .description('print a one-time link that logs your browser in to the running daemon\'s console')
    .option('--open', 'also open it in the desktop\'s browser')
    .action(act(async (o) => (await import('./commands/dashboard.js')).dashboardCommand(o, io)));
  program
    .command('state')
    .description('move the state between the embedded files and a fleet database (swarm state migrate)')
    .command('migrate')
    .description("copy this clone's .swarm/state.json (tickets, attempts, retry queue, pause, today's spend) into a fleet database")
    .option('--to <url>', 'postgres://user@host/db, or $VARIABLE holding it (default: state.url of WORKFLOW.md)')
    .option('--force', 'overwrite ticket records the database already has')
    .option('--workflow <file>', 'WORKFLOW.md to use')
    .action(act(async (o) => (await import('./commands/state-migrate.js')).stateMigrateCommand(o, io)));
  program
    .command('webhooks')
    .description('webhooks that wake swarm at once instead of waiting for the next poll')
    .command('setup')
    .description('create or update the GitHub (and Linear) webhook pointing at webhooks.public_url')
    .option('--workflow <file>', 'WORKFLOW.md to use')
    .action(act(async (o) => (await import('./commands/webhooks.js')).webhooksSetupCommand(o, io)));
  program
    .command('gc')
    .description("remove finished/closed tickets' worktrees and branches, old transcripts; report bytes freed")
    .option('--workflow <file>', 'WORKFLOW.md to use')
    .option('--dry-run', 'say what would be removed; remove nothing')
    .option('--force', 'also delete branches with unpushed commits')
    .action(act(async (o) => (await import('./commands/gc.js')).gcCommand({ ...o, verbose }, io)));

  try {
    await program.parseAsync(argv);
  } catch (err) {
    return report(err, io, verbose);
  }
  return code;
}

function report(err: unknown, io: IO, verbose: boolean): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return EXIT_USAGE; // commander already printed the problem
  }
  const e = err as Error;
  // Error text can quote a request, a URL or a child's output: mask every secret this process has read.
  const env = io.env;
  const mask = (s: string) => terminalSafe(redactKnown(s, SECRET_ENV_NAMES.map((n) => env[n])));
  io.stderr.write(mask(`swarm: ${e?.message ?? String(err)}\n`));
  if (verbose && e?.stack) io.stderr.write(mask(e.stack + '\n'));
  return exitCodeOf(err);
}

async function version(): Promise<string> {
  const { readFileSync } = await import('node:fs');
  return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version as string;
}
