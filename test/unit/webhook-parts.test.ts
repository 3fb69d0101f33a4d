// The pure and local parts of webhooks: signature checks against signatures made as the providers document
// (test/helpers/webhook-signing.ts), the replay log across a restart, burst coalescing in the dirty set,
// health and the intervals it allows, and the `webhooks:` configuration keys.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { linearFreshness, verifyGithubSignature, verifyLinearSignature } from '../../src/webhooks/signature.js';
import { DeliveryLog } from '../../src/webhooks/deliveries.js';
import { DirtySet, type Timers } from '../../src/webhooks/dirty.js';
import { webhookView } from '../../src/webhooks/health.js';
import { validateConfig } from '../../src/config/schema.js';
import { githubSignature, linearSignature } from '../helpers/webhook-signing.js';

const SECRET = 'a-webhook-secret-of-some-length';

describe('signatures', () => {
  const body = Buffer.from('{"action":"labeled","issue":{"number":1}}');

  it('GitHub: sha256= + hex HMAC of the raw body verifies; anything else does not', () => {
    expect(verifyGithubSignature(body, githubSignature(body, SECRET), SECRET)).toBe(true);
    expect(verifyGithubSignature(body, githubSignature(body, SECRET).toUpperCase().replace('SHA256=', 'sha256='), SECRET)).toBe(true); // hex case
    expect(verifyGithubSignature(body, githubSignature(body, 'another-secret-entirely'), SECRET)).toBe(false);
    expect(verifyGithubSignature(Buffer.from(body.toString() + ' '), githubSignature(body, SECRET), SECRET)).toBe(false); // one byte more
    expect(verifyGithubSignature(body, githubSignature(body, SECRET).slice('sha256='.length), SECRET)).toBe(false); // no prefix
    expect(verifyGithubSignature(body, `sha1=${'0'.repeat(40)}`, SECRET)).toBe(false);
    expect(verifyGithubSignature(body, 'sha256=', SECRET)).toBe(false);
    expect(verifyGithubSignature(body, `sha256=${'0'.repeat(63)}`, SECRET)).toBe(false);
    expect(verifyGithubSignature(body, `sha256=${'z'.repeat(64)}`, SECRET)).toBe(false);
    expect(verifyGithubSignature(body, undefined, SECRET)).toBe(false);
  });

  it('Linear: the bare hex HMAC of the raw body verifies; anything else does not', () => {
    expect(verifyLinearSignature(body, linearSignature(body, SECRET), SECRET)).toBe(true);
    expect(verifyLinearSignature(body, `sha256=${linearSignature(body, SECRET)}`, SECRET)).toBe(false);
    expect(verifyLinearSignature(body, linearSignature(body, 'another-secret-entirely'), SECRET)).toBe(false);
    expect(verifyLinearSignature(body, '', SECRET)).toBe(false);
  });

  it('Linear freshness: within 60 s either way is ok; older or further ahead is stale; not a number is missing', () => {
    const now = 1_700_000_000_000;
    expect(linearFreshness(now - 59_000, now)).toBe('ok');
    expect(linearFreshness(now - 5 * 60_000, now)).toBe('stale');
    expect(linearFreshness(now + 61_000, now)).toBe('stale');
    expect(linearFreshness(String(now), now)).toBe('missing');
    expect(linearFreshness(undefined, now)).toBe('missing');
    expect(linearFreshness(Number.NaN, now)).toBe('missing');
  });
});

