// The dashboard's live view in a real headless Chromium: the page is served with one snapshot and
// /api/v1/state answers with another carrying a fleet, the shared account and the lane waiting list, so
// what the DOM shows afterwards was drawn by the browser running renderBody (shipped as source). A helper
// that renderBody reached outside itself would throw there and leave the first view standing.
import * as fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyState } from '../../src/state/file-store.js';
import { buildSnapshot } from '../../src/report/status.js';
import { dashboardPage } from '../../src/server/dashboard.js';
import { emptyAccount, withMember, withWindow } from '../../src/core/account-record.js';
import { appHtml, CHROMIUM, renderedDom } from '../helpers/chromium.js';
import { sampleFleetView } from '../helpers/fleet-view.js';

let server: http.Server | null = null;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

describe('dashboard live view in Chromium', () => {
  it('re-renders from /api/v1/state with the fleet, the account, the waiting lanes and the watched PRs', async () => {
    expect(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
    const now = Date.now();
    const first = buildSnapshot(emptyState(now), null, now);
    const state = emptyState(now);
    state.fleet = sampleFleetView(now, 'unreachable');
    state.daemon = { max_followups: 3 } as any;
    state.tickets['7'] = {
      key: '7', identifier: '#7', title: 'Fix the parser', url: '', branch: 'swarm/7', worktree: '', status: 'review', attempts: [], failures: 0, next_retry_at: null, retry_reason: null,
      pr: { number: 12, url: 'https://github.example/acme/widgets/pull/12' }, cost_usd: 0, claimed_at: null, updated_at: '', last_event: '', rev: 1, synced_rev: 1, cleared: false,
      followup: { rounds: 1, handled: [], ours: [], pending: null, stopped: null, seen: { at: new Date(now).toISOString(), head_sha: 'abc123', checks: '2 passed, 1 failing', decision: 'already followed up on this head' } },
    } as any;
    let rec = withMember(emptyAccount('ada@example.com-1a2b3c'), 'alpha:101', { host: 'alpha', pid: 101, repo: 'acme/widgets' }, now - 3000);
    rec = withWindow(rec, { status: 'allowed', utilization: 0.41, type: 'five_hour', resetsAt: now + 3_600_000 }, now - 1000, 'alpha:101');
    const live = buildSnapshot(state, null, now, { account: rec, waiting: [{ ticket: '#9', key: '9', title: 'Nightly cleanup', lane: 'background', waiting_because: 'background work runs 01:00-06:00' }] });
    server = http.createServer((req, res) => {
      const api = req.url?.startsWith('/api/v1/state');
      res.writeHead(200, { 'content-type': api ? 'application/json' : 'text/html; charset=utf-8' });
      res.end(api ? JSON.stringify(live) : dashboardPage(first));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const dom = appHtml(await renderedDom(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`));
    expect(dom).toContain('Fleet · 2 daemon(s) · database unreachable');
    expect(dom).toMatch(/<b class="daemon-host">alpha<\/b> <span class="self">\(this daemon\)<\/span>/);
    expect(dom).toMatch(/<b class="daemon-host">beta<\/b><\/td><td>202<\/td>/);
    expect(dom).toContain('id="fleet-db-banner"');
    expect(dom).toContain('running agents continue; their pushes, pull requests and tracker updates wait until the database confirms their leases; no new claims');
    expect(dom).toContain('<b id="account-window">41% used</b>');
    expect(dom).toMatch(/<td>Nightly cleanup<\/td><td><span class="lane background">background<\/span>/);
    expect(dom).toContain('Watched pull requests');
    expect(dom).toMatch(/<b class="ticket">#7<\/b><\/td><td><a class="pr" href="https:\/\/github.example\/acme\/widgets\/pull\/12">[^<]+<\/a><\/td><td>2 passed, 1 failing<\/td><td>1\/3<\/td>/);
  }, 120_000);
});
