// The console's pure parts: the event bus's ring and resume, login sessions, authentication with a session
// and its CSRF check, the transcript as HTML (hostile agent text escaped, the prompt folded, the operator
// marked), the charts and the timeline (unknown statuses shown generically), and did-you-mean.
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/server/console/bus.js';
import { Sessions, sessionFromCookie } from '../../src/server/sessions.js';
import { authenticate, authProblem, type ApiAuth } from '../../src/server/auth.js';
import { eventHtml, lineKind, transcriptHtml } from '../../src/server/console/transcript-html.js';
import { histogram, lineChart, stackedBars } from '../../src/server/console/charts.js';
import { timelineItem } from '../../src/server/console/timeline.js';
import { ConsoleFeed, channelOf } from '../../src/server/console/feed.js';
import { Logger } from '../../src/log/logger.js';
import { ticketPage } from '../../src/server/console/ticket-page.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseLine } from '../../src/agent/stream.js';
import { OPERATOR_PREFIX } from '../../src/agent/inbox.js';
import { closest, distance } from '../../src/util/did-you-mean.js';
import type { StreamEvent } from '../../src/agent/types.js';

const ev = (o: unknown) => parseLine(JSON.stringify(o)) as StreamEvent;

describe('EventBus', () => {
  it('numbers events, replays what a client missed, says when the ring no longer holds it, redacts once', () => {
    const bus = new EventBus((t) => t.replace(/sekret/g, '***'), 3);
    const got: number[] = [];
    const off = bus.subscribe((e) => got.push(e.id));
    for (let i = 1; i <= 5; i++) bus.publish('status', { n: i, token: 'sekret' });
    expect(got).toEqual([1, 2, 3, 4, 5]);
    expect(bus.lastId).toBe(5);
    expect(bus.since(3)!.map((e) => e.id)).toEqual([4, 5]);
    expect(bus.since(5)).toEqual([]);
    expect(bus.since(1)).toBeNull(); // 2 is gone: the client must reload
    expect(bus.since(2)!.map((e) => e.id)).toEqual([3, 4, 5]);
    expect(bus.since(5)![0]).toBeUndefined();
    expect(bus.since(4)![0]!.data).toBe('{"n":5,"token":"***"}');
    off();
    bus.publish('status', {});
    expect(got).toHaveLength(5);
  });

  it('keeps its bytes bounded and survives a throwing subscriber', () => {
    const bus = new EventBus(undefined, 1000, 100);
    bus.subscribe(() => {
      throw new Error('broken');
    });
    for (let i = 0; i < 10; i++) bus.publish('line', { html: 'x'.repeat(40) });
    expect(bus.since(bus.lastId - 1)).toHaveLength(1);
    expect(bus.since(0)).toBeNull();
    expect(bus.subscribers).toBe(0);
  });
});