describe('replay log', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('remembers ids across a restart within the window, forgets them after it, and stays bounded', () => {
    dir = mkdtempSync(join(tmpdir(), 'swarm-deliveries-'));
    const file = join(dir, 'webhook-deliveries.log');
    let now = 1_000_000;
    const log = new DeliveryLog(file, () => now, { windowMs: 10_000, max: 3 });
    expect(log.replayed('gh:a')).toBe(false);
    expect(log.replayed('gh:a')).toBe(true);
    expect(log.replayed('gh:b')).toBe(false);
    // A restart: the new instance reads the file.
    now += 5_000;
    const again = new DeliveryLog(file, () => now, { windowMs: 10_000, max: 3 });
    expect(again.replayed('gh:a')).toBe(true);
    expect(again.replayed('gh:b')).toBe(true);
    // After the window an id is new again.
    now += 10_001;
    const later = new DeliveryLog(file, () => now, { windowMs: 10_000, max: 3 });
    expect(later.size).toBe(0);
    expect(later.replayed('gh:a')).toBe(false);
    for (const id of ['gh:c', 'gh:d', 'gh:e']) later.replayed(id);
    expect(later.size).toBe(3); // the oldest went
    expect(later.replayed('gh:a')).toBe(false);
  });

  it('survives a torn last line and junk in the file', () => {
    dir = mkdtempSync(join(tmpdir(), 'swarm-deliveries-'));
    const file = join(dir, 'webhook-deliveries.log');
    writeFileSync(file, `${Date.now()} gh:ok\nnot a line\n${Date.now()} gh:has space x\n${Date.now()} gh:tor`);
    const log = new DeliveryLog(file);
    expect(log.replayed('gh:ok')).toBe(true);
    expect(log.replayed('gh:tor')).toBe(true); // the torn line is still a valid record of "gh:tor"
    expect(readFileSync(file, 'utf8')).not.toContain('not a line');
  });
});

describe('dirty set', () => {
  /** Timers driven by hand. */
  function manual(): Timers & { advance(ms: number): void } {
    let now = 0;
    const pending = new Map<number, { at: number; fn: () => void }>();
    let id = 0;
    return {
      setTimeout: (fn, ms) => {
        pending.set(++id, { at: now + ms, fn });
        return id;
      },
      clearTimeout: (h) => void pending.delete(h as number),
      advance(ms) {
        const end = now + ms;
        for (;;) {
          const next = [...pending.entries()].sort((a, b) => a[1].at - b[1].at)[0];
          if (!next || next[1].at > end) break;
          now = next[1].at;
          pending.delete(next[0]);
          next[1].fn();
        }
        now = end;
      },
    };
  }

  it('coalesces a burst: one wake after 50 ms of quiet, at most 250 ms after the first hint', () => {
    const t = manual();
    let wakes = 0;
    const d = new DirtySet(() => wakes++, t);
    d.add(['t:1'], 0);
    t.advance(40);
    d.add(['t:2', 't:1'], 40);
    t.advance(40);
    expect(wakes).toBe(0);
    t.advance(20);
    expect(wakes).toBe(1);
    // A steady trickle still wakes by 250 ms.
    for (let i = 0; i < 10; i++) {
      d.add([`p:${i}`], 0);
      t.advance(30);
    }
    expect(wakes).toBe(2);
    const batch = d.take();
    expect([...batch.prs.keys()].length).toBeGreaterThan(0);
  });

  it('keeps the earliest arrival per object, drops what another daemon served, and overflows into a poll', () => {
    const t = manual();
    const d = new DirtySet(() => undefined, t, { maxPending: 2 });
    d.add(['t:1'], 100);
    d.add(['t:1'], 50);
    d.add(['c:abc', 'p:3'], 10);
    d.drop(['c:abc']);
    const b = d.take();
    expect(b.tickets.get('1')).toBe(50);
    expect(b.commits.size).toBe(0);
    expect(b.overflow).toBe(true);
    expect(d.pending).toBe(false);
  });

  it('a full poll serves ticket hints but leaves PRs and commits', () => {
    const d = new DirtySet(() => undefined, manual());
    d.add(['t:1', 'p:2'], 0);
    d.ticketsServed(d.mark());
    const b = d.take();
    expect(b.tickets.size).toBe(0);
    expect([...b.prs.keys()]).toEqual([2]);
  });

  it('a ticket marked while the poll ran is not served by it (its listing may predate the change)', () => {
    const d = new DirtySet(() => undefined, manual());
    d.add(['t:1'], 0);
    const pollStart = d.mark();
    d.add(['t:2'], 5); // arrives mid-poll
    d.add(['t:1'], 6); // named again mid-poll
    d.ticketsServed(pollStart);
    expect([...d.take().tickets.keys()].sort()).toEqual(['1', '2']);
  });
});

