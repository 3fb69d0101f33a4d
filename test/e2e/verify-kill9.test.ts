// Verification after merge survives kill -9 (issue #26 acceptance 4, SPEC §12): in each round a ticket's PR
// is merged (as a person would, through the fake's merge endpoint), its merge commit's check fails on the
// base branch, and the daemon — a real process — is killed with SIGKILL at a seeded moment between
// detecting red and reopening: as red is recorded, while the revert PR is looked up, while it is opened (its
// answer held back, so the daemon never learns the PR exists), just after it was created, once it is
// recorded, while the issue is reopened (answer held back too), while agent:reverted is added, while the
// sticky comment shows the evidence, or at a seeded random delay. The next daemon resumes; the test merges
// the revert PR (CI green on it) and waits for the re-attempt's new PR.
//
// Each ticket: exactly one revert PR, one `reopened` on GitHub, one revert on record (every `reverted`
// event naming that PR), exactly two agent runs (sonnet, then opus: the re-attempt counts) and two PRs of its own. The seed is
// printed (SWARM_VERIFY_CRASH_SEED replays it).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32, type FakeGitHub, type LoggedRequest } from '../helpers/fake-github.js';
import { githubConfig, githubWorld, startDaemon, teardown, waitFor, type Daemon, type Project } from '../helpers/daemon.js';
import { git } from '../helpers/git-repo.js';

const SEED = Number(process.env.SWARM_VERIFY_CRASH_SEED ?? Date.now() % 100_000);
const KILLS = 10;
type Kind = 'red' | 'lookup' | 'pr_open' | 'pr_created' | 'recorded' | 'reopen' | 'label' | 'sticky' | 'random';
const NAMED: Kind[] = ['red', 'lookup', 'pr_open', 'pr_created', 'recorded', 'reopen', 'label', 'sticky'];

let gh: FakeGitHub;
let project: Project;
let daemon: Daemon | null = null;

beforeAll(async () => {
  ({ project, gh } = await githubWorld());
  await gh.addCommitCheckRun(await git(project.origin, 'rev-parse', 'refs/heads/main'), { name: 'ci', conclusion: 'success' });
  project.writeWorkflow(githubConfig(gh, {
    agent: { models: ['sonnet', 'opus'], max_attempts: 3, max_concurrent: 2 },
    pr: { watch_interval: '1s' },
    verify: { wait: '1s', checks_timeout: '30s', retries: 0 },
  }));
  project.setScenarios({});
}, 60_000);

afterAll(async () => {
  await teardown(daemon, gh, project);
});

const body = (r: LoggedRequest) => JSON.stringify(r.body ?? '');
const isRevertHead = (r: LoggedRequest) => /swarm%2Frevert-|swarm\/revert-/.test(r.path) || /swarm\/revert-/.test(body(r));
const ticket = (n: number) => project.state().tickets[String(n)];
const prsOf = (n: number) => gh.pulls.filter((p) => new RegExp(`Closes #${n}\\b`).test(p.body ?? ''));
const revertsOf = (n: number) => gh.pulls.filter((p) => p.head.startsWith(`swarm/revert-${n}-`));

