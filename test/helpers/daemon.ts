// End-to-end harness: a real project (git repo + bare origin + WORKFLOW.md), `bin/swarm.js` started as a
// real process, and small waiting helpers. Every e2e test builds on this, so they all drive swarm the
// way a user does. Requires `npm run build` first (`npm test` does it).
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { makeRepo, git, type TestRepo } from './git-repo.js';
import { startFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from './fake-github.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin', 'swarm.js');
export const FAKE_CLAUDE = path.join(ROOT, 'test', 'helpers', 'fake-claude.mjs');

/** Variables a developer's shell may carry that must never leak into a test daemon. */
const STRIP = ['GITHUB_TOKEN', 'GH_TOKEN', 'LINEAR_API_KEY', 'ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN', 'NO_COLOR', 'FORCE_COLOR'];

export interface Project extends TestRepo {
  workflowPath: string;
  /** Environment for swarm processes (add to it freely). */
  env: Record<string, string>;
  scenariosFile: string;
  /** JSON lines appended by the fake claude: {argv, cwd, env, model, pid, ts}. */
  claudeLog: string;
  promptDir: string;
  swarmDir: string;
  writeWorkflow(config: Record<string, unknown>, prompt?: string): void;
  /** Commit WORKFLOW.md as it is (writeWorkflow does; a raw write in a test calls this). */
  commitWorkflow(): void;
  setScenarios(map: Record<string, unknown>): void;
  claudeCalls(): { argv: string[]; cwd: string; env: Record<string, string>; model: string | null; pid: number; ts: number; t0: number }[];
  state(): any;
  /** The daemon's report, .swarm/daemon.json (its configuration in force and its views), or null. */
  report(): any;
  events(): any[];
}

export const DEFAULT_PROMPT = 'Work on {{ issue.identifier }}: {{ issue.title }}\n<<<{{ fence }}\n{{ issue.body }}\n{{ fence }}>>>\nAttempt {{ attempt }} on {{ model }}, branch {{ branch }}.\n';

/** Deep-merge plain objects (arrays and scalars replace). */
export function merge(a: Record<string, any>, b: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' && !Array.isArray(out[k]) ? merge(out[k], v) : v;
  }
  return out;
}

/**
 * A project ready for `swarm start`. `config` is merged over fast test defaults (1 s polling, short
 * backoffs, the fake claude as agent.command). JSON is valid YAML, so the front matter is JSON.
 */
export async function makeProject(config: Record<string, unknown> = {}, opts: { prompt?: string; scenarios?: Record<string, unknown> } = {}): Promise<Project> {
  const repo = await makeRepo({ setRemoteHead: true });
  const workflowPath = path.join(repo.dir, 'WORKFLOW.md');
  const scenariosFile = path.join(repo.base, 'scenarios.json');
  const claudeLog = path.join(repo.base, 'claude-calls.jsonl');
  const promptDir = path.join(repo.base, 'prompts');
  fs.mkdirSync(promptDir);
  fs.writeFileSync(path.join(repo.dir, '.gitignore'), '.swarm/\n');
  await git(repo.dir, 'add', '.gitignore');
  await git(repo.dir, 'commit', '-qm', 'ignore .swarm');
  await git(repo.dir, 'push', '-q', 'origin', 'main');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !STRIP.includes(k)) env[k] = v;
  Object.assign(env, {
    FAKE_CLAUDE_SCENARIOS: scenariosFile,
    FAKE_CLAUDE_LOG: claudeLog,
    FAKE_CLAUDE_PROMPT_DIR: promptDir,
    FAKE_CLAUDE_SESSIONS: path.join(repo.base, 'claude-sessions'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Swarm Agent',
    GIT_AUTHOR_EMAIL: 'agent@example.invalid',
    GIT_COMMITTER_NAME: 'Swarm Agent',
    GIT_COMMITTER_EMAIL: 'agent@example.invalid',
    // The shared Claude account's file lives here: one test's daemons never share a usage limit with another's.
    XDG_STATE_HOME: path.join(repo.base, 'xdg-state'),
  });
  const defaults = {
    tracker: { kind: 'local', path: '.swarm/tickets' },
    polling: { interval: '1s' },
    // Unconfined by default: these scenarios' fake agent pushes and opens PRs itself, as under pr.publish:
    // agent (test/e2e/containment*.test.ts run it sandboxed). As root, unconfined bypass mode needs the
    // operator's explicit IS_SANDBOX, as on any disposable CI machine.
    agent: { command: FAKE_CLAUDE, max_concurrent: 2, retry_backoff: '1s', max_retry_backoff: '4s', stall_timeout: '20s', timeout: '60s', fast_fail: '0', sandbox: 'off', env: { IS_SANDBOX: '1' } },
    hooks: { timeout: '20s' },
  };
  const project: Project = {
    ...repo,
    workflowPath,
    env,
    scenariosFile,
    claudeLog,
    promptDir,
    swarmDir: path.join(repo.dir, '.swarm'),
    writeWorkflow(cfg, prompt = opts.prompt ?? DEFAULT_PROMPT) {
      fs.writeFileSync(workflowPath, `---\n${JSON.stringify(merge(defaults, cfg), null, 2)}\n---\n${prompt}`);
      project.commitWorkflow();
    },
    commitWorkflow() {
      // The operator's edits are committed: with unconfined agents running (the default here), swarm holds
      // an uncommitted WORKFLOW.md change made during a run until it is committed or `swarm resume`.
      const opts = { cwd: repo.dir, stdio: 'ignore' as const, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } };
      execFileSync('git', ['add', '--', 'WORKFLOW.md'], opts);
      execFileSync('git', ['commit', '--quiet', '--allow-empty', '--no-verify', '-m', 'WORKFLOW.md', '--', 'WORKFLOW.md'], opts);
    },
    setScenarios(map) {
      fs.writeFileSync(scenariosFile, JSON.stringify(map, null, 2));
    },
    claudeCalls() {
      if (!fs.existsSync(claudeLog)) return [];
      return fs.readFileSync(claudeLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    },
    state() {
      return JSON.parse(fs.readFileSync(path.join(repo.dir, '.swarm', 'state.json'), 'utf8'));
    },
    report() {
      const f = path.join(repo.dir, '.swarm', 'daemon.json');
      return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')) : null;
    },
    events() {
      const f = path.join(repo.dir, '.swarm', 'events.jsonl');
      if (!fs.existsSync(f)) return [];
      return fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    },
  };
  project.writeWorkflow(config);
  project.setScenarios(opts.scenarios ?? { default: ['commit_and_pr'] });
  return project;
}

