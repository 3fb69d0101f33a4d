// When an end-to-end test fails, the assertion alone rarely says why: print the tail of the output of
// every daemon and `swarm start` run the test started, so a CI failure can be diagnosed from its log.
import { afterEach, beforeEach } from 'vitest';
import { cliRuns, startedDaemons } from './helpers/daemon.js';

const TAIL = 12_000;

beforeEach(() => {
  startedDaemons.length = 0;
  cliRuns.length = 0;
});

afterEach((ctx) => {
  if (ctx.task.result?.state !== 'fail') return;
  const cut = (s: string) => (s.length > TAIL ? `…${s.slice(-TAIL)}` : s);
  startedDaemons.forEach((d, i) => {
    console.error(`--- daemon ${i + 1} of "${ctx.task.name}" (pid ${d.proc.pid}) stdout:\n${cut(d.stdout)}\n--- stderr:\n${cut(d.stderr)}`);
  });
  for (const r of cliRuns.filter((r) => r.args[0] === 'start')) {
    console.error(`--- swarm ${r.args.join(' ')} (exit ${r.code}) stdout:\n${cut(r.stdout)}\n--- stderr:\n${cut(r.stderr)}`);
  }
});
