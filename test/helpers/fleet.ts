// A fleet for end-to-end tests: one bare origin and one fake GitHub, N clones of the repository (one
// daemon each, as on N machines), one real PostgreSQL database shared through `state.url`. Each clone
// talks to GitHub with its own token, so the fake's request log tells which daemon wrote what.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { git } from './git-repo.js';
import { afterEach } from 'vitest';
import { FAKE_CLAUDE, githubConfig, makeProject, merge, DEFAULT_PROMPT, killLeftovers, runCli, startDaemon, type Daemon, type Project } from './daemon.js';
import type { PostgresServer } from './postgres.js';
import { usePostgres } from './use-postgres.js';
import { startFakeGitHub, type FakeGitHub } from './fake-github.js';
import { startInPidNamespace, type NamespacedDaemon } from './pidns.js';

export interface Member {
  name: string;
  /** The clone's working directory (cwd of its daemon and CLI runs). */
  dir: string;
  env: Record<string, string>;
  token: string;
  swarmDir: string;
  writeWorkflow(config?: Record<string, unknown>): void;
  state(): any;
  /** The member daemon's report, .swarm/daemon.json (its fleet view among others), or null. */
  report(): any;
  events(): any[];
}

export interface FleetWorld {
  origin: Project;
  gh: FakeGitHub;
  members: Member[];
  /** The fake claude's call log, shared by every member. */
  claudeCalls(): ReturnType<Project['claudeCalls']>;
  setScenarios(map: Record<string, unknown>): void;
  close(): Promise<void>;
}

/** `n` clones sharing `url`; `config` is merged over the fleet defaults in every member's WORKFLOW.md. */
export async function fleetWorld(n: number, url: string, config: Record<string, unknown> = {}): Promise<FleetWorld> {
  const origin = await makeProject();
  const tokens = Array.from({ length: n }, (_, i) => `ghp_fleetMember${i + 1}Token000000`);
  const gh = await startFakeGitHub({ gitDir: origin.origin, token: tokens[0] });
  gh.setTokens(tokens);
  const members: Member[] = [];
  for (let i = 0; i < n; i++) {
    const name = `m${i + 1}`;
    const dir = path.join(origin.base, name);
    await git(origin.base, 'clone', '--quiet', origin.origin, dir);
    await git(dir, 'remote', 'set-head', 'origin', 'main');
    for (const [k, v] of [['user.name', 'Swarm Test'], ['user.email', 'swarm-test@example.invalid'], ['commit.gpgsign', 'false']]) await git(dir, 'config', k!, v!);
    const env = { ...origin.env, SWARM_TEST_GH_TOKEN: tokens[i]!, FAKE_GITHUB_TOKEN: tokens[i]! };
    const swarmDir = path.join(dir, '.swarm');
    const member: Member = {
      name,
      dir,
      env,
      token: tokens[i]!,
      swarmDir,
      writeWorkflow(extra = {}) {
        const defaults = {
          polling: { interval: '1s' },
          // Unconfined, like makeProject's projects: the fake agent pushes and opens its PRs itself.
          agent: { command: FAKE_CLAUDE, max_concurrent: 2, retry_backoff: '1s', max_retry_backoff: '4s', stall_timeout: '20s', timeout: '60s', fast_fail: '0', sandbox: 'off', env: { IS_SANDBOX: '1' } },
          hooks: { timeout: '20s' },
          state: { url },
        };
        const cfg = merge(merge(defaults, githubConfig(gh)), merge(config, extra));
        fs.writeFileSync(path.join(dir, 'WORKFLOW.md'), `---\n${JSON.stringify(cfg, null, 2)}\n---\n${DEFAULT_PROMPT}`);
        // Committed, as an operator's edit (an uncommitted one made while an unconfined agent ran is held).
        const opts = { cwd: dir, stdio: 'ignore' as const, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } };
        execFileSync('git', ['add', '--', 'WORKFLOW.md'], opts);
        execFileSync('git', ['-c', 'user.name=Swarm Test', '-c', 'user.email=swarm-test@example.invalid', 'commit', '--quiet', '--allow-empty', '--no-verify', '-m', 'WORKFLOW.md', '--', 'WORKFLOW.md'], opts);
      },
      state: () => JSON.parse(fs.readFileSync(path.join(swarmDir, 'state.json'), 'utf8')),
      report: () => (fs.existsSync(path.join(swarmDir, 'daemon.json')) ? JSON.parse(fs.readFileSync(path.join(swarmDir, 'daemon.json'), 'utf8')) : null),
      events: () => {
        const f = path.join(swarmDir, 'events.jsonl');
        return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
      },
    };
    member.writeWorkflow();
    members.push(member);
  }
  return {
    origin,
    gh,
    members,
    claudeCalls: () => origin.claudeCalls(),
    setScenarios: (map) => origin.setScenarios(map),
    async close() {
      killLeftovers(origin.base);
      await gh.close();
      origin.cleanup();
    },
  };
}