/** Config for a GitHub-tracked project against a fake GitHub server. */
export function githubConfig(fake: { url: string; fullName: string }, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return merge(
    {
      tracker: { kind: 'github', api_url: fake.url, repo: fake.fullName, token: '$SWARM_TEST_GH_TOKEN', trusted_labelers_only: false, throttle_writes: false },
      agent: { env: { FAKE_GITHUB_TOKEN: '$SWARM_TEST_GH_TOKEN', FAKE_GITHUB_API: fake.url } },
    },
    extra,
  );
}

export interface Daemon {
  proc: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM twice if needed, then wait for exit (used in afterEach). */
  stop(): Promise<void>;
}

/** Daemons started by the current test; `test/setup.ts` prints their output when the test fails. */
export const startedDaemons: Daemon[] = [];
/** `runCli` runs of the current test (printed the same way). */
export const cliRuns: { args: string[]; code: number; stdout: string; stderr: string }[] = [];

export function startDaemon(project: { dir: string; env: Record<string, string> }, args: string[] = ['start'], extraEnv: Record<string, string> = {}): Daemon {
  const proc = spawn(process.execPath, [BIN, ...args], { cwd: project.dir, env: { ...project.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d) => (stdout += d));
  proc.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  let done = false;
  void exited.then(() => (done = true));
  const daemon: Daemon = {
    proc,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    exited,
    async waitForOutput(re, timeoutMs = 30_000) {
      await waitFor(() => re.test(stdout) || done, { timeoutMs, what: `daemon output ${re}` });
      const m = stdout.match(re);
      if (!m) throw new Error(`daemon exited before printing ${re}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
      return m;
    },
    kill(signal = 'SIGTERM') {
      if (!done) proc.kill(signal);
    },
    async stop() {
      if (done) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGTERM'), 500);
      const k = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
      clearTimeout(k);
    },
  };
  startedDaemons.push(daemon);
  return daemon;
}

/** Run a swarm command to completion. */
export function runCli(project: { dir: string; env: Record<string, string> }, args: string[], opts: { timeoutMs?: number; cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? project.dir, env: { ...project.env, ...opts.env }, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
      cliRuns.push({ args, code, stdout, stderr });
      resolve({ code, stdout, stderr });
    });
  });
}

/** Poll `fn` until it returns truthy; throws with `what` on timeout. */
export async function waitFor<T>(fn: () => T | Promise<T>, opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${opts.what ?? 'condition'}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

/** Max number of attempts running at the same time, from the events log. */
export function maxOverlap(events: { type: string; ticket?: string; at: string }[]): number {
  let cur = 0;
  let max = 0;
  for (const e of events) {
    if (e.type === 'started') max = Math.max(max, ++cur);
    if (e.type === 'finished') cur--;
  }
  return max;
}

/** Processes whose command line or environment mention `needle` (used to prove nothing is left running). */
export function processesMentioning(needle: string): number[] {
  const hits: number[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (/\) Z /.test(stat)) continue; // zombies are dead (nobody reaps them in this container)
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
      if (cmd.includes(needle) || env.includes(needle)) hits.push(Number(pid));
    } catch {
      /* gone */
    }
  }
  return hits.filter((p) => p !== process.pid);
}

/** A live process (zombies count as dead: nobody reaps orphans in this container). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The pid written to a file (the fake claude's spawnSleep pidFile), or null when not written yet. */
export function readPidFile(file: string): number | null {
  return fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8').trim()) || null : null;
}

/** SIGKILL whatever a test left running under `base` (agents, grandchildren), so one test never leaks into the next. */
export function killLeftovers(base: string): void {
  for (const pid of processesMentioning(base)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/**
 * One project for a whole test file: made before its tests (handed to `set`), and after them whatever it left
 * running is killed and its folders removed.
 */
export function useProject(set: (p: Project) => void): void {
  let project: Project | undefined;
  beforeAll(async () => set((project = await makeProject())));
  afterAll(() => {
    if (!project) return;
    killLeftovers(project.base);
    project.cleanup();
  });
}

/** A project wired to a fresh fake GitHub (its bare origin backs the PR checks); the token is in env. */
export async function githubWorld(fake: Omit<FakeGitHubOptions, 'gitDir'> = {}): Promise<{ project: Project; gh: FakeGitHub }> {
  const project = await makeProject();
  const gh = await startFakeGitHub({ gitDir: project.origin, ...fake });
  project.env.SWARM_TEST_GH_TOKEN = gh.token;
  return { project, gh };
}

/** Stop the daemon, kill anything the test left running, close the fake, delete the project. */
export async function teardown(daemon: Daemon | null, gh: FakeGitHub | undefined, project: Project | undefined): Promise<void> {
  await daemon?.stop();
  if (project) killLeftovers(project.base);
  await gh?.close();
  project?.cleanup();
}
