// The daemon's operator surfaces in isolation: the API server's authentication, the control socket path
// rule, /metrics as Prometheus text, webhook notifications (and that a broken webhook never hurts), and
// the Logger's text/json/verbose output.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import https from 'node:https';
import { generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyState } from '../../src/state/empty-state.js';
import { buildSnapshot } from '../../src/report/status.js';
import { renderMetrics } from '../../src/report/metrics.js';
import { Notifier, notificationFor } from '../../src/log/notify.js';
import type { SwarmEvent } from '../../src/core/events.js';
import { Logger } from '../../src/log/logger.js';
import { authProblem, ensureServerToken, startHttpServer } from '../../src/server/http.js';
import { authenticate } from '../../src/server/auth.js';
import { RefreshGate } from '../../src/server/refresh-gate.js';
import type { DaemonHandle } from '../../src/server/api.js';
import { defaultSocketPath, MAX_SOCKET_PATH } from '../../src/control/endpoint.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';
import { startWebhook, type FakeWebhook } from '../helpers/webhook.js';

const NOW = Date.parse('2025-03-01T12:00:00Z');
const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-surfaces-'));
  cleanups.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
};

function fakeHandle(calls: string[]): DaemonHandle {
  const ok = (m: string) => Promise.resolve({ ok: true as const, message: m });
  return {
    snapshot: () => buildSnapshot(emptyState(NOW), null, NOW),
    ticket: () => null,
    metrics: () => '# TYPE swarm_up gauge\nswarm_up 1\n',
    refresh: () => (calls.push('refresh'), { ok: true as const }),
    pause: (u) => (calls.push(`pause ${u}`), ok('paused')),
    resume: () => (calls.push('resume'), ok('resumed')),
    retry: (k) => (calls.push(`retry ${k}`), ok('retry')),
    release: (k) => (calls.push(`release ${k}`), ok('release')),
    cancel: (k) => (calls.push(`cancel ${k}`), ok('cancel')),
    message: (k, t) => (calls.push(`message ${k} ${t}`), ok('message')),
  };
}

