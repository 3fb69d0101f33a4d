// Issue #21 target 6: what the agent's sandbox adds to the start of every attempt. The same fake agent
// (test/helpers/fake-claude.mjs, `success`) is started through swarm's runner, alternately unconfined and
// through AgentSandbox.sandboxed() (the wrap — which scans the worktree for files the sandbox always
// protects — bubblewrap, the proxy bridges, the seccomp helper), in a worktree of a 2,000-file repository;
// each start is timed from the call to the agent's first stream line. Reported: both medians, the added ms,
// the start-up ratio, and the ratio on a 60 s attempt (the target: ≤ 1.2×).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DIST, ROOT } from '../lib/paths.mjs';
import { git, makeRepo } from '../lib/repo.mjs';
import { median } from '../lib/stats.mjs';

const RUNS = 12;
const RUN_MS = 60_000;
const FAKE = path.join(ROOT, 'test', 'helpers', 'fake-claude.mjs');

export async function benchSandbox(log) {
  const { AgentSandbox } = await import(path.join(DIST, 'agent', 'sandbox.js'));
  const { runAgent } = await import(path.join(DIST, 'agent', 'runner.js'));
  const repo = await makeRepo({ files: 2000, prefix: 'swarm-bench-sandbox-' });
  const sandbox = await AgentSandbox.start(['api.anthropic.com:443']);
  try {
    const wt = path.join(repo.dir, '.swarm', 'worktrees', 'swarm-1-bench');
    await git(repo.dir, 'worktree', 'add', '-q', '-b', 'swarm/1-bench', wt, 'main');
    const scope = {
      repoDir: repo.dir, commonDir: path.join(repo.dir, '.git'), swarmDir: path.join(repo.dir, '.swarm'), workspaceRoot: path.join(repo.dir, '.swarm', 'worktrees'),
      workflowPath: path.join(repo.dir, 'WORKFLOW.md'), worktree: wt, worktreeGitDir: path.join(repo.dir, '.git', 'worktrees', 'swarm-1-bench'), branch: 'swarm/1-bench',
      privateDir: path.join(repo.dir, '.swarm', 'agents', '1'), extra: { allow_write: [], allow_read: [] },
    };
    const env = { PATH: process.env.PATH, HOME: repo.base, FAKE_CLAUDE_SCENARIO: 'success', FAKE_CLAUDE_ROOT_CHECK: '0' };
    const spec = { command: process.execPath, args: [FAKE, '-p', '--output-format', 'stream-json', '--verbose'], env, cwd: wt };
    const start = async (sandboxed) => {
      const t0 = performance.now();
      let first = null;
      const s = sandboxed ? await sandbox.sandboxed(spec, scope) : { ...spec, release: () => {} };
      const res = await runAgent({
        ...s, prompt: 'bench', runFile: path.join(repo.base, `run-${sandboxed}.jsonl`), timeoutMs: 60_000, stallTimeoutMs: 60_000,
        onEvent: () => { first ??= performance.now(); },
      });
      s.release();
      if (first === null || res.exitCode !== 0) throw new Error(`the fake agent did not run ${sandboxed ? 'in' : 'outside'} the sandbox (exit ${res.exitCode}): ${res.stderrTail.slice(-300)}`);
      return first - t0;
    };
    await start(false); // warm the page cache for both
    await start(true);
    const plain = [];
    const boxed = [];
    for (let i = 0; i < RUNS; i++) {
      plain.push(await start(false));
      boxed.push(await start(true));
    }
    const p = median(plain);
    const b = median(boxed);
    const added = b - p;
    const onRun = (RUN_MS + b) / (RUN_MS + p);
    log(`start to first stream line, median of ${RUNS}: ${b.toFixed(0)} ms sandboxed vs ${p.toFixed(0)} ms unconfined (+${added.toFixed(0)} ms, ${(b / p).toFixed(2)}× at start-up); on a 60 s attempt ${onRun.toFixed(3)}×`);
    return [
      {
        target: `#21 sandbox: agent start, sandboxed vs unconfined, on a 60 s attempt (median of ${RUNS})`, measured: RUN_MS + b, baseline: RUN_MS + p, ratio: onRun,
        limit: '≤ 1.2×', pass: onRun <= 1.2, unit: 'ms', baselineNote: 'unconfined',
        note: `start-up alone: ${b.toFixed(0)} ms vs ${p.toFixed(0)} ms (+${added.toFixed(0)} ms, ${(b / p).toFixed(2)}×)`,
      },
      { target: '#21 sandbox: added start-up time per attempt (absolute)', measured: added, baseline: p, ratio: b / p, limit: 'reported', pass: true, unit: 'ms', baselineNote: 'unconfined start' },
    ];
  } finally {
    await sandbox.close();
    fs.rmSync(path.join(repo.dir, '.swarm'), { recursive: true, force: true });
    repo.cleanup();
  }
}