describe('verification after merge under kill -9', () => {
  it('kill -9 at seeded moments between red and reopening → one revert PR, one reopen, one re-attempt per ticket', { timeout: 420_000 }, async () => {
    const t0 = Date.now();
    const rng = mulberry32(SEED);
    console.log(`verify kill -9 seed ${SEED} (replay: SWARM_VERIFY_CRASH_SEED=${SEED})`);
    const plan: Kind[] = [...NAMED].sort(() => rng() - 0.5);
    const all: Kind[] = [...NAMED, 'random'];
    while (plan.length < KILLS) plan.push(all[Math.floor(rng() * all.length)]!);
    const scenarios: Record<string, unknown> = {};
    const tickets: number[] = [];
    const fired: { planned: Kind; fired: Kind | 'none' }[] = [];
    daemon = startDaemon(project);
    await daemon.waitForOutput(/swarm started/, 60_000);

    for (const kind of plan) {
      const n = gh.addIssue({ title: `Widget ${tickets.length + 1}`, labels: ['agent'] });
      tickets.push(n);
      scenarios[n] = [{ commit_and_pr: { file: `w-${n}.txt` } }, { commit_and_pr: { file: `w-${n}-again.txt` } }];
      project.setScenarios(scenarios);
      await waitFor(() => ticket(n)?.status === 'review' && prsOf(n).length === 1, { timeoutMs: 60_000, what: `#${n} handed off` });
      const merged = await gh.mergePullRequest(prsOf(n)[0]!.number);
      expect(merged.status, JSON.stringify(merged.body)).toBe(200);
      const sha = merged.body.sha as string;

      // Writes whose answer is held back: the daemon dies before it learns they landed.
      const issuePath = `/repos/acme/widgets/issues/${n}`;
      if (kind === 'pr_open') gh.setLateAnswers({ match: (m, p) => m === 'POST' && p === '/repos/acme/widgets/pulls', delayMs: 1500, limit: 1 });
      if (kind === 'reopen') gh.setLateAnswers({ match: (m, p) => m === 'PATCH' && p === issuePath, delayMs: 1500, limit: 1 });
      const reqBase = gh.requests.length;
      const outBase = daemon!.stdout.length;
      const fresh = () => gh.requests.slice(reqBase);
      const d = daemon!;
      await gh.addCommitCheckRun(sha, { name: 'ci', conclusion: 'failure', title: 'build failed', log: `FAIL w-${n}.txt broke the build\n` });

      let what: Kind | 'none' = kind;
      const trigger = async (cond: () => boolean) => {
        try {
          await waitFor(() => cond() || d.proc.exitCode !== null, { timeoutMs: 20_000, intervalMs: 2, what: kind });
          if (!cond()) what = 'none';
        } catch {
          what = 'none';
        }
      };
      switch (kind) {
        case 'red':
          await trigger(() => /red after merge/.test(d.stdout.slice(outBase)));
          break;
        case 'lookup':
          await trigger(() => fresh().some((r) => r.method === 'GET' && /\/pulls\?/.test(r.path) && isRevertHead(r)));
          break;
        case 'pr_open':
          await trigger(() => fresh().some((r) => r.method === 'POST' && /\/pulls$/.test(r.path) && isRevertHead(r)));
          break;
        case 'pr_created':
          await trigger(() => revertsOf(n).length > 0);
          if (what === kind) await new Promise((r) => setTimeout(r, Math.floor(rng() * 50)));
          break;
        case 'recorded':
          await trigger(() => /revert PR https/.test(d.stdout.slice(outBase)));
          break;
        case 'reopen':
          await trigger(() => fresh().some((r) => r.method === 'PATCH' && r.path === issuePath));
          break;
        case 'label':
          await trigger(() => fresh().some((r) => r.method === 'POST' && r.path === `${issuePath}/labels` && body(r).includes('agent:reverted')));
          break;
        case 'sticky':
          await trigger(() => fresh().some((r) => (r.method === 'PATCH' || r.method === 'POST') && /\/comments/.test(r.path) && /revert/i.test(body(r))));
          break;
        case 'random':
          await new Promise((r) => setTimeout(r, Math.floor(rng() * 2500)));
          break;
      }
      expect(d.proc.exitCode, `daemon exited by itself:\n${d.stdout}\n${d.stderr}`).toBe(null);
      d.kill('SIGKILL');
      await d.exited;
      gh.setLateAnswers(null);
      fired.push({ planned: kind, fired: what });

      // The next daemon finishes what the killed one began.
      daemon = startDaemon(project);
      await daemon.waitForOutput(/swarm started/, 60_000);
      await waitFor(() => gh.issues.find((i) => i.number === n)?.state === 'open' && gh.labelsOf(n).includes('agent:reverted') && revertsOf(n).length > 0,
        { timeoutMs: 60_000, what: `#${n} reverted and reopened (kill at ${kind})` });
      // A person merges the revert; CI is green on it: the re-attempt starts from a healed base.
      const healed = await gh.mergePullRequest(revertsOf(n)[0]!.number);
      expect(healed.status, JSON.stringify(healed.body)).toBe(200);
      await gh.addCommitCheckRun(healed.body.sha, { name: 'ci', conclusion: 'success' });
      await waitFor(() => prsOf(n).length === 2 && ticket(n).status === 'review', { timeoutMs: 60_000, what: `#${n}'s re-attempt handed off` });
    }

    console.log(`verify kill -9 (seed ${SEED}): fired ${JSON.stringify(fired)}`);
    for (const n of tickets) {
      expect(revertsOf(n), `revert PRs for #${n}`).toHaveLength(1);
      expect(revertsOf(n)[0]).toMatchObject({ draft: true });
      expect(gh.events.filter((e) => e.issue === n && e.event === 'reopened'), `reopened on GitHub: #${n}`).toHaveLength(1);
      const evs = project.events().filter((e) => e.key === String(n));
      // The event log is written just before state.json: a kill between the two repeats a line (the step is
      // done again, looked up first). Every repeat names the same revert PR; the state counts one revert.
      const revertPr = revertsOf(n)[0]!.number;
      expect(evs.filter((e) => e.type === 'reverted').map((e) => e.number), `reverted of #${n}`).toEqual(expect.arrayContaining([revertPr]));
      expect(new Set(evs.filter((e) => e.type === 'reverted').map((e) => e.number)), `reverted of #${n}`).toEqual(new Set([revertPr]));
      expect(evs.filter((e) => e.type === 'reopened').length, `reopened of #${n}`).toBeGreaterThanOrEqual(1);
      expect(ticket(n).verify).toMatchObject({ reverts: 1 });
      const calls = project.claudeCalls().filter((c) => c.env.SWARM_TICKET_NUMBER === String(n));
      expect(calls.map((c) => c.model), `agent runs of #${n}`).toEqual(['sonnet', 'opus']);
      expect(prsOf(n), `PRs of #${n}`).toHaveLength(2);
      expect(ticket(n)).toMatchObject({ status: 'review', failures: 1 });
    }
    // Every moment but the random one was really hit at least once, over at least 10 kills.
    expect(fired.length).toBeGreaterThanOrEqual(10);
    const hit = new Set(fired.map((f) => f.fired));
    for (const k of NAMED) expect(hit.has(k), `a kill at ${k} (seed ${SEED}, fired: ${JSON.stringify(fired)})`).toBe(true);
    const revertDirs = fs.readdirSync(path.join(project.dir, '.swarm')).filter((x) => /verify|revert/.test(x));
    console.log(`verify kill -9 (seed ${SEED}): ${fired.length} kills ${JSON.stringify(fired.map((f) => f.fired))}, ${tickets.length} tickets, ${Math.round((Date.now() - t0) / 1000)} s; .swarm entries ${JSON.stringify(revertDirs)}`);
  });
});