describe('API server authentication', () => {
  it('loopback: reads are open, every POST needs the bearer token from .swarm/server-token (0600), refresh included', async () => {
    const dir = tmp();
    const calls: string[] = [];
    const srv = await startHttpServer({ host: '127.0.0.1', port: 0, handle: fakeHandle(calls), tokenFile: path.join(dir, 'server-token') });
    cleanups.push(() => srv.close());
    const token = fs.readFileSync(path.join(dir, 'server-token'), 'utf8').trim();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.statSync(path.join(dir, 'server-token')).mode & 0o777).toBe(0o600);
    const bearer = { authorization: `Bearer ${token}` };
    expect((await fetch(`${srv.url}api/v1/state`)).status).toBe(200);
    const refused = await fetch(`${srv.url}api/v1/refresh`, { method: 'POST' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="swarm"');
    expect((await fetch(`${srv.url}api/v1/pause`, { method: 'POST', body: '{"for_ms": 1000}' })).status).toBe(401);
    expect((await fetch(`${srv.url}api/v1/pause`, { method: 'POST', headers: { authorization: 'Bearer wrong' }, body: '{}' })).status).toBe(401);
    expect((await fetch(`${srv.url}api/v1/refresh`, { method: 'POST', headers: bearer })).status).toBe(202);
    const res = await fetch(`${srv.url}api/v1/resume`, { method: 'POST', headers: bearer });
    expect(res.status).toBe(200);
    expect(calls).toEqual(['refresh', 'resume']);
    expect((await fetch(`${srv.url}api/v1/pause`, { method: 'POST', headers: bearer, body: 'not json' })).status).toBe(400);
    expect((await fetch(`${srv.url}nope`)).status).toBe(404);
    // The token survives restarts (same file, same token).
    expect(ensureServerToken(path.join(dir, 'server-token'))).toBe(token);
  });

  it('a POST a browser marks as cross-site is refused even with the token; its own pages and Origin-less clients are not', async () => {
    const calls: string[] = [];
    const dir = tmp();
    const srv = await startHttpServer({ host: '127.0.0.1', port: 0, handle: fakeHandle(calls), tokenFile: path.join(dir, 'server-token') });
    cleanups.push(() => srv.close());
    const bearer = { authorization: `Bearer ${fs.readFileSync(path.join(dir, 'server-token'), 'utf8').trim()}` };
    const post = (headers: Record<string, string>) => fetch(`${srv.url}api/v1/refresh`, { method: 'POST', headers }).then((r) => r.status);
    expect(await post({ ...bearer, origin: 'https://evil.example' })).toBe(403);
    expect(await post({ ...bearer, origin: 'null' })).toBe(403);
    expect(await post({ origin: 'https://evil.example' })).toBe(403);
    expect(await post({ ...bearer, origin: srv.url.replace(/\/$/, '') })).toBe(202);
    expect(await post(bearer)).toBe(202);
    expect(calls).toEqual(['refresh', 'refresh']);
  });

  it('beyond loopback every route but /healthz needs the token; a foreign Origin is refused before the token is looked at', () => {
    const auth = { token: 't'.repeat(64), loopback: false };
    const ok = { authorization: `Bearer ${'t'.repeat(64)}` };
    const req = (method: string, p: string, headers: Record<string, string> = {}) => authProblem({ method, path: p, headers: { host: 'swarm.example:8443', ...headers } }, auth);
    for (const p of ['/', '/api/v1/state', '/api/v1/tickets/12', '/metrics']) {
      expect(req('GET', p)?.status, p).toBe(401);
      expect(req('GET', p, ok), p).toBeNull();
    }
    expect(req('GET', '/healthz')).toBeNull();
    expect(req('HEAD', '/healthz')).toBeNull();
    expect(req('POST', '/healthz')?.status).toBe(401);
    expect(req('POST', '/api/v1/refresh')?.status).toBe(401);
    expect(req('POST', '/api/v1/refresh', ok)).toBeNull();
    expect(req('POST', '/api/v1/tickets/12/release')?.status).toBe(401);
    // Origin: this server's own pages pass (scheme aside, default ports as browsers send them); others never.
    expect(req('POST', '/api/v1/refresh', { ...ok, origin: 'https://swarm.example:8443' })).toBeNull();
    expect(authProblem({ method: 'POST', path: '/api/v1/refresh', headers: { host: 'swarm.example', origin: 'https://swarm.example', ...ok } }, auth)).toBeNull();
    for (const origin of ['https://evil.example', 'https://swarm.example', 'null', 'https://swarm.example:8443.evil.example']) {
      expect(req('POST', '/api/v1/refresh', { ...ok, origin })?.status, origin).toBe(403);
      expect(req('POST', '/api/v1/refresh', { origin })?.status, origin).toBe(403);
    }
    expect(req('GET', '/api/v1/state', { ...ok, origin: 'https://evil.example' })).toBeNull(); // reading needs the token anyway
    expect(authProblem({ method: 'POST', path: '/api/v1/pause', headers: {} }, null)).toBeNull(); // the control socket
    // authenticate(): the one place credentials are checked (a console session will join the bearer token there).
    expect(authenticate({ authorization: `bearer ${'t'.repeat(64)}` }, auth)).toEqual({ via: 'bearer' });
    expect(authenticate({ authorization: `Bearer ${'t'.repeat(63)}` }, auth)).toBeNull();
    expect(authenticate({}, auth)).toBeNull();
  });

  it('refresh answers 429 with Retry-After when the daemon says an extra poll already ran this interval', async () => {
    const handle = { ...fakeHandle([]), refresh: () => ({ ok: false as const, retryAfterMs: 12_300, intervalMs: 30_000 }) };
    const dir = tmp();
    const srv = await startHttpServer({ host: '127.0.0.1', port: 0, handle, tokenFile: path.join(dir, 'server-token') });
    cleanups.push(() => srv.close());
    const token = fs.readFileSync(path.join(dir, 'server-token'), 'utf8').trim();
    const res = await fetch(`${srv.url}api/v1/refresh`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('13');
    expect(((await res.json()) as { message: string }).message).toMatch(/at most one per interval; try again in 13s/);
  });

  it('RefreshGate: one extra poll per polling interval, measured from the last one granted', () => {
    const gate = new RefreshGate();
    expect(gate.take(1000, 30_000)).toEqual({ ok: true });
    expect(gate.take(1001, 30_000)).toEqual({ ok: false, retryAfterMs: 29_999, intervalMs: 30_000 });
    expect(gate.take(30_999, 30_000).ok).toBe(false);
    expect(gate.take(31_000, 30_000)).toEqual({ ok: true });
    expect(gate.take(32_000, 1000)).toEqual({ ok: true }); // a reloaded, shorter interval applies at once
  });

  it('server.tls: serves HTTPS with the PEM pair; an unreadable or mismatched file is a clear error', async () => {
    const dir = tmp();
    const tls = { cert: path.join(FIXTURES, 'tls', 'cert.pem'), key: path.join(FIXTURES, 'tls', 'key.pem') };
    const srv = await startHttpServer({ host: '127.0.0.1', port: 0, handle: fakeHandle([]), tokenFile: path.join(dir, 'server-token'), tls });
    cleanups.push(() => srv.close());
    expect(srv.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await httpsGet(`${srv.url}healthz`, fs.readFileSync(tls.cert));
    expect(res).toEqual({ status: 200, body: 'ok\n' });
    await expect(fetch(`${srv.url.replace('https', 'http')}healthz`)).rejects.toThrow(); // no plain HTTP on the TLS port
    await expect(startHttpServer({ host: '127.0.0.1', port: 0, handle: fakeHandle([]), tokenFile: path.join(dir, 'server-token'), tls: { ...tls, key: path.join(dir, 'missing.pem') } }))
      .rejects.toThrow(/^server\.tls\.key .*missing\.pem cannot be read \(ENOENT\)/);
    fs.writeFileSync(path.join(dir, 'other.pem'), generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await expect(startHttpServer({ host: '127.0.0.1', port: 0, handle: fakeHandle([]), tokenFile: path.join(dir, 'server-token'), tls: { ...tls, key: path.join(dir, 'other.pem') } }))
      .rejects.toThrow(/^server\.tls: cannot serve HTTPS with .*cert\.pem and .*other\.pem/);
  });
});

/** GET over HTTPS trusting only `ca` (the test certificate). */
function httpsGet(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https.get(url, { ca }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('control socket path', () => {
  it('uses .swarm/control.sock when short enough, else a per-user private temp path keyed by the repo', () => {
    expect(defaultSocketPath('/home/me/project', '/tmp', 1000)).toBe('/home/me/project/.swarm/control.sock');
    const deep = '/home/me/' + 'very-long-folder-name/'.repeat(6) + 'project';
    const p = defaultSocketPath(deep, '/tmp', 1000);
    expect(p).toMatch(/^\/tmp\/swarm-1000\/[0-9a-f]{16}\.sock$/);
    expect(Buffer.byteLength(p)).toBeLessThanOrEqual(MAX_SOCKET_PATH);
    expect(defaultSocketPath(deep + '2', '/tmp', 1000)).not.toBe(p);
  });
});

describe('/metrics', () => {
  it('is valid Prometheus text with the documented families', () => {
    const s = emptyState(NOW);
    const attempt = (outcome: any) => ({ number: 1, model: 'sonnet', outcome, counted: false, reason: '', summary: '', started_at: '', ended_at: null, duration_ms: 0, cost_usd: 0, tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 }, session_id: null, pid: null, pid_start: null, run_file: '' });
    s.tickets['1'] = { key: '1', identifier: '#1', title: 'a "quoted" \\ title', url: '', branch: '', worktree: '', status: 'running', attempts: [attempt('no_changes'), attempt('running')], failures: 1, next_retry_at: null, retry_reason: null, pr: null, cost_usd: 0, claimed_at: null, updated_at: '', last_event: '', rev: 1, synced_rev: 1, cleared: false };
    s.pause = { kind: 'rate_limit', reason: 'limit', since: '', until: new Date(NOW + 60_000).toISOString(), limit_type: null };
    s.daily.cost_usd = 1.5;
    const text = renderMetrics({ snapshot: buildSnapshot(s, null, NOW), state: s, tracker: { kind: 'github', requests: 17, rateLimitRemaining: 4990 }, poll: { count: 3, lastDurationMs: 250 }, eligibleWaiting: 2 });
    const f = parsePrometheus(text);
    expect(sampleValue(f, 'swarm_agents_running')).toBe(1);
    expect(sampleValue(f, 'swarm_queue_length')).toBe(2);
    expect(sampleValue(f, 'swarm_attempts_total', { outcome: 'no_changes' })).toBe(1);
    expect(sampleValue(f, 'swarm_paused', { kind: 'rate_limit' })).toBe(1);
    expect(sampleValue(f, 'swarm_paused', { kind: 'operator' })).toBe(0);
    expect(sampleValue(f, 'swarm_pause_remaining_seconds')).toBe(60);
    expect(sampleValue(f, 'swarm_cost_usd_today')).toBe(1.5);
    expect(sampleValue(f, 'swarm_tracker_requests_total', { tracker: 'github' })).toBe(17);
    expect(sampleValue(f, 'swarm_tracker_rate_limit_remaining', { tracker: 'github' })).toBe(4990);
    expect(sampleValue(f, 'swarm_poll_duration_seconds')).toBe(0.25);
    expect(f.get('swarm_attempts_total')?.type).toBe('counter');
    expect(() => parsePrometheus('swarm_x 1\n')).toThrow(/without a # TYPE/); // the parser can fail
  });
});

describe('/metrics for PR follow-through', () => {
  it('counts watched PRs by state, follow-up rounds and done tickets', () => {
    const s = emptyState(NOW);
    const ticket = (key: string, status: any, followup: any) => ({
      key, identifier: `#${key}`, title: 't', url: '', branch: '', worktree: '', status, attempts: [], failures: 0, next_retry_at: null, retry_reason: null,
      pr: { number: Number(key), url: `https://example.invalid/pull/${key}` }, cost_usd: 0, claimed_at: null, updated_at: '', last_event: '', rev: 1, synced_rev: 1, cleared: false, followup,
    });
    const fu = (rounds: number, extra: any = {}) => ({ rounds, handled: [], ours: [], pending: null, stopped: null, seen: { at: '', head_sha: 'abc', checks: '1 failing', decision: 'x' }, ...extra });
    s.tickets['1'] = ticket('1', 'review', fu(0)) as any;
    s.tickets['2'] = ticket('2', 'running', fu(2, { pending: { kind: 'ci', round: 2, head_sha: 'abc', trigger: 'x' } })) as any;
    s.tickets['3'] = ticket('3', 'review', fu(3, { stopped: { why: 'needs_human', detail: '3 follow-ups', at: '' } })) as any;
    s.tickets['4'] = ticket('4', 'done', fu(1, { stopped: { why: 'merged', detail: 'merged', at: '' } })) as any;
    const f = parsePrometheus(renderMetrics({ snapshot: buildSnapshot(s, null, NOW), state: s, tracker: { kind: 'github', requests: 0, rateLimitRemaining: null }, poll: { count: 1, lastDurationMs: 1 }, eligibleWaiting: 0 }));
    expect(sampleValue(f, 'swarm_prs_watched', { state: 'watching' })).toBe(1);
    expect(sampleValue(f, 'swarm_prs_watched', { state: 'following_up' })).toBe(1);
    expect(sampleValue(f, 'swarm_prs_watched', { state: 'needs_human' })).toBe(1);
    expect(sampleValue(f, 'swarm_followups_total')).toBe(6);
    expect(sampleValue(f, 'swarm_tickets', { status: 'done' })).toBe(1);
  });
});

describe('/metrics for the shared account and the lanes', () => {
  const base = () => {
    const s = emptyState(NOW);
    return { snapshot: buildSnapshot(s, null, NOW), state: s, tracker: { kind: 'github', requests: 0, rateLimitRemaining: null }, poll: { count: 1, lastDurationMs: 10 }, eligibleWaiting: 0 };
  };

  it('exports the window utilization, the pause and the lane queue lengths when given', () => {
    const text = renderMetrics({ ...base(), account: { name: 'ada@example.com-1a2b3c', utilization: 0.93, paused: true }, laneQueue: { urgent: 1, normal: 4, background: 2 } });
    const f = parsePrometheus(text);
    expect(sampleValue(f, 'swarm_account_window_utilization', { account: 'ada@example.com-1a2b3c' })).toBe(0.93);
    expect(sampleValue(f, 'swarm_account_paused', { account: 'ada@example.com-1a2b3c' })).toBe(1);
    expect(sampleValue(f, 'swarm_lane_queue_length', { lane: 'urgent' })).toBe(1);
    expect(sampleValue(f, 'swarm_lane_queue_length', { lane: 'normal' })).toBe(4);
    expect(sampleValue(f, 'swarm_lane_queue_length', { lane: 'background' })).toBe(2);
    expect(f.get('swarm_lane_queue_length')?.type).toBe('gauge');
  });

  it('says nothing about them when absent, and no utilization when the CLI reported none', () => {
    const none = renderMetrics(base());
    for (const name of ['swarm_account_window_utilization', 'swarm_account_paused', 'swarm_lane_queue_length']) expect(none).not.toContain(name);
    const f = parsePrometheus(renderMetrics({ ...base(), account: { name: 'solo', utilization: null, paused: false }, laneQueue: null }));
    expect(f.has('swarm_account_window_utilization')).toBe(false);
    expect(sampleValue(f, 'swarm_account_paused', { account: 'solo' })).toBe(0);
    expect(f.has('swarm_lane_queue_length')).toBe(false);
  });
});

describe('webhook notifications', () => {
  let hook: FakeWebhook;
  const ev = (e: Record<string, unknown>) => ({ event: { at: '2025-03-01T12:00:00.000Z', ...e } as unknown as SwarmEvent, message: null });

  it('pause/resume, failed, PR opened and stopped become Slack/Discord JSON posts; other events do not', async () => {
    hook = await startWebhook();
    cleanups.push(() => hook.close());
    const n = new Notifier({ url: () => hook.url, source: () => 'acme/widgets' });
    n.listener(ev({ type: 'paused', kind: 'rate_limit', until: '2025-03-01T13:00:00Z', reason: 'usage limit', limit_type: 'five_hour' }));
    n.listener(ev({ type: 'resumed', kind: 'rate_limit', reason: 'rate_limit pause ended', canary: true }));
    n.listener(ev({ type: 'ticket_failed', ticket: '#4', key: '4', reason: 'no_changes', failures: 3 }));
    n.listener(ev({ type: 'pr_opened', ticket: '#1', key: '1', pr: 'https://github.com/acme/widgets/pull/2', number: 2 }));
    n.listener(ev({ type: 'started', ticket: '#1', key: '1', attempt: 1, model: 'sonnet', run_file: '', failures: 0, max_attempts: 3 }));
    n.listener(ev({ type: 'daemon_stopped', code: 0 }));
    await n.flush();
    expect(hook.texts().sort()).toEqual([
      '[swarm acme/widgets] ⏸ dispatch paused (rate_limit) until 2025-03-01T13:00:00Z: usage limit',
      '[swarm acme/widgets] ▶ dispatch resumed (was rate_limit): rate_limit pause ended',
      '[swarm acme/widgets] ■ swarm daemon stopped (exit code 0)',
      '[swarm acme/widgets] ✓ #1 handed off: https://github.com/acme/widgets/pull/2',
      '[swarm acme/widgets] ✗ #4 failed: no_changes',
    ].sort());
    expect(hook.received.every((r) => r.content === r.text)).toBe(true);
  });

  it('a failing, slow or unreachable webhook never throws, never rejects unhandled, and flush() still returns', async () => {
    const errors: string[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    cleanups.push(() => void process.off('unhandledRejection', onUnhandled));
    const failing = await startWebhook({ status: 500 });
    const slow = await startWebhook({ delayMs: 5000 });
    cleanups.push(() => failing.close(), () => slow.close());
    for (const url of [failing.url, slow.url, 'http://127.0.0.1:1/hook']) {
      const n = new Notifier({ url: () => url, timeoutMs: 300, onError: (m) => errors.push(m) });
      expect(() => n.listener(ev({ type: 'ticket_failed', ticket: '#4', key: '4', reason: 'x', failures: 1 }))).not.toThrow();
      await n.flush();
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/HTTP 500/);
    expect(unhandled).toEqual([]);
    expect(notificationFor(ev({ type: 'claimed', ticket: '#1', key: '1', branch: 'b', worktree: 'w', title: 't', url: 'u' }).event)).toBeNull();
    // PR follow-through: a follow-up starting and a ticket stopping for a human are pushed; a push back to review is not.
    expect(notificationFor(ev({ type: 'followup_started', ticket: '#1', key: '1', pr: 7, round: 2, kind: 'ci', head_sha: 'a'.repeat(40), triggers: [], checks: [], comments: [] }).event)).toBe('↻ #1 follow-up round 2 (failing checks) on PR #7');
    expect(notificationFor(ev({ type: 'needs_human', ticket: '#1', key: '1', why: 'human_push', reason: 'hanna pushed abc1234', label: 'agent:needs-human' }).event)).toBe('✋ #1 needs a human (agent:needs-human): hanna pushed abc1234');
    expect(notificationFor(ev({ type: 'followup_pushed', ticket: '#1', key: '1', round: 1, head_sha: 'a'.repeat(40), commits: [] }).event)).toBeNull();
    const off = new Notifier({ url: () => null });
    off.listener(ev({ type: 'paused', kind: 'operator', until: null, reason: 'x', limit_type: null }));
    await off.flush();
  });

  it('hangs off Logger events: a listener that throws never breaks logging', () => {
    const out = new PassThrough();
    const log = new Logger({ eventsFile: null, out, format: 'text' });
    const seen: string[] = [];
    log.onEvent(() => {
      throw new Error('listener bug');
    });
    log.onEvent((e) => seen.push(`${e.event.type}:${'ticket' in e.event ? e.event.ticket : ''}`));
    expect(() => log.event({ type: 'pr_opened', ticket: '#1', key: '1', pr: null, number: null })).not.toThrow();
    expect(seen).toEqual(['pr_opened:#1']);
  });
});

describe('progress lines', () => {
  function capture(opts: { format: 'text' | 'json'; color?: boolean; verbose?: boolean }) {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    const log = new Logger({ eventsFile: null, out, now: () => NOW, ...opts });
    log.setSecrets(['ghp_secretToken123']);
    return { log, text: () => text };
  }

  it('text: one line per transition, ticket id first, coloured only when asked; debug only with --verbose', () => {
    const c = capture({ format: 'text', color: true });
    c.log.event({ type: 'claimed', ticket: '#12', key: '12', branch: 'swarm/12-x', worktree: '/w', title: 'x', url: '' });
    c.log.event({ type: 'ticket_failed', ticket: '#13', key: '13', reason: 'failed with ghp_secretToken123', failures: 3 });
    c.log.debug('hidden');
    const lines = c.text().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const plainLines = lines.map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''));
    expect(plainLines[0]).toMatch(/^\d\d:\d\d:\d\d #12 +claimed → swarm\/12-x$/);
    expect(lines[0]).toContain('\x1b[36m'); // cyan for claims
    expect(lines[1]).toContain('\x1b[31m'); // red for failures
    expect(plainLines[1]).toContain('failed with ***');
    const plainOut = capture({ format: 'text', color: false });
    plainOut.log.event({ type: 'claimed', ticket: '#12', key: '12', branch: 'b', worktree: '/w', title: 'x', url: '' });
    expect(plainOut.text()).not.toMatch(/\x1b\[/);
    const verbose = capture({ format: 'text', verbose: true });
    verbose.log.debug('detail', '#12');
    expect(verbose.text()).toMatch(/#12 +detail/);
  });

  it('--log-format json: one JSON object per line with level, type, ticket and message; secrets masked', () => {
    const c = capture({ format: 'json' });
    c.log.event({ type: 'finished', ticket: '#12', key: '12', attempt: 1, model: 'sonnet', outcome: 'pr_opened', counted: false, reason: 'with ghp_secretToken123', summary: '', cost_usd: 0.1, tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 }, session_id: null, duration_ms: 1 });
    c.log.warn('plain warning', '#13');
    const recs = c.text().trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(recs[0]).toMatchObject({ level: 'info', type: 'finished', ticket: '#12', outcome: 'pr_opened', message: 'attempt 1 pr_opened: with ***', at: '2025-03-01T12:00:00.000Z' });
    expect(recs[1]).toMatchObject({ level: 'warn', ticket: '#13', message: 'plain warning' });
    expect(c.text()).not.toContain('ghp_secretToken123');
  });
});

describe('console overview page', () => {
  it('escapes ticket text, links only http(s) PR URLs, and runs no inline script', async () => {
    const { overviewPage } = await import('../../src/server/console/overview.js');
    const s = emptyState(NOW);
    s.tickets['1'] = { key: '1', identifier: '#1', title: '<img src=x onerror=alert(1)>', url: '', branch: '', worktree: '', status: 'review', attempts: [], failures: 0, next_retry_at: null, retry_reason: null, pr: { number: 2, url: 'javascript:alert(1)' }, cost_usd: 0, claimed_at: null, updated_at: '', last_event: '', rev: 1, synced_rev: 1, cleared: false };
    const html = overviewPage(buildSnapshot(s, null, NOW), { eventId: 0, canAct: false });
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('href="javascript:');
    expect(html).toContain('<script src="/assets/console.js" defer></script>');
    expect(html).not.toMatch(/<script>|<style>| on[a-z]+="/);
  });
});