describe('console sessions and authentication', () => {
  it('a one-time token becomes a session once; sessions expire; the cookie is HttpOnly and SameSite=Strict', () => {
    let now = 1_000_000;
    const s = new Sessions(() => now);
    const token = s.mintToken();
    const id = s.redeem(token)!;
    expect(id).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(s.redeem(token)).toBeNull();
    expect(s.check(id)).toBe(id);
    expect(s.check(`${id}x`)).toBeNull();
    const late = s.mintToken();
    now += 11 * 60_000;
    expect(s.redeem(late)).toBeNull(); // ten minutes
    now += 7 * 24 * 3600_000;
    expect(s.check(id)).toBeNull();
    expect(Sessions.cookie('abc', true)).toBe('swarm_session=abc; HttpOnly; SameSite=Strict; Path=/; Max-Age=604800; Secure');
    expect(sessionFromCookie('a=1; swarm_session=xyz; b=2')).toBe('xyz');
  });

  it('a session authenticates; its controls need this server\'s Origin (CSRF); scripts with the bearer token need none', () => {
    const sessions = new Sessions();
    const id = sessions.redeem(sessions.mintToken())!;
    const auth: ApiAuth = { token: 't'.repeat(64), loopback: false, sessions };
    const host = 'swarm.example.com:8443';
    const req = (method: string, headers: Record<string, string>) => authProblem({ method, path: '/api/v1/pause', headers: { host, ...headers } }, auth);
    const cookie = `swarm_session=${id}`;
    expect(authenticate({ cookie }, auth)).toEqual({ via: 'session', session: id });
    expect(authenticate({ cookie: 'swarm_session=forged' }, auth)).toBeNull();
    expect(req('GET', { cookie })).toBeNull(); // read-only, off loopback, with a session
    expect(req('GET', {})?.status).toBe(401); // off loopback without one
    expect(req('POST', { cookie, origin: `https://${host}` })).toBeNull();
    expect(req('POST', { cookie })?.status).toBe(403); // no Origin: not this server's page
    expect(req('POST', { cookie, origin: `https://${host}`, 'sec-fetch-site': 'cross-site' })?.status).toBe(403);
    expect(req('POST', { cookie, origin: 'https://evil.example' })?.status).toBe(403);
    expect(req('POST', { authorization: `Bearer ${'t'.repeat(64)}` })).toBeNull();
    expect(req('POST', {})?.status).toBe(401);
    expect(authProblem({ method: 'GET', path: '/login', headers: { host } }, auth)).toBeNull(); // the login is public
  });
});

describe('transcript as HTML', () => {
  const assistant = (content: unknown[]) => ev({ type: 'assistant', message: { id: 'm1', model: 'sonnet', role: 'assistant', content } });
  it('escapes the agent\'s words and tool output; folds inputs and long results; highlights errors', () => {
    const say = eventHtml(assistant([{ type: 'text', text: '<img src=x onerror=alert(1)> done' }, { type: 'tool_use', name: 'Bash', input: { command: 'rm -rf "<b>"' } }]));
    expect(say).toContain('&lt;img src=x onerror=alert(1)&gt; done');
    expect(say).not.toContain('<img');
    expect(say).toMatch(/<details class="call"><summary><span class="tool">Bash<\/span> <code>rm -rf &quot;&lt;b&gt;&quot;<\/code><\/summary><pre>/);
    const long = Array.from({ length: 30 }, (_, i) => `line ${i} <script>`).join('\n');
    const res = eventHtml(ev({ type: 'user', message: { role: 'user', content: [{ type: 'tool_result', content: long, is_error: true }] } }));
    expect(res).toMatch(/^<div class="ln error">✗ <pre>line 0 &lt;script&gt;/);
    expect(res).toContain('<summary>22 more line(s)</summary>');
    expect(res).not.toContain('<script>');
    const fail = ev({ type: 'result', subtype: 'error_max_turns', is_error: true, num_turns: 3, result: '', errors: ['Reached maximum number of turns (3)'], usage: {} });
    expect(eventHtml(fail)).toMatch(/^<div class="ln error"><b>result: error_max_turns \(error\)/);
    expect(eventHtml(ev({ type: 'assistant', error: 'rate_limit', message: { model: '<synthetic>', content: [{ type: 'text', text: "You've hit your limit" }] } }))).toContain('class="ln error">API error: You&#39;ve hit your limit');
  });

  it('folds the prompt, marks the operator\'s messages, and counts lines as the live stream does', () => {
    const prompt = { type: 'user', isReplay: true, message: { role: 'user', content: 'Work on #12 <ticket text>' } };
    const op = { type: 'user', isReplay: true, message: { role: 'user', content: `${OPERATOR_PREFIX}also add a test` } };
    expect(lineKind(ev(prompt))).toBe('prompt');
    expect(lineKind(ev(op))).toBe('operator');
    expect(eventHtml(ev(prompt))).toContain('<details><summary>prompt (25 characters)</summary><pre>Work on #12 &lt;ticket text&gt;</pre>');
    expect(eventHtml(ev(op))).toBe('<div class="ln operator"><b>operator:</b> also add a test</div>');
    const file = [{ type: 'system', subtype: 'init', session_id: 's', model: 'sonnet' }, prompt, op, { type: 'rate_limit_event', rate_limit_info: { status: 'allowed' } }].map((o) => JSON.stringify(o)).join('\n') + '\n{"type":"assis';
    expect(transcriptHtml(file, false).lines).toBe(4); // a torn last line of a running attempt is not a line yet
    expect(transcriptHtml('not json\n\n' + JSON.stringify(op) + '\n', true).lines).toBe(1);
  });
});

