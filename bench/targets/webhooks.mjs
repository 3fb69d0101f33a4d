// Issue #28, acceptance 7: webhooks, measured on the real daemon against the suite's fake GitHub, whose
// repository webhook delivers its own state changes to the daemon signed as GitHub signs them.
//
// 1. An idle hour, on a clock scaled 1:100 (honestly: every interval that produces requests is divided by
//    100 — polling.interval 30s → 300 ms, webhooks.poll_interval 5m → 3 s, webhooks.healthy_within 10m →
//    6 s, pr.watch_interval 2m → 1.2 s — and each mode runs for 36 s, one scaled hour). Polling mode: no
//    webhooks. Webhook mode: the hook exists and the daemon keeps it healthy with its own keep-alive pings.
//    Every request the fake receives counts (304s, hook listing and pings included). No request in either
//    mode depends on wall time otherwise (trust caches are only read on claims; nothing is claimed).
// 2. Label → agent spawned, polling.interval 30s, 20 tickets labelled at seeded random moments over 40 s by
//    a trusted user (trusted_labelers_only on): from the moment the fake applied the label to the creation
//    of the agent process (/proc start time). The label's `issues.labeled` delivery is what wakes swarm.
// 3. A fleet of three, one delivery to daemon 2 → the claim and the agent (webhooks-fleet.mjs).
import { createServer } from 'node:net';
import { startFakeGitHub } from '../lib/fake-github.mjs';
import { isListing, killAgents, labelAtRandom, makeProject, processStartEpochMs, sleep, startDaemon, waitFor } from '../lib/harness.mjs';
import { fmt, percentile } from '../lib/stats.mjs';
import { benchWebhookFleet } from './webhooks-fleet.mjs';

const SECRET = 'bench-webhook-secret-0123456789';
const SCALE = 100;
const HOUR_MS = 3_600_000 / SCALE;
const TICKETS = 20;
const WINDOW_MS = 40_000;