/** Agents alive now, per ticket: distinct process groups whose environment names the ticket (from /proc). */
export function liveAgents(base: string): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const p of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const env = fs.readFileSync(`/proc/${p}/environ`, 'utf8').split('\0');
      if (!env.some((kv) => kv.startsWith('SWARM_WORKSPACE=') && kv.includes(base))) continue;
      const ticket = env.find((kv) => kv.startsWith('SWARM_TICKET_ID='))?.slice('SWARM_TICKET_ID='.length);
      if (!ticket) continue;
      if (!out.has(ticket)) out.set(ticket, new Set());
      out.get(ticket)!.add(Number(fields[2])); // the process group: one agent, whatever it spawned
    } catch {
      /* gone */
    }
  }
  return out;
}

/**
 * Every push the bare origin receives, with the pushing daemon's GitHub token (a pre-receive hook finds it
 * among the pusher's ancestors, below), so a test can tell which daemon pushed what, when.
 */
export function logPushes(origin: string, logFile: string): () => { at: number; token: string; ref: string; sha: string }[] {
  const hook = path.join(origin, 'hooks', 'pre-receive');
  // Who pushed: swarm's own git runs with an allow-listed environment (no test variables), so the hook
  // walks up from git-receive-pack to the first ancestor whose environment names a member's token: the
  // daemon (or an agent) that ran `git push`.
  const script = [
    '#!/bin/sh',
    'who=none; p=$PPID',
    'while [ -n "$p" ] && [ "$p" -gt 1 ]; do',
    '  t=$(tr "\\0" "\\n" < /proc/$p/environ 2>/dev/null | sed -n "s/^SWARM_TEST_GH_TOKEN=//p" | head -n 1)',
    '  if [ -n "$t" ]; then who=$t; break; fi',
    '  p=$(sed -e "s/^.*) //" /proc/$p/stat 2>/dev/null | cut -d " " -f 2)',
    'done',
    `while read old new ref; do echo "$(date +%s%3N) $who $ref $new" >> '${logFile}'; done`,
    '',
  ].join('\n');
  fs.writeFileSync(hook, script, { mode: 0o755 });
  return () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => {
    const [at, token, ref, sha] = l.split(' ');
    return { at: Number(at), token: token!, ref: ref!, sha: sha! };
  }) : []);
}

export interface FleetSuite {
  /** The suite's own PostgreSQL server, started before the file's first test. */
  readonly pg: PostgresServer;
  /** A fleet of `n` clones on `url`, closed (daemons stopped first) after the test. */
  world(n: number, url: string, config?: Record<string, unknown>): Promise<FleetWorld>;
  /** Start a member's daemon; stopped after the test. */
  start(m: Member, args?: string[]): Daemon;
  /** Start a member's daemon in a PID namespace of its own (another machine, same host name); stopped after the test. */
  startElsewhere(m: Member, args?: string[]): NamespacedDaemon;
  cli(m: Member, args: string[], env?: Record<string, string>): ReturnType<typeof runCli>;
}

/** The hooks every fleet e2e file needs: one PostgreSQL per file, and daemons and worlds torn down per test. */
export function useFleetSuite(): FleetSuite {
  const postgres = usePostgres();
  let world: FleetWorld | null = null;
  const daemons: Daemon[] = [];
  afterEach(async () => {
    await Promise.all(daemons.splice(0).map((d) => d.stop()));
    await world?.close();
    world = null;
  });
  return {
    get pg() {
      return postgres.server;
    },
    async world(n, url, config = {}) {
      world = await fleetWorld(n, url, config);
      return world;
    },
    start(m, args = ['start']) {
      const d = startDaemon({ dir: m.dir, env: m.env }, args);
      daemons.push(d);
      return d;
    },
    startElsewhere(m, args = ['start']) {
      const d = startInPidNamespace({ dir: m.dir, env: m.env }, args);
      daemons.push(d);
      return d;
    },
    cli: (m, args, env = {}) => runCli({ dir: m.dir, env: m.env }, args, { env }),
  };
}
