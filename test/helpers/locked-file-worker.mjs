// A separate process driving the compiled LockedJsonFile (dist/, so `npm run build` first), for
// test/integration/locked-file.test.ts. The record is {counter, log}: every update adds 1 to counter and
// appends "<id>:<i>" to log, so a lost update shows as a short counter and a missing log entry.
//   count <file> <id> <n>   print "ready", wait for "go" on stdin, do n updates, print {"done":n,"ms":...}
//   read <file> <target>    print "ready", wait for "go", poll read() until counter >= target, print findings
//   hold <file>             take the lock, print "locked <counter>", and block forever inside fn (kill it)
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MODULE = fileURLToPath(new URL('../../dist/state/locked-file.js', import.meta.url));
if (!existsSync(MODULE)) {
  process.stderr.write(`${MODULE} is missing: run \`npm run build\` first\n`);
  process.exit(2);
}
const { LockedJsonFile } = await import(MODULE);

const [mode, file, arg1, arg2] = process.argv.slice(2);
const say = (line) => process.stdout.write(`${line}\n`);

function valid(raw) {
  return !!raw && typeof raw === 'object' && Number.isInteger(raw.counter) && Array.isArray(raw.log) && raw.log.every((e) => typeof e === 'string');
}

function waitForGo() {
  return new Promise((resolve) => {
    let buf = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => {
      buf += chunk;
      if (buf.includes('go\n')) {
        process.stdin.destroy(); // nothing more to read; do not keep the process alive
        resolve();
      }
    });
  });
}

if (mode === 'count') {
  const store = new LockedJsonFile(file, { parse: (raw) => (valid(raw) ? raw : { counter: 0, log: [] }), lockTimeoutMs: 30_000 });
  const n = Number(arg2);
  say('ready');
  await waitForGo();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await store.update((r) => ({ counter: r.counter + 1, log: [...r.log, `${arg1}:${i}`] }));
  }
  say(JSON.stringify({ done: n, ms: performance.now() - t0 }));
} else if (mode === 'read') {
  const MISSING = Symbol('missing');
  const INVALID = Symbol('invalid');
  const store = new LockedJsonFile(file, { parse: (raw) => (raw === undefined ? MISSING : valid(raw) ? raw : INVALID) });
  const target = Number(arg1);
  say('ready');
  await waitForGo();
  const found = { reads: 0, missingAfterSeen: 0, invalid: 0, backwards: 0, inconsistent: 0, last: 0 };
  let seen = false;
  while (found.last < target) {
    const r = store.read();
    found.reads++;
    if (r === MISSING) {
      if (seen) found.missingAfterSeen++; // the file never goes away once written: this was a torn read
    } else if (r === INVALID) {
      found.invalid++;
    } else {
      seen = true;
      if (r.counter < found.last) found.backwards++;
      if (r.counter !== r.log.length) found.inconsistent++;
      found.last = Math.max(found.last, r.counter);
    }
    if (found.reads % 20 === 0) await new Promise((res) => setImmediate(res));
  }
  say(JSON.stringify(found));
} else if (mode === 'hold') {
  const store = new LockedJsonFile(file, { parse: (raw) => raw, lockTimeoutMs: 60_000 });
  await store.update((r) => {
    say(`locked ${r?.counter ?? 0}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // blocks this process until it is killed
    return undefined;
  });
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
