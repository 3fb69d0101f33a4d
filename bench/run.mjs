#!/usr/bin/env node
// `npm run bench`: every target of issue #8 measured side by side in one run on this machine, printed as
// one table (target, measured, baseline, ratio, limit, result) and written with the machine description
// to bench/RESULTS.md. Exits 1 when any target is missed or could not be measured.
//
// Scratch repositories live on tmpfs (/dev/shm) when there is one: on a shared disk a 20,000-file checkout
// swings from 0.5 s to 13 s with other tenants' I/O, which no ratio survives. tmpfs is also the harsher
// setting for the dispatch ratio (faster checkout, same fixed overhead). SWARM_BENCH_TMP=<dir> overrides.
//
// `node bench/run.mjs --only fleet,polling` runs just those sections and prints their table; RESULTS.md is
// written only by a full run, so every figure in it comes from one run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanupCompiled } from './lib/fake-github.mjs';
import { DIST, ROOT } from './lib/paths.mjs';
import { machine, renderMarkdown, renderTable } from './lib/report.mjs';
import { benchCliStart } from './targets/cli-start.mjs';
import { benchDispatch } from './targets/dispatch.mjs';
import { benchFootprint, calibrate } from './targets/footprint.mjs';
import { benchParse } from './targets/parse-throughput.mjs';
import { benchPolling } from './targets/polling.mjs';
import { benchReaction } from './targets/reaction.mjs';
import { benchPrWatch } from './targets/pr-watch.mjs';
import { benchFleet } from './targets/fleet.mjs';
import { benchWebhooks } from './targets/webhooks.mjs';
import { benchFloods } from './targets/floods.mjs';
import { benchSandbox } from './targets/sandbox.mjs';

if (!fs.existsSync(path.join(DIST, 'cli.js'))) {
  console.error('bench: dist/ is missing; run `npm run bench` (it builds first) or `npm run build`.');
  process.exit(1);
}
if (!process.env.SWARM_BENCH_TMP) {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    process.env.SWARM_BENCH_TMP = '/dev/shm';
  } catch {
    /* os.tmpdir() */
  }
}

const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? new Set((process.argv[onlyArg + 1] ?? '').split(',').filter(Boolean)) : null;
const SECTIONS = ['cli-start', 'parse', 'stream-memory', 'polling', 'footprint', 'reaction', 'dispatch', 'pr-watch', 'fleet', 'webhooks', 'floods', 'sandbox'];
for (const name of only ?? []) {
  if (!SECTIONS.includes(name)) {
    console.error(`bench: no section "${name}"; sections: ${SECTIONS.join(', ')}`);
    process.exit(2);
  }
}

const started = Date.now();
const log = (section) => (msg) => console.log(`  [${section}] ${msg}`);
const rows = [];
const notes = [];

async function section(name, fn) {
  if (only && !only.has(name)) return;
  const t0 = Date.now();
  console.log(`• ${name}`);
  try {
    const out = await fn(log(name));
    rows.push(...out);
  } catch (err) {
    console.log(`  [${name}] ERROR: ${err.stack ?? err}`);
    rows.push({ target: `${name}: could not be measured`, measured: null, baseline: null, limit: '–', pass: false, unit: '', note: String(err.message ?? err).split('\n')[0] });
  }
  console.log(`  [${name}] ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

const before = machine();
console.log(`swarm bench — ${before.cpus}× ${before.cpuModel}, ${before.memGb} GB, node ${before.node}, scratch on ${before.scratch}; load ${before.load}`);

await section('cli-start', benchCliStart);
await section('parse', async (l) => {
  const { sample } = calibrate();
  const r = benchParse(sample);
  l(`StreamParser: ${r.mbPerSec.toFixed(0)} MB/s median of ${r.passes.map((p) => p.toFixed(0)).join(', ')} over ${r.mb.toFixed(0)} MB (${Math.round((r.mb * 1048576) / r.events)} B/line)${r.pinned ? ', pinned to CPU 0' : ''}`);
  return [{ target: '4 footprint: stream parsing throughput, one core', measured: r.mbPerSec, baseline: null, limit: '≥ 100 MB/s', pass: r.mbPerSec >= 100, unit: 'MB/s' }];
});
await section('stream-memory', async (l) => {
  const file = path.join(ROOT, 'bench', 'stream-memory.mjs');
  if (!fs.existsSync(file)) throw new Error('bench/stream-memory.mjs (issue #3) is missing');
  const { benchStreamMemory } = await import('./stream-memory.mjs');
  const r = await benchStreamMemory();
  l(`parsed ${r.mb} MB (${r.lines} lines, ${r.bigLines} of ${r.bigLineMb} MB) in ${r.seconds} s; peak RSS ${r.peakRssMb} MB (${r.baselineRssMb} MB before)`);
  return [{ target: `#3 stream memory: peak RSS parsing a ${Math.round(r.mb)} MB run through the runner`, measured: r.peakRssMb, baseline: r.baselineRssMb, limit: '≤ 150 MB', pass: r.peakRssMb <= 150, unit: 'MB', baselineNote: 'before the run' }];
});
await section('polling', benchPolling);
await section('footprint', benchFootprint);
await section('reaction', benchReaction);
await section('dispatch', benchDispatch);
await section('pr-watch', benchPrWatch);
await section('fleet', benchFleet);
await section('webhooks', benchWebhooks);
await section('floods', benchFloods);
await section('sandbox', benchSandbox);
cleanupCompiled();

const after = machine();
const seconds = (Date.now() - started) / 1000;
console.log('');
console.log(renderTable(rows));
const failed = rows.filter((r) => !r.pass);
console.log(`\n${rows.length - failed.length} of ${rows.length} targets met in ${seconds.toFixed(0)} s (load average before ${before.load}, after ${after.load}).`);
for (const r of failed) console.log(`MISSED: ${r.target}: ${r.note ?? `${r.measured} vs ${r.limit}`}`);

const resultsFile = path.join(ROOT, 'bench', 'RESULTS.md');
if (only) {
  console.log(`(--only: ${path.relative(process.cwd(), resultsFile)} left as it is; a full run writes it)`);
} else {
  fs.writeFileSync(resultsFile, renderMarkdown(rows, { before, after, seconds, notes }));
  console.log(`wrote ${path.relative(process.cwd(), resultsFile)}`);
}
process.exit(failed.length === 0 ? 0 : 1);
