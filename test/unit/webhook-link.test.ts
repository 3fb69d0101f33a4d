// The loop's side of webhooks on a hand-driven clock: deliveries become dirty objects and keep a source
// healthy; health changes are said once; the keep-alive pings the hook only when GitHub has been quiet for
// ¾ of healthy_within; fleet messages from the bus count like the daemon's own deliveries, and "done" from
// another daemon drops what it served.
import { describe, expect, it } from 'vitest';
import { WebhookLink } from '../../src/orchestrator/webhook-link.js';
import { validateConfig } from '../../src/config/schema.js';
import { emptyState } from '../../src/state/empty-state.js';
import type { ViewedState } from '../../src/core/types.js';
import { Logger } from '../../src/log/logger.js';
import { parseBusMessage, type BusMessage, type HintBus } from '../../src/webhooks/bus.js';
import type { Settings } from '../../src/orchestrator/runtime.js';

const SECRET = 'link-test-secret-000000';

function world(opts: { publicUrl?: string | null } = {}) {
  let now = 1_000_000;
  let out = '';
  let nudges = 0;
  const pings: string[] = [];
  const config = validateConfig({
    tracker: { kind: 'github', repo: 'acme/widgets' }, server: { port: 1 }, polling: { interval: '30s' },
    webhooks: { github_secret: SECRET, public_url: opts.publicUrl === undefined ? 'https://swarm.example.com' : opts.publicUrl, healthy_within: '10m', poll_interval: '5m' },
  }, { file: 'W.md', env: {} }).config;
  const hooks = { ping: async (url: string) => (pings.push(url), 'sent' as const) };
  const settings = { wf: { config }, svc: { codeHost: { kind: 'github', hooks } } } as unknown as Settings;
  const state: ViewedState = emptyState(now);
  state.daemon = { pid: 1, started_at: '', heartbeat_at: '', draining: false, config_error: null, workflow: 'W.md', max_attempts: 3, max_concurrent: 1 };
  const log = new Logger({ eventsFile: null, out: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream });
  const link = new WebhookLink({ settings, log, now: () => now, random: () => 0, daemon: state.daemon, deliveriesFile: null, nudge: () => nudges++ });
  return {
    link, state, pings,
    get out() { return out; },
    get nudges() { return nudges; },
    advance(ms: number) { now += ms; },
    get now() { return now; },
  };
}

describe('WebhookLink', () => {
  it('a verified delivery makes GitHub healthy (said once), relaxes the intervals, and its objects wait in the dirty set', () => {
    const w = world();
    expect(w.link.pollInterval()).toBe(30_000);
    w.link.accept('github', { kind: 'hints', event: 'issues', action: 'labeled', hints: { tickets: ['7'], prs: [], commits: [] } }, w.now);
    expect(w.link.dirty.size).toBe(1);
    expect(w.link.checkHealth()).toBe(true);
    expect(w.link.checkHealth()).toBe(false);
    expect(w.out.match(/github webhooks healthy/g)).toHaveLength(1);
    expect(w.link.pollInterval()).toBe(300_000);
    expect(w.link.watchInterval()).toBe(300_000);
    expect(w.state.daemon!.webhooks).toMatchObject({ github: { state: 'healthy' }, poll_interval_ms: 300_000 });
  });

  it('a ping alone nudges the loop the first time (so the relaxed interval applies at once), not while healthy', () => {
    const w = world();
    w.link.accept('github', { kind: 'ping', event: 'ping' }, w.now);
    expect(w.nudges).toBe(1);
    w.link.checkHealth();
    w.link.accept('github', { kind: 'ping', event: 'ping' }, w.now);
    expect(w.nudges).toBe(1);
    expect(w.link.dirty.pending).toBe(false);
  });

  it('silence after healthy_within is said once, with polling back at polling.interval; the loop is told when to look', () => {
    const w = world();
    w.link.accept('github', { kind: 'ping', event: 'ping' }, w.now);
    w.link.checkHealth();
    expect(w.link.wakeTimes()).toEqual([w.now + 600_001]);
    w.advance(600_001);
    expect(w.link.checkHealth()).toBe(true);
    w.advance(1000);
    w.link.checkHealth();
    expect(w.out.match(/github webhooks silent: no verified delivery since .* polling every 30s \(polling.interval\) again/g)).toHaveLength(1);
    expect(w.link.pollInterval()).toBe(30_000);
  });

  it('the keep-alive pings only after ¾ of healthy_within of quiet, and not again until the next ¾', async () => {
    const w = world();
    w.link.accept('github', { kind: 'ping', event: 'ping' }, w.now);
    w.link.keepAlive();
    expect(w.pings).toEqual([]);
    w.advance(449_000);
    w.link.keepAlive();
    expect(w.pings).toEqual([]);
    w.advance(2_000);
    w.link.keepAlive();
    w.link.keepAlive();
    expect(w.pings).toEqual(['https://swarm.example.com/webhooks/github']);
    w.advance(300_000);
    w.link.keepAlive();
    expect(w.pings).toHaveLength(1);
    w.advance(200_000);
    w.link.keepAlive();
    expect(w.pings).toHaveLength(2);
  });

  it('no public_url: no hook to ping', () => {
    const w = world({ publicUrl: null });
    w.advance(3_600_000);
    w.link.keepAlive();
    expect(w.pings).toEqual([]);
  });

  it('fleet: deliveries go out on the bus and come back to every daemon; "done" from another daemon drops what it served', async () => {
    const w = world();
    const sent: BusMessage[] = [];
    let listener: (m: BusMessage) => void = () => {};
    const bus: HintBus = { publish: async (m) => void sent.push(m), onMessage: (fn) => (listener = fn), listening: () => true, close: async () => {} };
    w.link.attachBus(bus, 'host:1:x');
    w.link.accept('github', { kind: 'hints', event: 'issues', action: 'labeled', hints: { tickets: ['7'], prs: [3], commits: [] } }, w.now);
    await Promise.resolve();
    expect(sent).toEqual([{ t: 'hint', from: 'host:1:x', source: 'github', at: w.now, keys: ['t:7', 'p:3'] }]);
    expect(w.link.dirty.size).toBe(0); // not until it comes back
    listener(sent[0]!);
    expect(w.link.dirty.size).toBe(2);
    listener({ t: 'done', from: 'other:2:y', keys: ['t:7'] });
    listener({ t: 'done', from: 'host:1:x', keys: ['p:3'] }); // its own: ignored
    expect([...w.link.dirty.take().prs.keys()]).toEqual([3]);
  });

  it('bus messages are validated: junk, unknown kinds and odd keys are dropped', () => {
    expect(parseBusMessage('not json')).toBeNull();
    expect(parseBusMessage(JSON.stringify({ t: 'hint', from: 'x', source: 'gitlab', at: 1, keys: [] }))).toBeNull();
    expect(parseBusMessage(JSON.stringify({ t: 'hint', from: 'x', source: 'github', at: 'now', keys: [] }))).toBeNull();
    expect(parseBusMessage(JSON.stringify({ t: 'done', from: 'x', keys: ['t:1', 'x:2', 't:has space', 3] }))).toEqual({ t: 'done', from: 'x', keys: ['t:1'] });
  });
});
