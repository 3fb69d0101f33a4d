#!/usr/bin/env node
// Bench (issue #3, acceptance 4): a crafted run prints ~50 MB of stream-json — thousands of ordinary
// assistant/tool lines plus two multi-megabyte lines (a huge tool result, a huge assistant text) — and
// swarm's own runner (dist/agent/runner.js: spawn, run file, StreamParser, summary) consumes it. The
// figure is the peak RSS (getrusage maxRSS) of the process doing the parsing, measured in a fresh child
// process so the caller's own heap does not count. It must stay ≤ 150 MB.
//
//   node bench/stream-memory.mjs [--mb 50] [--big-line-mb 5]      (needs `npm run build` first)
//   import { benchStreamMemory } from './stream-memory.mjs'; await benchStreamMemory() → {peakRssMb, mb, seconds, …}
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = fileURLToPath(import.meta.url);
const ROOT = resolve(dirname(HERE), '..');
const RUNNER = join(ROOT, 'dist', 'agent', 'runner.js');
const FAKE_CLAUDE = join(ROOT, 'test', 'helpers', 'fake-claude.mjs');
export const LIMIT_MB = 150;

/**
 * Writes the crafted run's fixtures (streamed, never holding a big line in memory), then runs the
 * measurement in a child process that does nothing but run the runner. `peakRssMb` is that child's
 * maximum resident set size over its whole life (Node and module loading included); `mb` is what the
 * parser actually read.
 */
