// A separate daemon-like process driving the compiled AccountFileStore (dist/, so `npm run build` first),
// for test/integration/account-store.test.ts. The state directory comes from XDG_STATE_HOME in the
// environment, as it would for a daemon. Every update leaves a trace that a lost update would erase:
//   stress <name> <id> <n>   print "ready", wait for "go" on stdin, then n rounds of: a heartbeat of <id>, a
//                            member "<id>-<i>" that stays, window figures seen now, and every 3rd round a
//                            usage limit with a later `until`; print {"done":n,"maxUntil":…,"lastSeen":…}
//   read <name> <target>     print "ready", wait for "go", read (without the lock) until <target> members
//                            exist, checking every read is a complete, valid record; print findings
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
if (!existsSync(`${DIST}backend/embedded/account-store.js`)) {
  process.stderr.write(`${DIST}backend/embedded/account-store.js is missing: run \`npm run build\` first\n`);
  process.exit(2);
}
const { AccountFileStore } = await import(`${DIST}backend/embedded/account-store.js`);
const { withLimit, withMember, withWindow } = await import(`${DIST}core/account-record.js`);

const [mode, name, arg1, arg2] = process.argv.slice(2);
const say = (line) => process.stdout.write(`${line}\n`);
const store = new AccountFileStore(name, { env: process.env, lockTimeoutMs: 60_000 });

function waitForGo() {
  return new Promise((resolve) => {
    let buf = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => {
      buf += chunk;
      if (buf.includes('go\n')) {
        process.stdin.destroy();
        resolve();
      }
    });
  });
}

if (mode === 'stress') {
  const id = arg1;
  const n = Number(arg2);
  const me = { host: 'stress', pid: process.pid, repo: `repo-${id}` };
  const base = Date.parse('2030-01-01T00:00:00Z');
  let maxUntil = 0;
  let lastSeen = 0;
  say('ready');
  await waitForGo();
  for (let i = 0; i < n; i++) {
    await store.update((r) => withMember(r, id, me, Date.now()));
    await store.update((r) => withMember(r, `${id}-${i}`, me, Date.now()));
    const seen = Date.now();
    await store.update((r) => withWindow(r, { status: 'allowed_warning', utilization: i / n, type: 'five_hour', resetsAt: base }, seen, id));
    lastSeen = Math.max(lastSeen, seen);
    if (i % 3 === 0) {
      // Interleaved across workers: a lost or stale write would leave a shorter pause than the longest asked.
      const until = base + (i * 7 + id.length * 13 + Number(id.replace(/\D/g, '') || 0)) * 1000;
      maxUntil = Math.max(maxUntil, until);
      await store.update((r) => withLimit(r, { until: new Date(until).toISOString(), reason: `limit from ${id} round ${i}`, limit_type: 'five_hour', by: id }, Date.now()));
    }
  }
  say(JSON.stringify({ done: n, maxUntil, lastSeen }));
} else if (mode === 'read') {
  const target = Number(arg1);
  say('ready');
  await waitForGo();
  const found = { reads: 0, missingAfterSeen: 0, invalid: 0, backwards: 0, last: 0 };
  let seen = false;
  while (found.last < target) {
    found.reads++;
    let raw;
    try {
      raw = JSON.parse(readFileSync(store.file, 'utf8'));
    } catch (err) {
      if (err.code === 'ENOENT') {
        if (seen) found.missingAfterSeen++;
      } else found.invalid++;
      continue;
    }
    seen = true;
    const ok = raw && raw.version === 1 && raw.name === name && typeof raw.members === 'object' && raw.canary && typeof raw.canary.pending === 'boolean' &&
      Object.values(raw.members).every((m) => typeof m.pid === 'number' && Number.isFinite(Date.parse(m.heartbeat_at)));
    if (!ok) {
      found.invalid++;
      continue;
    }
    const count = Object.keys(raw.members).length;
    if (count < found.last) found.backwards++;
    found.last = Math.max(found.last, count);
    if (found.reads % 20 === 0) await new Promise((res) => setImmediate(res));
  }
  say(JSON.stringify(found));
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
