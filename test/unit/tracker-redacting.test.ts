// Tracker writes are a sink: sticky comments and PR title/body are masked; reads and other members pass.
import { describe, expect, it } from 'vitest';
import { redactWrites } from '../../src/tracker/redacting.js';
import { makeRedactor } from '../../src/secrets.js';

const SECRET = 'ghp_trackerSinkSecret1234567';

class FakeHost {
  readonly kind = 'github' as const;
  written: unknown[][] = [];
  private n = 0;
  async claim(t: unknown, sticky: string) { this.written.push(['claim', t, sticky]); }
  async updateSticky(t: unknown, sticky: string) { this.written.push(['sticky', t, sticky]); }
  async release(t: unknown, pr: unknown, sticky: string) { this.written.push(['release', t, pr, sticky]); }
  async markFailed(t: unknown, sticky: string) { this.written.push(['failed', t, sticky]); }
  async unclaim(t: unknown, sticky: string | null) { this.written.push(['unclaim', t, sticky]); }
  async openPullRequest(req: { title: string; body: string; branch: string }) { this.written.push(['pr', req]); return { number: ++this.n }; }
  async fetch(key: string) { return { key, body: `body ${SECRET}` }; }
}

describe('redactWrites', () => {
  it('masks every text written, passes reads and properties through', async () => {
    const host = new FakeHost();
    const t = redactWrites(host, makeRedactor([SECRET]));
    const ticket = { key: '1', title: 'x' };
    await t.claim(ticket, `claimed ${SECRET}`);
    await t.updateSticky(ticket, `s ${SECRET}`);
    await t.release(ticket, null, `r ${SECRET}`);
    await t.markFailed(ticket, `f ${SECRET}`);
    await t.unclaim(ticket, null);
    expect(await t.openPullRequest({ title: `T ${SECRET}`, body: `B ${SECRET}`, branch: 'swarm/1-x' })).toEqual({ number: 1 });
    expect(JSON.stringify(host.written)).not.toContain(SECRET);
    expect(host.written[0]).toEqual(['claim', ticket, 'claimed ***']);
    expect(host.written[5]).toEqual(['pr', { title: 'T ***', body: 'B ***', branch: 'swarm/1-x' }]);
    expect(t.kind).toBe('github');
    expect((await t.fetch('1')).body).toContain(SECRET); // reads are not altered
  });
});
