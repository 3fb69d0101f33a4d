// An injectable clock for a real daemon process: loaded with `node --import <this file>` (NODE_OPTIONS), it
// shifts every wall-clock read of the process — Date.now(), `new Date()` and `Date()` — by the offset in
// milliseconds written to the file named by SWARM_TEST_CLOCK_FILE (re-read every 50 ms). A test moves the
// daemon through a simulated hour by writing to that file; timers (setTimeout) keep running in real time.
// It takes itself out of NODE_OPTIONS so the agents the daemon starts run on the real clock.
import { readFileSync } from 'node:fs';

const file = process.env.SWARM_TEST_CLOCK_FILE;
if (file) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  let offset = 0;
  const read = () => {
    try {
      const n = Number(readFileSync(file, 'utf8').trim());
      if (Number.isFinite(n)) offset = n;
    } catch {
      // not written yet: no shift
    }
  };
  read();
  setInterval(read, 50).unref();
  const now = () => realNow() + offset;
  globalThis.Date = new Proxy(RealDate, {
    construct(target, args, newTarget) {
      return Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget);
    },
    apply() {
      return new RealDate(now()).toString();
    },
    get(target, prop, receiver) {
      if (prop === 'now') return now;
      return Reflect.get(target, prop, receiver);
    },
  });
  process.env.NODE_OPTIONS = (process.env.NODE_OPTIONS ?? '').split(/\s+/).filter((o) => !o.includes('clock-shim')).join(' ').replace(/--import\s*$/, '').trim();
  delete process.env.SWARM_TEST_CLOCK_FILE;
}
