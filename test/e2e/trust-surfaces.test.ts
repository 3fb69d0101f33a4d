// Issues #7 and #22 on the operator surfaces: `swarm explain` names who applied the label of an untrusted
// ticket and why that is not enough; a server bound beyond loopback is refused without TLS (or an explicit
// server.insecure), and over TLS takes no request but /healthz without the bearer token from
// .swarm/server-token, refuses cross-site POSTs, grants one extra poll per interval however often refresh
// is asked, and its state never carries the token.
import * as fs from 'node:fs';
import https from 'node:https';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, ROOT, runCli, startDaemon, waitFor, type Daemon, type Project, githubWorld, teardown } from '../helpers/daemon.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';

let gh: FakeGitHub;
let project: Project;
let daemon: Daemon | null = null;

beforeEach(async () => {
  ({ project, gh } = await githubWorld());
});
afterEach(async () => {
  await teardown(daemon, gh, project);
  daemon = null;
});

describe('trust on the operator surfaces', () => {
  it('swarm explain says who applied the label and why the ticket is ignored', async () => {
    gh.setPermission('mallory', 'read');
    project.writeWorkflow(githubConfig(gh, { tracker: { trusted_labelers_only: true } }));
    const n = gh.addIssue({ title: 'Outsider labelled', labels: ['agent'], user: 'mallory', labeledBy: 'mallory' });
    const res = await runCli(project, ['start', '--until-idle'], { timeoutMs: 90_000 });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const ex = await runCli(project, ['explain', String(n)]);
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stdout).toMatch(/@mallory/);
    expect(ex.stdout).toMatch(/read permission/);
    expect(ex.stdout).toMatch(/trusted_labelers_only/);
  });

  it('beyond loopback: refused without server.tls/insecure (exit 2); over TLS every route but /healthz needs the token, and refresh is throttled', async () => {
    // A non-loopback host without TLS or an explicit insecure: start-up refuses, naming the keys (also when --port turns it on).
    project.writeWorkflow(githubConfig(gh, { server: { host: '0.0.0.0', port: 0 } }));
    const refused = await runCli(project, ['start', '--once']);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/server\.host 0\.0\.0\.0 serves the API beyond this machine over plain HTTP: set server\.tls .*server\.insecure: true/);
    project.writeWorkflow(githubConfig(gh, { server: { host: '0.0.0.0' } }));
    const viaFlag = await runCli(project, ['start', '--once', '--port', '0']);
    expect(viaFlag.code, viaFlag.stderr).toBe(2);
    expect(viaFlag.stderr).toMatch(/server\.tls/);
    expect(fs.existsSync(path.join(project.swarmDir, 'server-token'))).toBe(false); // refused before anything listened

    // With server.tls (paths relative to the repository root) it serves HTTPS; a long interval, so every poll is counted.
    fs.mkdirSync(path.join(project.dir, 'certs'));
    for (const f of ['cert.pem', 'key.pem']) fs.copyFileSync(path.join(ROOT, 'test', 'fixtures', 'tls', f), path.join(project.dir, 'certs', f));
    project.writeWorkflow(githubConfig(gh, { polling: { interval: '60s' }, server: { host: '0.0.0.0', port: 0, tls: { cert: 'certs/cert.pem', key: 'certs/key.pem' } } }));
    daemon = startDaemon(project);
    const m = await daemon.waitForOutput(/dashboard and API on (https:\/\/\S+?)\/? /, 60_000);
    const base = `https://127.0.0.1:${new URL(m[1]!).port}`;
    const ca = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'tls', 'cert.pem'));
    const call = (method: string, p: string, headers: Record<string, string> = {}) => request(`${base}${p}`, { method, headers, ca });
    const tokenFile = path.join(project.swarmDir, 'server-token');
    await waitFor(() => fs.existsSync(tokenFile), { what: 'server token' });
    const token = fs.readFileSync(tokenFile, 'utf8').trim();
    expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
    const bearer = { authorization: `Bearer ${token}` };

    expect(await call('GET', '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    for (const p of ['/', '/api/v1/state', '/api/v1/tickets/1', '/metrics']) expect((await call('GET', p)).status, p).toBe(401);
    expect((await call('GET', '/api/v1/state', { authorization: 'Bearer wrong' })).status).toBe(401);
    const state = await call('GET', '/api/v1/state', bearer);
    expect(state.status).toBe(200);
    for (const p of ['/api/v1/refresh', '/api/v1/pause', '/api/v1/resume']) expect((await call('POST', p)).status, p).toBe(401);
    expect((await call('POST', '/api/v1/pause', { ...bearer, origin: 'https://evil.example' })).status).toBe(403); // cross-site, even with the token
    expect(project.state().pause).toBeNull();

    // 20 authorised refreshes within a second: one extra poll, the rest told to wait (429 + Retry-After).
    const polls = async () => sampleValue(parsePrometheus((await call('GET', '/metrics', bearer)).body), 'swarm_polls_total') ?? 0;
    await waitFor(async () => (await polls()) >= 1, { what: 'the first poll' });
    const before = await polls();
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      statuses.push((await call('POST', '/api/v1/refresh', bearer)).status);
      await new Promise((r) => setTimeout(r, 45));
    }
    expect(statuses[0]).toBe(202);
    expect(statuses.slice(1)).toEqual(Array(19).fill(429));
    await waitFor(async () => (await polls()) > before, { what: 'the extra poll' });
    await new Promise((r) => setTimeout(r, 1500)); // time for any further (wrongly granted) poll to finish
    expect(await polls()).toBe(before + 1);

    // The token never shows up in the daemon's output or its state.
    expect(daemon.stdout + daemon.stderr).not.toContain(token);
    expect(state.body).not.toContain(token);
  });
});

/** An HTTPS request trusting only `ca` (the test certificate). */
function request(url: string, opts: { method: string; headers: Record<string, string>; ca: Buffer }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: opts.method, headers: opts.headers, ca: opts.ca }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