describe('health and intervals', () => {
  const cfg = (extra: Record<string, unknown> = {}) =>
    validateConfig({ tracker: { kind: 'github', repo: 'a/b' }, server: { port: 8080 }, polling: { interval: '30s' }, webhooks: { github_secret: SECRET, healthy_within: '10m', poll_interval: '5m', ...extra } }, { file: 'WORKFLOW.md', env: {} }).config;

  it('waiting, then healthy (5m polls, 5m PR watches), then silent (back to 30s and 2m)', () => {
    const c = cfg();
    const start = 0;
    expect(webhookView(c, { github: null, linear: null }, 1000, start)).toMatchObject({ github: { state: 'waiting' }, linear: { state: 'off' }, poll_interval_ms: 30_000, watch_interval_ms: 120_000 });
    const healthy = webhookView(c, { github: 60_000, linear: null }, 120_000, start);
    expect(healthy).toMatchObject({ github: { state: 'healthy' }, poll_interval_ms: 300_000, watch_interval_ms: 300_000 });
    expect(webhookView(c, { github: 60_000, linear: null }, 60_000 + 600_001, start)).toMatchObject({ github: { state: 'silent' }, poll_interval_ms: 30_000, watch_interval_ms: 120_000 });
    // Nothing at all for healthy_within after the start: silent too.
    expect(webhookView(c, { github: null, linear: null }, 600_001, start).github.state).toBe('silent');
  });

  it('a poll_interval below polling.interval never makes polling faster', () => {
    expect(webhookView(cfg({ poll_interval: '10s' }), { github: 1, linear: null }, 2, 0).poll_interval_ms).toBe(30_000);
  });

  it('Linear tickets relax with Linear deliveries; PR watches with GitHub ones', () => {
    const c = validateConfig({ tracker: { kind: 'linear', team: 'ENG' }, server: { port: 1 }, webhooks: { linear_secret: SECRET } }, { file: 'W.md', env: {} }).config;
    expect(webhookView(c, { github: null, linear: 1 }, 2, 0)).toMatchObject({ tickets_from: 'linear', poll_interval_ms: 300_000, watch_interval_ms: 120_000, github: { state: 'off' } });
  });
});

describe('webhooks: configuration', () => {
  const v = (raw: Record<string, unknown>, env: Record<string, string> = {}) => validateConfig(raw, { file: 'WORKFLOW.md', env });
  const err = (raw: Record<string, unknown>, env: Record<string, string> = {}) => {
    try {
      v(raw, env);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('no error');
  };

  it('reads $ENV secrets, lists them as secrets, trims the public URL', () => {
    const r = v({ server: { port: 8080 }, webhooks: { github_secret: '$GH_HOOK', public_url: 'https://swarm.example.com/' } }, { GH_HOOK: SECRET });
    expect(r.config.webhooks).toEqual({ github_secret: SECRET, linear_secret: null, public_url: 'https://swarm.example.com', healthy_within: 600_000, poll_interval: 300_000 });
    expect(r.secrets).toContain(SECRET);
  });

  it('a secret without server.port is an error naming both keys', () => {
    const m = err({ webhooks: { github_secret: SECRET } });
    expect(m).toContain('webhooks.github_secret');
    expect(m).toContain('server.port');
  });

  it('refuses a short secret without echoing it, and a public_url with credentials or a query', () => {
    const m = err({ server: { port: 1 }, webhooks: { github_secret: 'shortsecret' } });
    expect(m).toContain('at least 16 characters');
    expect(m).not.toContain('shortsecret');
    expect(err({ server: { port: 1 }, webhooks: { github_secret: SECRET, public_url: 'https://u:p@x.example' } })).toContain('webhooks.public_url');
    expect(err({ server: { port: 1 }, webhooks: { github_secret: SECRET, public_url: 'https://x.example/?a=1' } })).toContain('webhooks.public_url');
    expect(err({ server: { port: 1 }, webhooks: { github_secret: SECRET, public_url: 'ftp://x.example' } })).toContain('webhooks.public_url');
  });

  it('warns about a secret the tracker cannot use and unknown keys', () => {
    const r = v({ tracker: { kind: 'github', repo: 'a/b' }, server: { port: 1 }, webhooks: { linear_secret: SECRET, nope: 1 } });
    expect(r.warnings.join('\n')).toContain('webhooks.linear_secret has no effect');
    expect(r.warnings.join('\n')).toContain('unknown key webhooks.nope');
  });
});
