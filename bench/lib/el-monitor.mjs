// Preloaded into the daemon under test with `node --import <this file> bin/swarm.js start` (never with
// NODE_OPTIONS, so the agents it spawns do not inherit it). It runs inside the daemon's own process and
// event loop, which is what monitorEventLoopDelay must see; swarm itself needs no debug knob for it.
//
// SIGUSR2: append one JSON line of stats to $SWARM_BENCH_EL_FILE (event-loop delay percentiles since the
// last signal, RSS now, VmHWM) and reset the histogram. The bench signals once before the load starts
// (discarding startup) and once after it ends. The same line is written at exit.
import { appendFileSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.SWARM_BENCH_EL_FILE;
if (file) {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const kb = (name) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : null;
  };
  const dump = (why) => {
    const ms = (ns) => Math.round(ns / 1e4) / 100;
    appendFileSync(file, JSON.stringify({
      why, at: Date.now(), samples: h.count, p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean),
      rssKb: kb('VmRSS'), hwmKb: kb('VmHWM'),
    }) + '\n');
    h.reset();
  };
  process.on('SIGUSR2', () => dump('signal'));
  process.on('exit', () => dump('exit'));
}
