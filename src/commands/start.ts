// `swarm start`: load and check everything, take the repository lock, recover the previous run, then
// hand over to the poll loop. Signals: first SIGINT/SIGTERM drains, the second stops every agent.
import { existsSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { loadWorkflow } from '../config/workflow.js';
import { saveLastGood } from '../config/last-good.js';
import { checkExposure } from '../config/server.js';
import type { Workflow } from '../config/types.js';
import { Logger, type LogFormat } from '../log/logger.js';
import { FileStateStore } from '../backend/embedded/state-store.js';
import { swarmPaths } from '../state/paths.js';
import { budgetZoneFor, setBudgetZone } from '../core/budget-day.js';
import { acquireLock, heartbeat, releaseLock } from '../state/lock.js';
import { runAgent } from '../agent/runner.js';
import { lifelineFor, supervisorProgram } from '../agent/lifeline.js';
import { rootBypassCheck } from '../agent/args.js';
import type { RunRequest } from '../agent/types.js';
import { makeServices } from '../services.js';
import type { Services } from '../orchestrator/runtime.js';
import { redactServices } from '../tracker/redacting.js';
import { NO_FENCE, fenceServices, type Fence } from '../fleet/fence.js';
import { Orchestrator, type Mode } from '../orchestrator/orchestrator.js';
import { openBackend } from '../backend/open.js';
import type { Backend } from '../backend/types.js';
import { accountFor, openAccount, type OpenedAccount } from '../account/open.js';
import { killStrayAgents, recover, restoreFromEvents } from '../orchestrator/recovery.js';
import { startSweeper, type Sweeper } from '../orchestrator/sweeper.js';
import { eventFiles } from '../state/rebuild.js';
import { startSurfaces, type Surfaces } from '../server/surfaces.js';
import { dryRun } from './dry-run.js';
import { findRepoRoot, useColor, type IO } from './common.js';
import { findExecutable } from '../util/executable.js';
import { InterruptedError, UsageError } from '../errors.js';
import { unlessDiskFull } from '../util/atomic-file.js';
import { webhooksOn } from '../webhooks/health.js';
import type { HintBus } from '../webhooks/bus.js';
import { Containment } from '../containment/containment.js';
import { tightenSwarmDir } from '../state/file-modes.js';

export interface StartOptions {
  workflow?: string;
  once?: boolean;
  untilIdle?: boolean;
  dryRun?: boolean;
  port?: string;
  verbose?: boolean;
  logFormat?: string;
}

export async function startCommand(opts: StartOptions, io: IO): Promise<number> {
  if (opts.once && opts.untilIdle) throw new UsageError('--once and --until-idle cannot be used together');
  const format = (opts.logFormat ?? 'text') as LogFormat;
  if (format !== 'text' && format !== 'json') throw new UsageError(`--log-format must be text or json (got "${opts.logFormat}")`);
  const repoDir = findRepoRoot(io.cwd);
  const workflowPath = resolve(io.cwd, opts.workflow ?? join(repoDir, 'WORKFLOW.md'));
  const wf = loadWorkflow(workflowPath, io.env);
  setBudgetZone(budgetZoneFor(wf.config)); // before the state is read: its "today" is a budget day
  if (opts.port !== undefined) wf.config.server.port = parsePort(opts.port);
  checkExposure(wf.config.server, wf.path); // --port may have just turned the server on
  checkAgentCommand(wf, io, repoDir);
  const bypass = rootBypassCheck(wf.config.agent.permission_mode, process.getuid?.() === 0, wf.config.agent.env, wf.config.agent.sandbox.enabled);
  if (typeof bypass === 'string') throw new UsageError(`${wf.path}: ${bypass}`);
  const paths = swarmPaths(repoDir);
  const maxMb = wf.config.state.events_max_mb;
  const log = new Logger({ eventsFile: opts.dryRun ? null : paths.events, out: io.stdout, format, verbose: opts.verbose, color: useColor(io), maxEventsBytes: maxMb ? maxMb * 1024 * 1024 : undefined });
  log.setSecrets(wf.secrets);
  for (const w of wf.warnings) log.warn(w);
  if (!opts.dryRun) saveLastGood(paths.dir, wf);
  const serviceCtx = { repoDir, env: io.env, log: (m: string) => log.debug(m) };
  let backend: Backend | null = null;
  // Every tracker and code-host write passes the fence: the backend's once it is open (below).
  const fence: Fence = { check: (k, what) => (backend?.leases.fence ?? NO_FENCE).check(k, what), keyOfBranch: (b) => (backend?.leases.fence ?? NO_FENCE).keyOfBranch(b) };
  // Everything written to the tracker (sticky comments, PR bodies) is masked with the logger's secrets.
  const services = async (w: Workflow) => fenceServices<Services>(redactServices(await makeServices(w, serviceCtx), (t) => log.redact(t)), fence);
  const svc = await services(wf);
  log.setSecrets([...wf.secrets, ...svc.secrets]);
  if (opts.dryRun) return dryRun(wf, svc, paths, io);

  // The agent's sandbox: one that cannot run here stops the start (exit 2) with the fix.
  const containment = await Containment.open({ repoDir, swarmDir: paths.dir, workflowPath, env: io.env, config: wf.config });
  const lock = acquireLock(paths.lock, workflowPath, Date.now());
  if (!lock.ok) {
    await containment.close();
    throw new UsageError(`another swarm daemon (pid ${lock.holder.pid}, started ${lock.holder.started_at}) is already running in ${repoDir}; stop it (kill ${lock.holder.pid}) or use \`swarm status\``);
  }
  if (lock.stale) log.warn(`took over a stale lock from pid ${lock.stale.pid} (that daemon is gone)`);
  tightenSwarmDir(paths.dir);
  if (!containment.sandbox) log.warn(`agent.sandbox is off: agents run UNCONFINED, with this user's files, logins and network (${workflowPath})`);

  const store = new FileStateStore(paths.state, Date.now, { redact: (s) => log.redact(s) });
  const heartbeatTimer = setInterval(() => heartbeat(paths.lock, Date.now()), 5000);
  heartbeatTimer.unref();
  let orch: Orchestrator | null = null;
  let surfaces: Surfaces | null = null;
  let sweeper: Sweeper | null = null;
  let account: OpenedAccount | null = null;
  let bus: HintBus | null = null;
  // A signal before the loop runs stops the start-up at its next step (exit 130, like a shell).
  let interrupted = false;
  const checkpoint = () => {
    if (interrupted) throw new InterruptedError();
  };
  const onSignal = () => {
    if (!orch) interrupted = true;
    else if (!orch.isDraining) orch.drain();
    else void orch.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const hadState = existsSync(paths.state);
    const { state, problem } = store.load();
    if (problem) log.event({ type: 'state_moved_aside', moved_to: problem.movedTo, message: problem.message });
    // A state file moved aside, or gone (deleted by hand, lost with a disk): rebuilt from the events log.
    if (problem || (!hadState && eventFiles(paths.events).length > 0)) {
      restoreFromEvents(state, paths.events, Date.now(), log, (b) => svc.worktrees.pathFor(b));
    }
    const now = Date.now();
    // Embedded (state.json) or a fleet (state.url: the database is the shared truth, state.json this
    // daemon's write-ahead journal), decided in backend/open.ts.
    const opened = await openBackend(wf.config, {
      env: io.env, journal: store, state, repoSlug: svc.repoSlug, repoDir, log, account: accountFor(wf.config, io.env).name,
      live: () => ({ running: orch?.running.size ?? 0, max_concurrent: orch?.workflow.config.agent.max_concurrent ?? wf.config.agent.max_concurrent, draining: orch?.isDraining ?? false }),
    });
    backend = opened;
    checkpoint();
    // The Claude account's usage-limit pause, canary and window figures, shared with every daemon on it.
    account = await openAccount({ config: wf.config, env: io.env, repo: svc.repoSlug, log, accounts: opened.accounts });
    checkpoint();
    // Every agent runs under a supervisor that stops it once this daemon dies or freezes (lifeline.ts):
    // in fleet mode well before its lease could pass to another daemon.
    const lifeline = lifelineFor(opened.leaseTtl, supervisorProgram(io.env));
    const rt = {
      // A fleet keeps one clock for every daemon's deadlines (pauses, retries, budget days): the database's.
      repoDir, paths, env: io.env, now: opened.now, random: Math.random, log, store: opened.store, leases: opened.leases, controls: opened.controls, fleetView: opened.view,
      runAgent: (req: RunRequest) => runAgent({ ...req, lifeline }),
      isRoot: process.getuid?.() === 0, account, containment,
    };
    const built = new Orchestrator(rt, services, wf, svc, state, workflowPath);
    checkpoint();
    // A moved repository first gets its worktrees reconnected (and old-layout ones moved into this
    // repository's namespace), before anything judges them stray or abandoned.
    const repaired = await svc.worktrees.repair().catch((err: Error) => ({ problems: [`git worktree repair failed: ${err.message}`] }));
    for (const p of repaired.problems) log.warn(`worktrees: ${p}`);
    // Only what this daemon holds is its to recover (in fleet mode the others' tickets are theirs).
    await recover(built.ledger, now, log, (key) => rt.leases.holds(key));
    checkpoint();
    await killStrayAgents(svc.worktrees.repoId, log); // orphans the state cannot name (moved aside, or pid never saved)
    await built.save().catch(unlessDiskFull); // a full disk: the loop waits (disk_full pause) and writes once there is room
    checkpoint();
    orch = built;
    const self = opened.view.view()?.self;
    if (opened.hintBus && self && webhooksOn(wf.config)) {
      // A delivery to any daemon of the fleet wakes them all.
      bus = await opened.hintBus((m) => log.warn(m));
      built.webhooks.attachBus(bus, self);
    }
    const mode: Mode = opts.once ? 'once' : opts.untilIdle ? 'until-idle' : 'daemon';
    surfaces = await startSurfaces({ orch, repoDir, paths, log });
    sweeper = startSweeper({ source: orch, paths, log }); // gc at startup and daily, beside the loop
    log.event({ type: 'daemon_started', pid: process.pid, mode, tracker: wf.config.tracker.kind, max_concurrent: wf.config.agent.max_concurrent });
    const code = await orch.run(mode);
    await orch.save();
    log.event({ type: 'daemon_stopped', code });
    return code;
  } catch (err) {
    // Whatever went wrong, nothing keeps running after swarm exits.
    if (orch && orch.running.size > 0) await orch.stop();
    throw err;
  } finally {
    await sweeper?.stop();
    await surfaces?.close();
    await containment.close(); // after every agent stopped: running agents needed its proxy
    await account?.shared.leave(); // a canary this daemon held goes to another
    await bus?.close();
    await backend?.close();
    clearInterval(heartbeatTimer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    releaseLock(paths.lock);
  }
}

function checkAgentCommand(wf: Workflow, io: IO, repoDir: string): void {
  const cmd = wf.config.agent.command;
  if (findExecutable(cmd, io.env, repoDir) === null) {
    throw new UsageError(`${wf.path}: agent.command "${cmd}" was not found${cmd.includes('/') ? '' : ' on PATH'}: install Claude Code (npm install -g @anthropic-ai/claude-code) or set agent.command to its path`);
  }
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be a port number 0–65535 (got "${v}")`);
  return n;
}