describe('charts and the timeline', () => {
  it('stacked bars, a line and a histogram as self-contained SVG with titles and the numbers', () => {
    const bars = stackedBars('c', 'Cost <per> day', [{ label: '03-01', values: { sonnet: 1, opus: 2 } }, { label: '03-02', values: {} }], (v) => `$${v}`);
    expect(bars).toMatch(/^<figure class="chart" id="c"><figcaption>Cost &lt;per&gt; day<\/figcaption><svg viewBox="0 0 640 200" role="img" aria-labelledby="c-t c-d"/);
    expect(bars.match(/<rect /g)).toHaveLength(2);
    expect(bars).toContain('<title>03-01 · opus: $2</title>');
    expect(bars).toContain('<li><span class="sw c0" aria-hidden="true"></span>opus</li>');
    expect(bars).not.toMatch(/https?:|style=/);
    expect(histogram('h', 'Attempts', [{ label: '1', count: 0 }])).toContain('no data in this period');
    const line = lineChart('w', 'Window', [{ at: 0, value: 50 }, { at: 10, value: 80 }], 0, 10, 100, (v) => `${v}%`, (t) => String(t));
    expect(line).toContain('<polyline class="line c0" fill="none" points="44,91 632,42.4"/>');
  });

  it('tells each step of a ticket in words; an event it does not know by its type and reason', () => {
    expect(timelineItem({ at: '2025-03-01T12:00:00.000Z', type: 'finished', attempt: 2, model: 'opus', outcome: 'no_changes', counted: true, reason: 'finished without <commits>', duration_ms: 65_000, cost_usd: 0.5, tokens: { input: 10, output: 5 } }))
      .toBe('<li class="ev bad"><time datetime="2025-03-01T12:00:00.000Z">2025-03-01 12:00:00</time> attempt 2 <b>no_changes</b> (counted) · opus · 1m 05s · 15 tokens · $0.50 — finished without &lt;commits&gt;</li>');
    expect(timelineItem({ at: '2025-03-02T00:00:00.000Z', type: 'verify_failed', reason: 'base branch red after merge' })).toContain('verify failed: base branch red after merge');
    expect(channelOf({ type: 'verifying', at: '', ticket: '#1', key: '1' } as never)).toBe('status');
    expect(channelOf({ type: 'spawned', at: '', ticket: '#1', key: '1', attempt: 1, pid: 1, pid_start: null })).toBeNull();
    expect(channelOf({ type: 'paused', at: '', kind: 'operator', until: null, reason: '', limit_type: null })).toBe('pause');
  });
});

describe('did you mean', () => {
  it('finds the key an operator meant within a couple of edits, a swap counting as one', () => {
    expect(distance('agnet', 'agent')).toBe(1);
    expect(closest('agnet', ['tracker', 'agent', 'pr'])).toBe('agent');
    expect(closest('lables', ['labels', 'exclude_labels'])).toBe('labels');
    expect(closest('zzz', ['agent', 'pr'])).toBeNull();
  });
});