export async function benchStreamMemory({ mb = 50, bigLineMb = 5 } = {}) {
  if (!existsSync(RUNNER)) throw new Error(`${RUNNER} is missing: run \`npm run build\` first`);
  const dir = mkdtempSync(join(tmpdir(), 'swarm-bench-stream-'));
  try {
    prepare(dir, mb, bigLineMb);
    const out = await new Promise((resolvePromise, reject) => {
      const child = spawn(process.execPath, [HERE, '--child', dir, String(bigLineMb)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolvePromise(text) : reject(new Error(`stream-memory child exited with ${code}: ${text}`))));
    });
    return JSON.parse(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------- the measured process ----------

const sessionId = '00000000-0000-4000-8000-000000000000';
const usage = { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 40 };
/** Plain words (no characters JSON would escape), so a line can be written piece by piece. */
const filler = (n, seed) => {
  const words = ['stream', 'json', 'parser', 'memory', 'agent', 'commit', 'ticket', 'worktree', 'claude', 'swarm'];
  let s = '';
  for (let i = 0; s.length < n; i++) s += words[(i * 7 + seed) % words.length] + (i % 13 === 12 ? '. ' : ' ');
  return s.slice(0, n);
};
const HOLE = '\u0000HOLE\u0000';
/** Write `line` (JSON containing the HOLE marker) to `file`, the hole filled with `bytes` of filler in 64 KB pieces. */
function writeBigLine(file, line, bytes, seed) {
  const [head, tail] = line.split(JSON.stringify(HOLE).slice(1, -1));
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, head);
    const piece = filler(64 * 1024, seed);
    for (let left = bytes; left > 0; left -= piece.length) writeSync(fd, left >= piece.length ? piece : piece.slice(0, left));
    writeSync(fd, tail + '\n');
  } finally {
    closeSync(fd);
  }
}
const assistant = (content, i) => JSON.stringify({
  type: 'assistant',
  message: { id: `msg_bench_${i}`, type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content, stop_reason: null, usage },
  parent_tool_use_id: null, session_id: sessionId, uuid: `u-${i}`,
});
const toolResult = (text, i) => JSON.stringify({
  type: 'user', message: { role: 'user', content: [{ tool_use_id: `toolu_${i}`, type: 'tool_result', content: text, is_error: false }] },
  parent_tool_use_id: null, session_id: sessionId, uuid: `r-${i}`,
});

/** One round of ordinary lines (~6 KB): text, a Bash tool use, its output. */
function roundLines(i) {
  return [
    assistant([{ type: 'text', text: filler(1500, i) }], i),
    assistant([{ type: 'tool_use', id: `toolu_${i}`, name: 'Bash', input: { command: `npm test -- --grep case${i}`, description: 'Run tests' } }], i + 1),
    toolResult(filler(3500, i + 3), i),
  ];
}

/** The fake claude's scenario: ordinary rounds with a huge tool result and a huge text between them. */
function prepare(dir, mb, bigLineMb) {
  const bigResult = join(dir, 'big-tool-result.jsonl');
  const bigText = join(dir, 'big-assistant.jsonl');
  writeBigLine(bigResult, toolResult(HOLE, 999_999), bigLineMb * 1024 * 1024, 5);
  writeBigLine(bigText, assistant([{ type: 'text', text: HOLE }], 999_998), bigLineMb * 1024 * 1024, 6);
  {
    const round = roundLines(1).map((l) => ({ emit: l }));
    const roundBytes = round.reduce((n, s) => n + Buffer.byteLength(s.emit) + 1, 0);
    const rounds = Math.max(1, Math.round((mb * 1024 * 1024 - 2 * bigLineMb * 1024 * 1024) / roundBytes));
    const half = Math.floor(rounds / 2);
    const scenario = [
      { init: true },
      { repeat: half, steps: round },
      { emitFile: bigResult },
      { repeat: rounds - half, steps: round },
      { emitFile: bigText },
      { result: { text: 'Done.', cost: 0.5 } },
    ];
    writeFileSync(join(dir, 'scenarios.json'), JSON.stringify({ default: [scenario] }));
  }
}

async function child(dir, bigLineMb) {
  const { runAgent } = await import(pathToFileURL(RUNNER).href);
  const scenariosFile = join(dir, 'scenarios.json');
  const baselineRssMb = process.memoryUsage().rss / 1024 / 1024; // Node + the runner, before any output
  {
    let events = 0;
    let lastActivity = '';
    const t0 = performance.now();
    const res = await runAgent({
      command: FAKE_CLAUDE,
      args: ['-p', '--output-format', 'stream-json', '--verbose', '--model', 'sonnet'],
      cwd: dir,
      env: { ...process.env, FAKE_CLAUDE_SCENARIOS: scenariosFile, FAKE_CLAUDE_SCENARIO: '', FAKE_CLAUDE_LOG: '' },
      prompt: 'bench: print a lot',
      runFile: join(dir, 'run.jsonl'),
      timeoutMs: 10 * 60_000,
      stallTimeoutMs: 2 * 60_000,
      // What the daemon does with each event: keep the latest activity line, nothing else.
      onEvent: (_ev, summary) => {
        events++;
        lastActivity = summary.lastActivity;
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const s = res.summary;
    if (!s.result || s.badLines > 0 || res.exitCode !== 0) {
      throw new Error(`the crafted run did not parse cleanly: exit ${res.exitCode}, result ${s.result ? 'yes' : 'no'}, bad lines ${s.badLines}, stderr ${res.stderrTail}`);
    }
    const peakRssMb = process.resourceUsage().maxRSS / 1024; // kilobytes on Linux and macOS
    const report = {
      peakRssMb: round1(peakRssMb),
      baselineRssMb: round1(baselineRssMb),
      mb: round1(s.bytes / 1024 / 1024),
      seconds: round1(seconds),
      lines: s.lines,
      events,
      bigLines: 2,
      bigLineMb,
      limitMb: LIMIT_MB,
      ok: peakRssMb <= LIMIT_MB,
      lastActivity,
    };
    process.stdout.write(JSON.stringify(report) + '\n');
  }
}

const round1 = (x) => Math.round(x * 10) / 10;
const argValue = (name, d) => {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? Number(process.argv[i + 1]) : d;
};

if (process.argv[1] && resolve(process.argv[1]) === HERE) {
  if (process.argv[2] === '--child') {
    await child(process.argv[3], Number(process.argv[4]));
  } else {
    const r = await benchStreamMemory({ mb: argValue('--mb', 50), bigLineMb: argValue('--big-line-mb', 5) });
    console.log(
      `stream-memory: parsed ${r.mb} MB of stream-json (${r.lines} lines, ${r.bigLines} of ${r.bigLineMb} MB) in ${r.seconds} s; ` +
        `peak RSS of the parsing process ${r.peakRssMb} MB (${r.baselineRssMb} MB before the run; limit ${r.limitMb} MB): ${r.ok ? 'OK' : 'TOO HIGH'}`,
    );
    process.exitCode = r.ok ? 0 : 1;
  }
}
