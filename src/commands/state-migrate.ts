// `swarm state migrate [--to URL] [--force]`: copy this clone's embedded state (.swarm/state.json) into a
// fleet database, so the next `swarm start` with state.url set carries on with the same attempts, counted
// failures, retry queue, pause and spend. Holds the repository lock throughout (no daemon may change
// state.json meanwhile), applies the migrations first, and writes everything in one transaction.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Workflow } from '../config/types.js';
import { loadWorkflow } from '../config/workflow.js';
import { processStartTime } from '../agent/procs.js';
import { FileStateStore } from '../backend/embedded/state-store.js';
import { Ledger } from '../state/ledger.js';
import { acquireLock, releaseLock } from '../state/lock.js';
import { swarmPaths, type SwarmPaths } from '../state/paths.js';
import { Logger } from '../log/logger.js';
import { recover } from '../orchestrator/recovery.js';
import { registerSecrets } from '../util/secrets.js';
import { ConfigError, UsageError } from '../errors.js';
import { findRepoRoot, type IO } from './common.js';

export interface MigrateOptions {
  to?: string;
  force?: boolean;
  workflow?: string;
}

export async function stateMigrateCommand(opts: MigrateOptions, io: IO, now: () => number = Date.now): Promise<number> {
  const repoDir = findRepoRoot(io.cwd);
  const paths = swarmPaths(repoDir);
  const wf = loadWorkflow(resolve(io.cwd, opts.workflow ?? join(repoDir, 'WORKFLOW.md')), io.env);
  const url = targetUrl(opts.to, wf.config.state.url, io.env);
  // pg is loaded only by the commands that talk to the database.
  const { poolConfig } = await import('../backend/postgres/connect.js');
  try {
    poolConfig(url, io.env);
  } catch (err) {
    // poolConfig names state.url; the URL may have come from --to instead.
    if (err instanceof ConfigError && opts.to !== undefined) throw new UsageError(err.message.replace(/^state\.url/, '--to'));
    throw err;
  }
  if (!existsSync(paths.state)) throw new UsageError(`nothing to copy: ${paths.state} does not exist (swarm never ran here in embedded mode)`);
  const lock = acquireLock(paths.lock, 'swarm state migrate', now());
  if (!lock.ok) {
    throw new UsageError(`a swarm daemon (pid ${lock.holder.pid}, started ${lock.holder.started_at}) is running in ${repoDir}: stop it first (kill ${lock.holder.pid}); swarm state migrate copies ${paths.state}, which it is changing`);
  }
  try {
    return await copy({ repoDir, paths, wf, url, force: opts.force === true, io, now });
  } finally {
    releaseLock(paths.lock);
  }
}

interface CopyInput {
  repoDir: string;
  paths: SwarmPaths;
  wf: Workflow;
  url: string;
  force: boolean;
  io: IO;
  now: () => number;
}

