// SharedAccount over a store that fails for a while (a full disk, a lock held too long, the database away):
// the loop goes on with the last record, and a change that could not be written — a usage limit above all —
// is written with the next write that goes through, not dropped.
import { describe, expect, it } from 'vitest';
import { SharedAccount } from '../../src/account/shared.js';
import { emptyAccount, pauseInForce, type AccountRecord } from '../../src/core/account-record.js';
import type { AccountStore } from '../../src/account/store.js';

/** An in-memory store whose writes fail while `down` is set. */
function flakyStore(name: string): AccountStore & { down: boolean; rec: AccountRecord } {
  const s = {
    name,
    down: false,
    rec: emptyAccount(name),
    async read() {
      if (s.down) throw new Error('disk full');
      return s.rec;
    },
    async update(fn: (r: AccountRecord) => AccountRecord | undefined) {
      if (s.down) throw new Error('disk full');
      const next = fn(s.rec);
      if (next !== undefined) s.rec = next;
      return s.rec;
    },
  };
  return s;
}

const NOW = Date.parse('2026-12-03T12:00:00.000Z');

describe('SharedAccount with a failing store', () => {
  it('keeps a usage limit it could not write and writes it with the next change that goes through', async () => {
    const store = flakyStore('team');
    const errors: string[] = [];
    let now = NOW;
    const acct = new SharedAccount({ store, self: { id: 'd1', host: 'h', pid: 1, repo: 'o/r' }, now: () => now, onError: (m) => errors.push(m) });
    await acct.beat();
    store.down = true;
    await acct.limitSeen({ until: new Date(NOW + 3_600_000).toISOString(), reason: 'five-hour limit', limit_type: 'five_hour' });
    expect(pauseInForce(store.rec, now)).toBeNull();
    expect(errors).toEqual(['shared Claude account team: disk full']);
    now += 1000;
    await acct.refresh(); // still down: nothing lost, one error line only
    expect(errors).toHaveLength(1);
    store.down = false;
    now += 1000;
    await acct.refresh();
    expect(pauseInForce(store.rec, now)?.reason).toBe('five-hour limit');
    expect(pauseInForce(acct.record, now)?.by).toBe('d1');
    expect(store.rec.members.d1).toBeDefined();
  });

  it('a canary claim answered from the last record while the store is down is not replayed later', async () => {
    const store = flakyStore('team');
    const acct = new SharedAccount({ store, self: { id: 'd1', host: 'h', pid: 1, repo: 'o/r' }, now: () => NOW });
    await acct.beat();
    store.down = true;
    expect(await acct.claimCanary()).toBe(true); // no canary pending in the last record
    store.down = false;
    await acct.window({ status: 'allowed', utilization: 0.5, type: 'five_hour', resetsAt: NOW + 3_600_000 });
    expect(store.rec.canary.holder).toBeNull();
    expect(store.rec.window?.utilization).toBe(0.5);
  });
});
