// A project to run swarm in (real repo + bare origin + WORKFLOW.md pointing at the fake GitHub and the
// fake claude) and the daemon as a real `node bin/swarm.js start` process, as a user runs it. Plain JS
// twin of test/helpers/daemon.ts (which is TypeScript and locates the checkout from its own path).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, EL_MONITOR, FAKE_CLAUDE } from './paths.mjs';
import { GIT_ENV, makeRepo } from './repo.mjs';
import { seeded } from './stats.mjs';

const STRIP = ['GITHUB_TOKEN', 'GH_TOKEN', 'LINEAR_API_KEY', 'ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN', 'NO_COLOR', 'FORCE_COLOR', 'NODE_OPTIONS'];
const PROMPT = 'Work on {{ issue.identifier }}: {{ issue.title }}\n<<<{{ fence }}\n{{ issue.body }}\n{{ fence }}>>>\n';

function merge(a, b) {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const plain = (x) => x && typeof x === 'object' && !Array.isArray(x);
    out[k] = plain(v) && plain(out[k]) ? merge(out[k], v) : v;
  }
  return out;
}

/** A repository with `files` generated files, configured for the GitHub tracker against `gh`. */
export async function makeProject(gh, { files = 0, config = {}, scenario = [{ init: true }, { sleep: 600_000 }], repo: given = null } = {}) {
  // `repo`: one made beforehand (a fake GitHub that serves PR heads from its bare origin needs it first).
  const repo = given ?? (await makeRepo({ files }));
  const scenariosFile = path.join(repo.base, 'scenarios.json');
  const claudeLog = path.join(repo.base, 'claude-calls.jsonl');
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !STRIP.includes(k)) env[k] = v;
  Object.assign(env, GIT_ENV, {
    FAKE_CLAUDE_SCENARIOS: scenariosFile,
    FAKE_CLAUDE_LOG: claudeLog,
    SWARM_BENCH_GH_TOKEN: gh.token,
  });
  const workflow = merge(
    {
      tracker: { kind: 'github', api_url: gh.url, repo: gh.fullName, token: '$SWARM_BENCH_GH_TOKEN', trusted_labelers_only: false, throttle_writes: false, exclude_labels: ['blocked'] },
      polling: { interval: '1s' },
      agent: {
        command: FAKE_CLAUDE, max_concurrent: 20, fast_fail: '0', stall_timeout: '10m', timeout: '10m', retry_backoff: '10m', max_retry_backoff: '30m',
        // These targets measure swarm's own overhead with an agent that pushes and opens its PR itself;
        // what the sandbox adds per attempt is target #21 (targets/sandbox.mjs).
        sandbox: 'off',
        env: { FAKE_GITHUB_TOKEN: '$SWARM_BENCH_GH_TOKEN', FAKE_GITHUB_API: gh.url, IS_SANDBOX: '1' },
      },
      hooks: { timeout: '60s' },
    },
    config,
  );
  fs.writeFileSync(path.join(repo.dir, 'WORKFLOW.md'), `---\n${JSON.stringify(workflow, null, 2)}\n---\n${PROMPT}`);
  fs.writeFileSync(scenariosFile, JSON.stringify({ default: [scenario] }));
  return {
    ...repo,
    env,
    claudeLog,
    swarmDir: path.join(repo.dir, '.swarm'),
    /** Calls recorded by the fake claude: {argv, env: {SWARM_*}, pid, ts (ISO, taken as it starts)}. */
    claudeCalls() {
      if (!fs.existsSync(claudeLog)) return [];
      return fs.readFileSync(claudeLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    },
    events() {
      const f = path.join(repo.dir, '.swarm', 'events.jsonl');
      if (!fs.existsSync(f)) return [];
      return fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    },
  };
}

/**
 * `node [--import el-monitor] bin/swarm.js start` in the project. `hostname`: run it as on another machine —
 * in UTS and PID namespaces of its own under that host name (`unshare -u -p`, root only): the fleet judges a
 * holder by its place (machine, boot, PID namespace), never by a host name, so a namespace of its own is what
 * makes its pids mean nothing to the others. The daemon is the namespace's pid 1: SIGKILL to `proc` (unshare,
 * --kill-child) ends it and everything it started, like the machine going away.
 */
export function startDaemon(project, { monitorFile = null, hostname = null } = {}) {
  const args = [...(monitorFile ? ['--import', EL_MONITOR] : []), BIN, 'start'];
  const env = { ...project.env, ...(monitorFile ? { SWARM_BENCH_EL_FILE: monitorFile } : {}) };
  const [cmd, argv] = hostname
    ? ['unshare', ['-u', '-p', '-f', '--mount-proc', '--kill-child=SIGKILL', 'sh', '-c', 'hostname "$1" && shift && exec "$@"', 'sh', hostname, process.execPath, ...args]]
    : [process.execPath, args];
  const proc = spawn(cmd, argv, { cwd: project.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => (stdout += d));
  proc.stderr.on('data', (d) => (stderr += d));
  let done = false;
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => { done = true; resolve({ code, signal }); }));
  return {
    proc,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    get done() { return done; },
    exited,
    async waitForOutput(re, timeoutMs = 60_000) {
      await waitFor(() => re.test(stdout) || done, { timeoutMs, what: `daemon output ${re}` });
      if (!re.test(stdout)) throw new Error(`daemon exited before printing ${re}\n${stdout}\n${stderr}`);
    },
    /** SIGTERM (drain), SIGTERM again (stop agents), SIGKILL after 30 s. */
    async stop() {
      if (done) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => !done && proc.kill('SIGTERM'), 300);
      const k = setTimeout(() => !done && proc.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(t);
      clearTimeout(k);
    },
  };
}

export async function waitFor(fn, { timeoutMs = 60_000, intervalMs = 20, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Add the `agent` label to each issue (beside `bug`) at a seeded random moment within `windowMs`, as
 * `actor`; returns when each was labelled (epoch ms) and when the window began.
 */
export async function labelAtRandom(gh, issues, { windowMs, seed, actor }) {
  const rnd = seeded(seed);
  const plan = issues.map((n) => ({ n, offset: Math.floor(rnd() * windowMs) })).sort((a, b) => a.offset - b.offset);
  const t0 = Date.now();
  const labelledAt = new Map();
  for (const { n, offset } of plan) {
    await sleep(Math.max(0, t0 + offset - Date.now()));
    labelledAt.set(n, Date.now());
    gh.setLabels(n, ['bug', 'agent'], actor);
  }
  return { t0, labelledAt };
}

/** The daemon's poll requests (the fixed, ETag'd listing URL). */
export const isListing = (gh, r) => r.method === 'GET' && r.path.startsWith(`/repos/${gh.fullName}/issues?`);

/** Kill any agent process group the daemon left behind (by the pids the fake claude logged). */
export function killAgents(project) {
  for (const c of project.claudeCalls()) {
    try { process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

/**
 * When process `pid` was created (epoch ms, 10 ms resolution), from /proc/<pid>/stat starttime (clock
 * ticks since boot) and /proc/uptime; null once it is gone. This is the moment the agent was spawned,
 * before its own runtime starts (the fake claude's logged `ts` comes ~50 ms later, after Node boots).
 */
export function processStartEpochMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(fields[19]);
    const uptimeS = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const bootEpochMs = Date.now() - uptimeS * 1000;
    return bootEpochMs + (startTicks * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}
const CLK_TCK = 100; // USER_HZ on Linux