async function copy(o: CopyInput): Promise<number> {
  const { paths, io } = o;
  const store = new FileStateStore(paths.state, o.now);
  if (store.peek() === null) {
    throw new UsageError(`${paths.state} is unreadable: run \`swarm start --once\` without state.url once (it moves a damaged file aside and rebuilds the records from events.jsonl), then copy again`);
  }
  const { state } = store.load();
  // Attempts a crashed daemon left "running" become interrupted (not counted), as `swarm start` would do,
  // so no record reaches the fleet claiming an agent that nobody runs.
  const log = new Logger({ eventsFile: paths.events, out: null, now: o.now });
  await recover(new Ledger(state, store, log), o.now(), log);

  const { openPool, redactedUrl } = await import('../backend/postgres/connect.js');
  const { migrate } = await import('../backend/postgres/migrate.js');
  const { FleetAdmin } = await import('../backend/postgres/admin-db.js');
  const { planImport, mergeScope, describeImport } = await import('../backend/postgres/import.js');
  const { scopeForClone } = await import('../fleet/scope.js');
  const { daemonId } = await import('../fleet/identity.js');
  const where = redactedUrl(o.url);
  const scope = await scopeForClone(o.wf.config, o.repoDir, o.wf.path);
  const pool = openPool(o.url, io.env, { max: 2, onError: () => undefined });
  try {
    let migrated;
    try {
      migrated = await migrate(pool, { displayUrl: where });
    } catch (err) {
      const e = err as Error & { code?: string };
      if (e.code === 'ECONFIG' || e.code === 'EMIGRATE') throw e;
      throw new Error(`cannot reach the fleet database at ${where} (${e.message}): check the URL and that PostgreSQL is running; nothing was copied`);
    }
    if (migrated.applied.length > 0) io.stdout.write(`fleet database ${where}: applied migration(s) ${migrated.applied.join(', ')} (schema ${migrated.current})\n`);
    const plan = planImport(state);
    let written = plan.scope;
    const result = await new FleetAdmin(pool).importState({
      scope,
      by: daemonId(hostname(), process.pid, processStartTime(process.pid)),
      source: `${hostname()}:${paths.state}`,
      tickets: plan.tickets.map((t) => ({ key: t.key, record: t })),
      scope_row: (existing, copiedBefore) => (written = mergeScope(existing, plan.scope, copiedBefore, o.now())),
      force: o.force,
      summary: { tickets: plan.tickets.length, daily: plan.scope.daily },
    });
    if (!result.ok) throw refusal(result, { where, scope, names: new Map(plan.tickets.map((t) => [t.key, t.identifier || t.key])) });
    for (const line of describeImport(plan, written, { scope, where, overwritten: result.overwritten, scopeExisted: result.scopeExisted, now: o.now() })) io.stdout.write(`${line}\n`);
    if (result.copiedBefore) io.stdout.write(`  (this state.json was copied before, on ${result.copiedBefore}: today's totals were not added again)\n`);
    io.stdout.write(`${nextStep(o.wf.config.state.url, o.url, o.wf.path, redactedUrl)}\n`);
    return 0;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/** `--to` as given (a `$NAME` is read from the environment), else state.url; its password is masked from here on. */
export function targetUrl(to: string | undefined, stateUrl: string | null, env: Record<string, string | undefined>): string {
  let url: string;
  if (to === undefined) {
    if (stateUrl === null) throw new UsageError('say which database to copy into: swarm state migrate --to postgres://user@host/db (the password in the URL, in PGPASSWORD, or the whole URL as $VARIABLE), or set state.url in WORKFLOW.md');
    url = stateUrl;
  } else {
    const ref = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(to.trim());
    const value = ref ? env[ref[1]!] : to;
    if (value === undefined || value.trim() === '') throw new UsageError(`--to is $${ref?.[1] ?? ''}, but the environment variable ${ref?.[1] ?? ''} is not set: export it, or give the URL itself`);
    url = value.trim();
  }
  const masked = [env.PGPASSWORD];
  try {
    const pw = new URL(url).password;
    masked.push(pw, decodeURIComponent(pw));
  } catch {
    /* not a URL: poolConfig says so */
  }
  registerSecrets(masked);
  return url;
}

function refusal(r: { leased: { key: string; holder: string }[]; existing: string[]; copiedBefore: string | null }, o: { where: string; scope: string; names: Map<string, string> }): Error {
  const name = (k: string) => o.names.get(k) ?? k;
  if (r.leased.length > 0) {
    const who = r.leased.map((l) => `${name(l.key)} (held by ${l.holder})`).join(', ');
    return new UsageError(`nothing was copied: running daemons of ${o.scope} hold ${who} in ${o.where}, and a live lease's record is never overwritten; stop those daemons or wait until they let go, then copy again`);
  }
  const parts: string[] = [];
  if (r.existing.length > 0) parts.push(`already holds ${r.existing.length} of these tickets (${r.existing.map(name).join(', ')})`);
  if (r.copiedBefore) parts.push(`already received this state.json on ${r.copiedBefore}`);
  return new UsageError(`nothing was copied: ${o.where} (scope ${o.scope}) ${parts.join(' and ')}; run \`swarm state migrate --force\` to overwrite those records with this clone's`);
}

function nextStep(configured: string | null, url: string, file: string, redacted: (u: string) => string): string {
  if (configured === url) return `next: \`swarm start\` joins the fleet with these records (state.url in ${file} names this database); state.json stays as this clone's journal`;
  if (configured !== null) return `note: state.url in ${file} names another database (${redacted(configured)}); point it at ${redacted(url)} before \`swarm start\``;
  return `next: set state.url in ${file} to this database on every clone (e.g. state.url: $SWARM_STATE_URL), then \`swarm start\``;
}
