// Target 4 (parsing): StreamParser throughput on one core. Run as its own process (pinned to one CPU with
// taskset when available) by benchParse(); the child repeats a real fake-claude stream to ~128 MB, feeds
// it in 64 KB chunks as a pipe would, and reports the median of 3 passes.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DIST } from '../lib/paths.mjs';
import { median } from '../lib/stats.mjs';

const HERE = fileURLToPath(import.meta.url);
const TARGET_BYTES = 128 * 1024 * 1024;
const CHUNK = 64 * 1024;

/** Parent side: returns { mbPerSec, mb, passes, pinned }. */
export function benchParse(sample) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-bench-parse-'));
  try {
    const file = path.join(dir, 'sample.jsonl');
    fs.writeFileSync(file, sample);
    let pinned = false;
    try {
      execFileSync('taskset', ['-c', '0', 'true']);
      pinned = true;
    } catch {
      /* no taskset: still one JS thread */
    }
    const argv = [process.execPath, HERE, '--child', file];
    const res = pinned ? spawnSync('taskset', ['-c', '0', ...argv], { encoding: 'utf8' }) : spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`parse-throughput child failed: ${res.stderr}`);
    return { ...JSON.parse(res.stdout), pinned };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function child(file) {
  const { StreamParser } = await import(pathToFileURL(path.join(DIST, 'agent', 'stream.js')).href);
  const sample = fs.readFileSync(file);
  const copies = Math.ceil(TARGET_BYTES / sample.length);
  const big = Buffer.concat(Array.from({ length: copies }, () => sample));
  const passes = [];
  let events = 0;
  for (let pass = 0; pass < 3; pass++) {
    const parser = new StreamParser();
    const t0 = performance.now();
    for (let off = 0; off < big.length; off += CHUNK) events += parser.push(big.subarray(off, off + CHUNK)).length;
    events += parser.end().length;
    const s = (performance.now() - t0) / 1000;
    if (parser.summary.badLines > 0) throw new Error(`${parser.summary.badLines} lines failed to parse`);
    passes.push(big.length / 1024 / 1024 / s);
  }
  process.stdout.write(JSON.stringify({ mbPerSec: median(passes), mb: big.length / 1024 / 1024, passes, events: events / 3 }));
}

if (process.argv[2] === '--child') await child(process.argv[3]);