describe('ConsoleFeed', () => {
  it('masks a secret the agent printed before the live line is made; numbers lines per attempt; keeps the current tool call', () => {
    const log = new Logger({ eventsFile: null, out: null });
    log.setSecrets(['sk-live-feed-secret-1234567890']);
    const bus = new EventBus((t) => log.redact(t));
    const feed = new ConsoleFeed(bus, log, () => undefined);
    const t = { key: '7', identifier: '#7' };
    feed.line(t, 1, ev({ type: 'assistant', message: { id: 'm', model: 'sonnet', content: [{ type: 'tool_use', name: 'Bash', input: { command: 'echo sk-live-feed-secret-1234567890' } }] } }));
    feed.line(t, 1, ev({ type: 'user', message: { role: 'user', content: [{ type: 'tool_result', content: 'token=sk-live-feed-secret-1234567890 & more', is_error: false }] } }));
    const lines = bus.since(0)!.map((e) => JSON.parse(e.data));
    expect(lines.map((l) => l.seq)).toEqual([1, 2]);
    expect(JSON.stringify(lines)).not.toContain('sk-live-feed-secret');
    expect(lines[0].tool).toBe('Bash: echo ***');
    expect(lines[1]).toMatchObject({ kind: 'tool_result', tool: null });
    expect(feed.currentTool('7')).toBe('Bash: echo ***');
  });

  it('without a served console keeps no agent lines (nobody could read them) but still knows the current tool call and samples the account window', () => {
    const log = new Logger({ eventsFile: null, out: null });
    log.setSecrets(['sk-live-feed-secret-1234567890']);
    const logged: string[] = [];
    log.onEvent((le) => logged.push(le.event.type));
    const bus = new EventBus((t) => log.redact(t));
    const feed = new ConsoleFeed(bus, log, () => undefined, Date.now, false);
    const t = { key: '7', identifier: '#7' };
    feed.line(t, 1, ev({ type: 'assistant', message: { id: 'm', model: 'sonnet', content: [{ type: 'text', text: 'x'.repeat(6000) }] } }));
    feed.line(t, 1, ev({ type: 'assistant', message: { id: 'm', model: 'sonnet', content: [{ type: 'tool_use', name: 'Bash', input: { command: 'echo sk-live-feed-secret-1234567890' } }] } }));
    feed.line(t, 1, ev({ type: 'user', message: { role: 'user', content: [{ type: 'tool_result', content: 'y'.repeat(6000), is_error: false }] } }));
    feed.line(t, 1, ev({ type: 'rate_limit_event', rate_limit_info: { status: 'allowed_warning', resetsAt: 1795272379, rateLimitType: 'five_hour', utilization: 0.8 } }));
    expect(bus.lastId).toBe(0);
    expect(bus.since(0)).toEqual([]);
    expect(feed.currentTool('7')).toBe('Bash: echo ***');
    expect(logged).toEqual(['account_window']);
  });
});

describe('ticket page', () => {
  it('shows the last 4 MB of a long transcript and counts every line before it, so the live view continues exactly', () => {
    const runs = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-runs-'));
    try {
      const file = path.join(runs, '7', '1.jsonl');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const line = (i: number) => JSON.stringify({ type: 'assistant', message: { id: `m${i}`, model: 'sonnet', content: [{ type: 'text', text: `line ${i} ${'x'.repeat(900)}` }] } }) + '\n';
      const n = 6000; // ~5.6 MB
      fs.writeFileSync(file, Array.from({ length: n }, (_, i) => line(i)).join(''));
      const attempt = { number: 1, model: 'sonnet', outcome: 'running', counted: false, reason: '', summary: '', started_at: '2025-03-01T12:00:00Z', ended_at: null, duration_ms: 0, cost_usd: 0, tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 }, session_id: null, pid: null, pid_start: null, run_file: file };
      const ticket = { key: '7', identifier: '#7', title: 'T', url: '', branch: 'b', worktree: '', status: 'running', attempts: [attempt], failures: 0, next_retry_at: null, retry_reason: null, pr: null, cost_usd: 0, claimed_at: null, updated_at: '', last_event: '', rev: 1, synced_rev: 1, cleared: false } as never;
      const html = ticketPage({ ticket, running: true, timeline: [], maxAttempts: 3, runsDir: runs }, { eventId: 0, canAct: true, attempt: null });
      expect(html).toContain(`data-lines="${n}"`);
      expect(html).toMatch(/The first \d+ lines are not shown \(6 MB transcript\)/);
      expect(html).toContain(`line ${n - 1} `);
      expect(html).not.toContain('line 0 ');
      expect(html).toContain('id="message-form"');
    } finally {
      fs.rmSync(runs, { recursive: true, force: true });
    }
  });
});
