// Targets 1 and 2: what an unchanged repository costs per poll, counted by the fake GitHub server.
// 500 open issues, 50 of them labelled `agent` but not eligible (25 already in review, 25 excluded), so
// the daemon idles. Phase 1: 20 polls. Phase 2: label 10 more issues, let 10 agents start (the fake
// claude sleeps), then 10 more polls with 10 tickets running. The naive poller (unconditional paginated
// list of open issues + one GET per running issue) runs against the same server for comparison.
import { startFakeGitHub } from '../lib/fake-github.mjs';
import { isListing, makeProject, killAgents, sleep, startDaemon, waitFor } from '../lib/harness.mjs';
import { fmt } from '../lib/stats.mjs';

const INTERVAL_MS = 250;

/** Requests and rate-limit points per poll over polls [from, to) (indexes into the listing requests). */
function perPoll(gh, from, to) {
  const all = gh.requests;
  const listings = all.map((r, i) => (isListing(gh, r) ? i : -1)).filter((i) => i >= 0);
  const window = all.slice(listings[from], listings[to]);
  return {
    polls: to - from,
    requests: window.length / (to - from),
    points: window.filter((r) => r.status !== 304).length / (to - from),
    non304: window.filter((r) => r.status !== 304).map((r) => `${r.method} ${r.path.split('?')[0]} ${r.status}`),
  };
}

/** The naive poller: no ETags, every page of open issues (following Link: next), then one GET per running issue. */
async function naive(gh, polls, running) {
  const mark = 'x-swarm-bench-naive';
  const get = (p) => fetch(`${gh.url}${p}`, { headers: { authorization: `token ${gh.token}`, accept: 'application/vnd.github+json', [mark]: '1' } });
  const before = gh.requests.length;
  for (let i = 0; i < polls; i++) {
    let next = `/repos/${gh.fullName}/issues?state=open&per_page=100`;
    while (next) {
      const res = await get(next);
      await res.json();
      const m = /<[^>]*?(\/repos\/[^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '');
      next = m ? m[1] : null;
    }
    for (const n of running) await (await get(`/repos/${gh.fullName}/issues/${n}`)).json();
  }
  const mine = gh.requests.slice(before).filter((r) => r.headers[mark] === '1');
  return { requests: mine.length / polls, points: mine.filter((r) => r.status !== 304).length / polls };
}

export async function benchPolling(log) {
  const gh = await startFakeGitHub();
  let project = null;
  let daemon = null;
  try {
    const running = [];
    for (let i = 1; i <= 500; i++) {
      const labels = i <= 25 ? ['agent', 'agent:review'] : i <= 50 ? ['agent', 'blocked'] : ['bug'];
      const n = gh.addIssue({ title: `Issue ${i}`, body: `Body of issue ${i}`, labels });
      if (i > 50 && i <= 60) running.push(n);
    }
    project = await makeProject(gh, { config: { polling: { interval: INTERVAL_MS } } });
    daemon = startDaemon(project);
    await daemon.waitForOutput(/swarm started/);
    const listings = () => gh.requests.filter((r) => isListing(gh, r)).length;

    // Phase 1: idle. Poll 1 is cold (200); polls 2..20 must be one 304 each.
    await waitFor(() => listings() >= 21, { what: '21 polls' });
    const idle = perPoll(gh, 1, 20);
    const naiveIdle = await naive(gh, 20, []);
    log(`idle: ${fmt(idle.requests)} req/poll, ${fmt(idle.points)} points/poll over ${idle.polls} polls; naive ${fmt(naiveIdle.requests)} req/poll`);

    // Phase 2: ten agents running, nothing changing.
    for (const n of running) gh.setLabels(n, ['bug', 'agent']);
    await waitFor(() => project.claudeCalls().length >= 10, { timeoutMs: 120_000, what: '10 agents started' });
    await sleep(1000); // claims and sticky comments written; the next listing is a 200, then 304s
    const start = listings() + 1;
    await waitFor(() => listings() >= start + 11, { what: '11 polls with 10 running' });
    const busy = perPoll(gh, start, start + 10);
    const naiveBusy = await naive(gh, 10, running);
    log(`10 running: ${fmt(busy.requests)} req/poll, ${fmt(busy.points)} points/poll; naive ${fmt(naiveBusy.requests)} req/poll`);
    if (busy.non304.length > 0) log(`non-304 requests while running: ${busy.non304.slice(0, 5).join(', ')}`);

    return [
      { target: '1 idle poll: requests/poll (500 open, 50 labelled, 19 polls after the first)', measured: idle.requests, baseline: naiveIdle.requests, limit: '≤ 1', pass: idle.requests <= 1, unit: 'req', baselineNote: 'naive' },
      { target: '1 idle poll: rate-limit points/poll (non-304)', measured: idle.points, baseline: naiveIdle.points, limit: '0', pass: idle.points === 0, unit: 'pts', baselineNote: 'naive' },
      { target: '2 reconcile: requests/poll with 10 running', measured: busy.requests, baseline: naiveBusy.requests, limit: '≤ 1', pass: busy.requests <= 1, unit: 'req', baselineNote: 'naive' },
      { target: '2 reconcile: rate-limit points/poll with 10 running', measured: busy.points, baseline: naiveBusy.points, limit: '0', pass: busy.points === 0, unit: 'pts', baselineNote: 'naive' },
    ];
  } finally {
    await daemon?.stop();
    if (project) killAgents(project);
    await gh.close();
    project?.cleanup();
  }
}
