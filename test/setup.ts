// When an end-to-end test fails, the assertion alone rarely says why: print the output of every daemon
// the test started (the tail, with `--verbose` detail when the test asked for it) so a CI failure can be
// diagnosed from its log.
import { afterEach, beforeEach } from 'vitest';
import { startedDaemons } from './helpers/daemon.js';

const TAIL = 12_000;

beforeEach(() => {
  startedDaemons.length = 0;
});

afterEach((ctx) => {
  if (ctx.task.result?.state !== 'fail') return;
  startedDaemons.forEach((d, i) => {
    const cut = (s: string) => (s.length > TAIL ? `…${s.slice(-TAIL)}` : s);
    console.error(`--- daemon ${i + 1} of "${ctx.task.name}" (pid ${d.proc.pid}) stdout:\n${cut(d.stdout)}\n--- stderr:\n${cut(d.stderr)}`);
  });
});
