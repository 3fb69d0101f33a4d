// Issue #22, target 5: a flooded ticket costs a bounded number of requests per poll. One labelled issue
// whose body references 3,000 issues (all of them closed, as old issues are) and that 300 different users
// commented on, in a repository with trusted_labelers_only on. Measured by the fake GitHub (every request it
// answered) and the daemon's own `swarm_poll_duration_seconds` (GET /metrics, sampled after every poll): a
// poll is its listing request and what arrived until the poll ended. The claim poll is the expensive one:
// the references (at most 20), the re-read, the trust check (events, a permission, the GraphQL edit
// history), the dedup guard and the claim's writes (label, the status comment: finding it reads the
// comments). The attempt it dispatches then reads the prompt's comments (the newest 100; at most 10 new
// commenters looked up) — counted on its own. Later polls only list.
import { startFakeGitHub } from '../lib/fake-github.mjs';
import { makeRepo } from '../lib/repo.mjs';
import { isListing, killAgents, makeProject, sleep, startDaemon, waitFor } from '../lib/harness.mjs';
import { fmt } from '../lib/stats.mjs';

const REFERENCES = 3000;
const COMMENTERS = 300;
const POLLS = 6;

async function metric(url, name) {
  const text = await (await fetch(`${url}metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : null;
}

export async function benchFloods(log) {
  const repo = await makeRepo();
  const gh = await startFakeGitHub({ gitDir: repo.origin });
  let daemon = null;
  let project = null;
  try {
    for (let i = 0; i < REFERENCES; i++) gh.addIssue({ title: `Old issue ${i + 1}`, state: 'closed' });
    const refs = Array.from({ length: REFERENCES }, (_, i) => `blocked by #${i + 1}`).join('\n');
    const flood = gh.addIssue({ title: 'Flooded', body: `Please fix.\n${refs}`, user: 'outsider', labels: ['agent'], labeledBy: 'octocat' });
    for (let i = 0; i < COMMENTERS; i++) gh.addComment(flood, { user: `commenter-${i}`, body: `+1 from commenter ${i}` });
    project = await makeProject(gh, { repo, config: { tracker: { trusted_labelers_only: true }, polling: { interval: '1s' }, server: { port: 0 } } });
    const from = gh.requests.length;
    daemon = startDaemon(project);
    await daemon.waitForOutput(/dashboard and API on (http:\/\/\S+\/)/);
    const url = /dashboard and API on (http:\/\/\S+\/)/.exec(daemon.stdout)[1];
    // Every poll's duration, read right after it ends.
    const durations = [];
    let seen = 0;
    const listings = () => gh.requests.slice(from).filter((r) => isListing(gh, r)).length;
    while (listings() < POLLS + 1) {
      const count = await metric(url, 'swarm_polls_total');
      if (count !== null && count > seen) {
        seen = count;
        durations.push(await metric(url, 'swarm_poll_duration_seconds'));
      }
      await sleep(25);
    }
    await waitFor(() => project.claudeCalls().length === 1, { timeoutMs: 30_000, what: 'the flooded ticket claimed' });
    await sleep(500); // the attempt's comment reads done
    // A poll is its listing request and whatever arrived until the daemon says the poll ended (its own
    // duration); what arrives later belongs to the attempt the poll dispatched (the prompt's comments).
    // Not the ticket's: the repository itself, and the base branch's watch (#26: the branch, its rulesets,
    // the checks and statuses of its head — no pull request exists before the attempt, so every commit read
    // in a poll is the base head's). Both are per repository, like the listing: counted in `polling`.
    const perRepository = (path) => /^\/repos\/[^/]+\/[^/]+$/.test(path) || /\/(rules\/)?branches\/[^/]+(\/protection.*)?$/.test(path) || /\/commits\/[^/]+\/(check-runs|status)$/.test(path);
    const all = gh.requests.slice(from).filter((r) => r.path !== '/user' && !perRepository(r.path.split('?')[0]));
    const starts = all.map((r, i) => (isListing(gh, r) ? i : -1)).filter((i) => i >= 0);
    const polls = starts.slice(0, POLLS).map((s, k) => {
      const end = all[s].at + durations[k] * 1000 + 5;
      return all.slice(s + 1, starts[k + 1] ?? all.length).filter((r) => r.at <= end);
    });
    const perPoll = polls.map((w) => w.length);
    const worst = Math.max(...perPoll);
    const claimedIn = perPoll.indexOf(worst);
    const attempt = all.slice(starts[claimedIn] + 1).filter((r) => !isListing(gh, r) && !polls[claimedIn].includes(r) && /comments|permission/.test(r.path));
    const kinds = (list) => {
      const out = {};
      for (const r of list) {
        const k = `${r.method} ${r.path.split('?')[0].replace(/\/\d+/g, '/N').replace(/collaborators\/[^/]+/, 'collaborators/U')}`;
        out[k] = (out[k] ?? 0) + 1;
      }
      return Object.entries(out).map(([k, n]) => `${n}× ${k}`).join(', ');
    };
    const slowest = Math.max(...durations.filter((d) => d !== null));
    log(`requests per poll for the ticket (the shared listing and the base branch's watch not counted): ${perPoll.join(', ')}`);
    log(`claim poll: ${kinds(polls[claimedIn])}`);
    log(`then the attempt it dispatched: ${attempt.length} request(s): ${kinds(attempt) || 'none'}`);
    log(`poll durations: ${durations.map((d) => `${fmt(d * 1000)} ms`).join(', ')}`);
    return [
      { target: `22.5 flood: requests per poll for a ticket naming ${REFERENCES} issues with ${COMMENTERS} commenters (worst of ${POLLS} polls, the claim's included)`, measured: worst, baseline: null, limit: '≤ 30', pass: worst <= 30, unit: 'req' },
      { target: '22.5 flood: the attempt it dispatched, until its agent runs (prompt comments, commenter permissions)', measured: attempt.length, baseline: null, limit: '≤ 12', pass: attempt.length <= 12, unit: 'req' },
      { target: '22.5 flood: slowest poll (daemon-reported)', measured: slowest, baseline: null, limit: '< 5 s', pass: slowest < 5, unit: 's' },
    ];
  } finally {
    await daemon?.stop();
    if (project) killAgents(project);
    await gh.close();
    project?.cleanup();
  }
}
