// Target 5: `swarm status` against a state of 1,000 tickets, against `node -e 0` (the floor for any Node
// CLI), median of 10 each, interleaved. Then one more `swarm status` under a module-recording preload
// (bench/lib/record-modules.mjs): Octokit, the Linear SDK and nunjucks must not be among the modules it
// loads. The recorder is first shown to see those modules when they are loaded (positive control), so a
// broken recorder cannot pass the check.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, ROOT } from '../lib/paths.mjs';
import { makeRepo } from '../lib/repo.mjs';
import { median } from '../lib/stats.mjs';

const TICKETS = 1000;
const RUNS = 10;
const HEAVY = /\/node_modules\/(@octokit\/|@linear\/sdk\/|nunjucks\/)/;
const RECORDER = path.join(ROOT, 'bench', 'lib', 'record-modules.mjs');

function ticket(i, now) {
  const statuses = ['review', 'review', 'review', 'failed', 'released', 'retry_wait', 'running'];
  const status = statuses[i % statuses.length];
  const at = new Date(now - (TICKETS - i) * 60_000).toISOString();
  const attempts = Array.from({ length: 1 + (i % 3) }, (_, k) => ({
    number: k + 1, model: k < 2 ? 'sonnet' : 'opus', outcome: status === 'running' && k === i % 3 ? 'running' : k === i % 3 ? 'pr_opened' : 'no_changes',
    counted: k < i % 3, reason: 'finished', summary: 'Changed the handler and added a test.', started_at: at, ended_at: at, duration_ms: 120_000,
    cost_usd: 0.42, tokens: { input: 1200, output: 3400, cacheRead: 50_000, cacheCreation: 2000 }, session_id: `s-${i}-${k}`,
    pid: null, pid_start: null, run_file: `.swarm/runs/${i}/${k + 1}.jsonl`,
  }));
  return {
    key: String(i), identifier: `#${i}`, title: `Ticket number ${i}: make the thing better`, url: `https://github.com/acme/widgets/issues/${i}`,
    branch: `swarm/${i}-ticket-number-${i}`, worktree: `/repo/.swarm/worktrees/swarm-${i}`, status, attempts, failures: i % 3,
    next_retry_at: status === 'retry_wait' ? new Date(now + 600_000).toISOString() : null, retry_reason: status === 'retry_wait' ? 'no_changes' : null,
    pr: status === 'review' ? { number: 10_000 + i, url: `https://github.com/acme/widgets/pull/${10_000 + i}` } : null,
    cost_usd: 0.42 * attempts.length, claimed_at: at, updated_at: at, last_event: 'PR opened', tracker_synced: true,
  };
}

function writeState(dir) {
  const now = Date.now();
  const tickets = {};
  for (let i = 1; i <= TICKETS; i++) tickets[String(i)] = ticket(i, now);
  const d = new Date(now);
  const date = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  const state = {
    version: 1, tickets, pause: null, canary: false, breaker: { recent: [], consecutive: 0, level: 0 },
    daily: { date, cost_usd: 12.5, tokens: { input: 1, output: 1, cacheRead: 1, cacheCreation: 1 }, attempts: {}, prs: 40 }, daemon: null,
  };
  fs.mkdirSync(path.join(dir, '.swarm'), { recursive: true });
  fs.writeFileSync(path.join(dir, '.swarm', 'state.json'), JSON.stringify(state));
}

function timed(cmd, args, opts) {
  const t0 = performance.now();
  const res = spawnSync(cmd, args, { ...opts, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${res.status}: ${res.stderr}`);
  return { ms, stdout: res.stdout };
}

function loadedModules(args, cwd, env) {
  const file = path.join(cwd, `.modules-${process.pid}-${Date.now()}.txt`);
  const res = spawnSync(process.execPath, ['--import', RECORDER, ...args], { cwd, env: { ...env, SWARM_BENCH_MODULES_FILE: file }, encoding: 'utf8' });
  const mods = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  fs.rmSync(file, { force: true });
  return { status: res.status, mods, stderr: res.stderr };
}

export async function benchCliStart(log) {
  const repo = await makeRepo();
  try {
    writeState(repo.dir);
    const env = { ...process.env, NO_COLOR: '1' };
    const opts = { cwd: repo.dir, env };
    const first = timed(process.execPath, [BIN, 'status'], opts); // warm the page cache for both
    timed(process.execPath, ['-e', '0'], opts);
    if (!/review|running|failed/i.test(first.stdout)) throw new Error(`swarm status printed no tickets:\n${first.stdout.slice(0, 400)}`);
    const node = [];
    const swarm = [];
    for (let i = 0; i < RUNS; i++) {
      node.push(timed(process.execPath, ['-e', '0'], opts).ms);
      swarm.push(timed(process.execPath, [BIN, 'status'], opts).ms);
    }
    const n = median(node);
    const s = median(swarm);

    const control = loadedModules(['--input-type=module', '-e', "import('nunjucks'); await import('@octokit/rest'); await import('@linear/sdk');"], ROOT, env);
    const controlSeen = ['nunjucks', '@octokit', '@linear/sdk'].every((m) => control.mods.some((u) => u.includes(`/node_modules/${m}`)));
    const status = loadedModules([BIN, 'status'], repo.dir, env);
    const heavy = [...new Set(status.mods.filter((u) => HEAVY.test(u)).map((u) => u.replace(/^.*\/node_modules\/((?:@[^/]+\/)?[^/]+).*$/, '$1')))];
    const fromNodeModules = new Set(status.mods.filter((u) => u.includes('/node_modules/')).map((u) => u.replace(/^.*\/node_modules\/((?:@[^/]+\/)?[^/]+).*$/, '$1')));
    log(`swarm status (${TICKETS} tickets, ${first.stdout.split('\n').length} lines): median ${s.toFixed(0)} ms vs node -e 0 ${n.toFixed(0)} ms; ${status.mods.length} modules loaded, packages: ${[...fromNodeModules].sort().join(', ') || 'none'}`);
    const modulesOk = status.status === 0 && controlSeen && heavy.length === 0;
    return [
      { target: `5 CLI start: swarm status, ${TICKETS} tickets (median of ${RUNS})`, measured: s, baseline: n, ratio: s / n, limit: '≤ 4×', pass: s / n <= 4, unit: 'ms', baselineNote: 'node -e 0' },
      {
        target: '5 CLI start: heavy modules loaded by swarm status', measured: heavy.length === 0 ? 'none' : heavy.join(', '), baseline: null, limit: 'none of Octokit, Linear SDK, nunjucks',
        pass: modulesOk, unit: '', note: controlSeen ? `recorder control saw all three when imported; status loads: ${[...fromNodeModules].sort().join(', ') || 'no packages'}` : 'module recorder failed its control: result not trustworthy',
      },
    ];
  } finally {
    repo.cleanup();
  }
}
