// Tracker writes are a sink: sticky comments and PR title/body are masked; reads and other members pass.
import { describe, expect, it } from 'vitest';
import { redactWrites } from '../../src/tracker/redacting.js';
import { makeRedactor } from '../../src/util/secrets.js';
import type { Appearance } from '../../src/tracker/types.js';

const SECRET = 'ghp_trackerSinkSecret1234567';

class FakeHost {
  readonly kind = 'github' as const;
  written: unknown[][] = [];
  private n = 0;
  async show(t: unknown, app: Appearance) { this.written.push(['show', t, app]); }
  async openPullRequest(req: { title: string; body: string; branch: string }) { this.written.push(['pr', req]); return { number: ++this.n }; }
  async fetch(key: string) { return { key, body: `body ${SECRET}` }; }
}

describe('redactWrites', () => {
  it('masks every text written, passes reads and properties through', async () => {
    const host = new FakeHost();
    const t = redactWrites(host, makeRedactor([SECRET]));
    const ticket = { key: '1', title: 'x' };
    await t.show(ticket, { mark: 'running', sticky: `claimed ${SECRET}`, pr: null });
    await t.show(ticket, { mark: 'released', sticky: null, pr: null });
    expect(await t.openPullRequest({ title: `T ${SECRET}`, body: `B ${SECRET}`, branch: 'swarm/1-x' })).toEqual({ number: 1 });
    expect(JSON.stringify(host.written)).not.toContain(SECRET);
    expect(host.written[0]).toEqual(['show', ticket, { mark: 'running', sticky: 'claimed ***', pr: null }]);
    expect(host.written[1]).toEqual(['show', ticket, { mark: 'released', sticky: null, pr: null }]);
    expect(host.written[2]).toEqual(['pr', { title: 'T ***', body: 'B ***', branch: 'swarm/1-x' }]);
    expect(t.kind).toBe('github');
    expect((await t.fetch('1')).body).toContain(SECRET); // reads are not altered
  });
});
