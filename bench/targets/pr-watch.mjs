// Issue #15, target 7: PR follow-through is cheap while nothing happens. 20 handed-off PRs, each with a
// passing check, nothing changing: every request of a watch interval must be answered 304 (GitHub does
// not count a 304 against the rate limit), so 0 rate-limit points per interval. The naive watcher (the
// same six reads per PR, without ETags) runs against the same server for comparison.
import { startFakeGitHub } from '../lib/fake-github.mjs';
import { makeRepo } from '../lib/repo.mjs';
import { isListing, makeProject, startDaemon, waitFor } from '../lib/harness.mjs';
import { fmt } from '../lib/stats.mjs';

const PRS = 20;
const WATCH_MS = 500;
const INTERVALS = 10;

/** The reads of one watch of PR `n` (watch.ts): the PR, its head's check runs and status, reviews, both comment lists. */
function naiveReads(gh, n, sha) {
  const r = `/repos/${gh.fullName}`;
  return [`${r}/pulls/${n}`, `${r}/commits/${sha}/check-runs?per_page=100`, `${r}/commits/${sha}/status?per_page=100`, `${r}/pulls/${n}/reviews?per_page=100`, `${r}/pulls/${n}/comments?per_page=100`, `${r}/issues/${n}/comments?per_page=100`];
}

export async function benchPrWatch(log) {
  const repo = await makeRepo();
  const gh = await startFakeGitHub({ gitDir: repo.origin });
  let daemon = null;
  try {
    const issues = Array.from({ length: PRS }, (_, i) => gh.addIssue({ title: `Watched ${i + 1}`, labels: ['agent'] }));
    const project = await makeProject(gh, { repo, scenario: 'commit_and_pr', config: { pr: { watch_interval: WATCH_MS }, polling: { interval: '1s' }, agent: { max_concurrent: 10 } } });
    daemon = startDaemon(project);
    await waitFor(() => gh.pulls.length === PRS && issues.every((n) => gh.labelsOf(n).includes('agent:review')), { timeoutMs: 180_000, what: `${PRS} PRs handed off` });
    for (const p of gh.pulls) await gh.addCheckRun(p.number, { name: 'ci', conclusion: 'success', summary: 'green' });
    const first = gh.pulls[0].number;
    const watchesOfFirst = () => gh.requests.filter((r) => r.method === 'GET' && r.path === `/repos/${gh.fullName}/pulls/${first}`).length;
    // Two watch rounds to see the passing checks and warm the ETag cache, then measure.
    const w0 = watchesOfFirst();
    await waitFor(() => watchesOfFirst() >= w0 + 3, { timeoutMs: 60_000, what: 'the watch cache warm' });
    const from = gh.requests.length;
    const w1 = watchesOfFirst();
    await waitFor(() => watchesOfFirst() >= w1 + INTERVALS + 1, { timeoutMs: 120_000, what: `${INTERVALS} watch intervals` });
    const window = gh.requests.slice(from).filter((r) => !isListing(gh, r));
    // Up to the first PR's read that starts interval INTERVALS + 1.
    const starts = window.map((r, i) => (r.method === 'GET' && r.path === `/repos/${gh.fullName}/pulls/${first}` ? i : -1)).filter((i) => i >= 0);
    const measured = window.slice(starts[0], starts[INTERVALS]);
    const non304 = measured.filter((r) => r.status !== 304);
    const perInterval = measured.length / INTERVALS;
    const points = non304.length / INTERVALS;
    log(`${PRS} idle PRs: ${fmt(perInterval)} requests per watch interval, ${measured.length - non304.length} of ${measured.length} answered 304, ${fmt(points)} points/interval`);
    if (non304.length > 0) log(`non-304: ${non304.slice(0, 5).map((r) => `${r.method} ${r.path.split('?')[0]} ${r.status}`).join(', ')}`);

    // The naive watcher: the same reads, no If-None-Match.
    const mark = 'x-swarm-bench-naive';
    const before = gh.requests.length;
    for (const p of gh.pulls) {
      const sha = await gh.headSha(p.number);
      for (const path of naiveReads(gh, p.number, sha)) {
        const res = await fetch(`${gh.url}${path}`, { headers: { authorization: `token ${gh.token}`, accept: 'application/vnd.github+json', [mark]: '1' } });
        await res.arrayBuffer();
      }
    }
    const naive = gh.requests.slice(before).filter((r) => r.headers[mark] === '1');
    const naivePoints = naive.filter((r) => r.status !== 304).length;
    return [
      { target: `#15 PR watch: share of watch requests answered 304 (${PRS} idle PRs, ${INTERVALS} intervals)`, measured: measured.length === 0 ? null : (measured.length - non304.length) / measured.length, baseline: naive.length === 0 ? null : (naive.length - naivePoints) / naive.length, limit: '= 1', pass: measured.length > 0 && non304.length === 0, unit: '', baselineNote: 'naive' },
      { target: `#15 PR watch: rate-limit points per watch interval (${PRS} idle PRs)`, measured: points, baseline: naivePoints, limit: '0', pass: measured.length > 0 && points === 0, unit: 'pts', baselineNote: 'naive' },
    ];
  } finally {
    await daemon?.stop().catch(() => undefined);
    await gh.close();
    repo.cleanup();
  }
}