function freePort() {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Requests the daemon sends in one scaled hour, with or without healthy webhooks. */
async function idleHour(withHooks, log) {
  const gh = await startFakeGitHub();
  gh.setPermission('swarm-bot', 'admin');
  let project = null;
  let daemon = null;
  try {
    for (let i = 1; i <= 50; i++) gh.addIssue({ title: `Idle ${i}`, labels: i <= 25 ? ['agent', 'agent:review'] : ['agent', 'blocked'] });
    for (let i = 1; i <= 450; i++) gh.addIssue({ title: `Other ${i}`, labels: ['bug'] });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const hooks = withHooks ? { webhooks: { github_secret: SECRET, public_url: url, healthy_within: 600_000 / SCALE, poll_interval: 300_000 / SCALE } } : {};
    project = await makeProject(gh, { config: { polling: { interval: 30_000 / SCALE }, pr: { watch_interval: 120_000 / SCALE }, server: { port }, ...hooks } });
    if (withHooks) gh.webhooks.add({ url: `${url}/webhooks/github`, secret: SECRET, events: ['issues', 'issue_comment', 'pull_request', 'pull_request_review', 'check_run', 'check_suite', 'status', 'workflow_run'] });
    daemon = startDaemon(project);
    await daemon.waitForOutput(/swarm started/);
    await waitFor(() => gh.requests.some((r) => isListing(gh, r)), { what: 'first poll' });
    if (withHooks) await daemon.waitForOutput(/github webhooks healthy/, 30_000);
    await sleep(2_000); // past start-up (the first poll's 200s, the first ping)
    const from = gh.requests.length;
    const outFrom = daemon.stdout.length;
    const t0 = Date.now();
    await sleep(HOUR_MS);
    const window = gh.requests.slice(from);
    const elapsed = Date.now() - t0;
    const kinds = {};
    for (const r of window) {
      const k = `${r.method} ${r.path.split('?')[0].replace(/\/\d+/g, '/N')}`;
      kinds[k] = (kinds[k] ?? 0) + 1;
    }
    // Healthy throughout the window: no "silent" line while it ran (a fallback would also show as extra polls).
    const healthyAtEnd = withHooks ? !/github webhooks silent/.test(daemon.stdout.slice(outFrom)) : null;
    log(`${withHooks ? 'webhooks healthy' : 'polling only'}: ${window.length} requests in ${(elapsed / 1000).toFixed(1)} s (${Object.entries(kinds).map(([k, v]) => `${v}× ${k}`).join(', ')})${withHooks ? `; healthy throughout: ${healthyAtEnd}` : ''}`);
    return { requests: window.length * (HOUR_MS / elapsed), healthy: healthyAtEnd };
  } finally {
    await daemon?.stop();
    await gh.close();
    project?.cleanup();
  }
}

async function reaction(log) {
  const gh = await startFakeGitHub();
  gh.setPermission('swarm-bot', 'admin');
  let project = null;
  let daemon = null;
  try {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    project = await makeProject(gh, {
      config: {
        tracker: { trusted_labelers_only: true },
        polling: { interval: '30s' },
        agent: { max_concurrent: TICKETS },
        server: { port },
        webhooks: { github_secret: SECRET, public_url: url },
      },
    });
    const issues = Array.from({ length: TICKETS }, (_, i) => gh.addIssue({ title: `Pushed ${i + 1}`, labels: ['bug'] }));
    gh.webhooks.add({ url: `${url}/webhooks/github`, secret: SECRET, events: ['issues', 'issue_comment', 'pull_request', 'pull_request_review', 'check_run', 'check_suite', 'status', 'workflow_run'] });
    daemon = startDaemon(project);
    await daemon.waitForOutput(/swarm started/);
    await waitFor(() => gh.requests.some((r) => isListing(gh, r)), { what: 'first poll' });
    await daemon.waitForOutput(/github webhooks healthy/, 30_000);
    const { t0, labelledAt } = await labelAtRandom(gh, issues, { windowMs: WINDOW_MS, seed: 28, actor: 'octocat' });
    const byTicket = () => new Map(project.claudeCalls().map((c) => [Number(c.env.SWARM_TICKET_NUMBER), c]));
    await waitFor(() => byTicket().size >= TICKETS, { timeoutMs: 90_000, what: `${TICKETS} agents` });
    const calls = byTicket();
    const latencies = issues.map((n) => (processStartEpochMs(calls.get(n).pid) ?? Date.parse(calls.get(n).ts)) - labelledAt.get(n));
    const listings = gh.requests.filter((r) => isListing(gh, r) && r.at >= t0).length;
    const p50 = percentile(latencies, 50);
    log(`label → agent spawned over ${TICKETS} tickets at polling.interval 30s: p50 ${fmt(p50, 0)} ms, p90 ${fmt(percentile(latencies, 90), 0)} ms, max ${fmt(Math.max(...latencies), 0)} ms; ${listings} poll(s) during the ${WINDOW_MS / 1000} s window`);
    return { p50, max: Math.max(...latencies) };
  } finally {
    await daemon?.stop();
    if (project) killAgents(project);
    await gh.close();
    project?.cleanup();
  }
}

export async function benchWebhooks(log) {
  const polling = await idleHour(false, log);
  const hooked = await idleHour(true, log);
  const ratio = hooked.requests / polling.requests;
  log(`idle hour (scaled 1:${SCALE}): ${fmt(hooked.requests, 0)} requests with webhooks vs ${fmt(polling.requests, 0)} polling (ratio ${ratio.toFixed(3)})`);
  const r = await reaction(log);
  const fleet = await benchWebhookFleet(log);
  return [
    ...fleet,
    { target: '#28 webhooks: tracker requests in an idle hour, healthy webhooks vs polling at 30 s (clock scaled 1:100)', measured: hooked.requests, baseline: polling.requests, ratio, limit: '≤ 0.2×', pass: ratio <= 0.2 && hooked.healthy === true, unit: 'req', baselineNote: 'polling' },
    { target: `#28 webhooks: label → agent spawned p50, polling.interval 30 s (${TICKETS} tickets, trusted labeler)`, measured: r.p50, baseline: 30_000, ratio: r.p50 / 30_000, limit: '≤ 1000 ms', pass: r.p50 <= 1000, unit: 'ms', baselineNote: 'poll interval' },
  ];
}
