// kill -9 everywhere (issues #5 and #11): GitHub tickets, the fake claude, the daemon as a real process
// killed with SIGKILL at seeded moments and restarted each time — during a claim (the running label
// request in flight), during worktree creation (the daemon and its git children die together, like a
// power cut), during an agent run, at the PR check after a run, within 0–50 ms after a PR is found, during
// the hand-off writes (review label, running label, sticky comment), during swarm's own PR opening, and at
// seeded random delays. When the work runs out before the kills do, another ticket is labelled.
//
// At the end (one last `--until-idle` run): every ticket carries exactly the labels its status says
// (`agent:review`, no `agent:running`), one sticky comment and one PR; counted attempts are exactly the
// scripted failures; agent groups running at a kill are dead once the next daemon started; no agent is
// alive; `git worktree list` is clean, and `swarm gc` removes everything once the PRs are merged.
// The seed is printed (and SWARM_CRASH_SEED replays it).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeGitHub, LoggedRequest } from '../helpers/fake-github.js';
import { githubConfig, processesMentioning, runCli, startDaemon, waitFor, type Daemon, type Project, isAlive, githubWorld, teardown } from '../helpers/daemon.js';

const SEED = Number(process.env.SWARM_CRASH_SEED ?? Date.now() % 100_000);
const KILLS = 22;
const STICKY = '<!-- swarm:status -->';
type Kind = 'claim' | 'worktree' | 'agent' | 'pr_check' | 'pr_found' | 'handoff' | 'pr_open' | 'random';
const NAMED: Kind[] = ['claim', 'worktree', 'agent', 'pr_check', 'pr_found', 'handoff', 'pr_open'];

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

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** git processes whose parent is `pid` (killed with the daemon to cut a `git worktree add` in half). */
function gitChildren(pid: number): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('git')) out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

const body = (r: LoggedRequest) => JSON.stringify(r.body ?? '');
const isLabelWrite = (r: LoggedRequest, label: string) =>
  (r.method === 'POST' && /\/issues\/\d+\/labels$/.test(r.path) && body(r).includes(label)) ||
  (r.method === 'DELETE' && r.path.includes(`/labels/${encodeURIComponent(label)}`));

describe('kill -9 at seeded moments', () => {
  it('every ticket ends with exactly its labels, one sticky, one PR; exact counted failures; nothing left running; clean worktrees', { timeout: 600_000 }, async () => {
    const t0 = Date.now();
    const rng = mulberry32(SEED);
    console.log(`kill -9 seed ${SEED} (replay: SWARM_CRASH_SEED=${SEED})`);
    project.writeWorkflow(githubConfig(gh, { agent: { max_concurrent: 3, max_attempts: 3, models: ['sonnet', 'opus'] } }));
    const scenarios: Record<string, unknown> = {};
    const work = (n: number, finish: string) => [{ init: true }, { spawnSleep: 600, pidFile: `sleep-${n}.pid` }, { sleep: 600 + Math.floor(rng() * 1800) }, finish];
    const addTicket = (title: string, extra: string[] = []) => {
      const n = gh.addIssue({ title, labels: ['agent', ...extra] });
      // Half open their PR themselves, half only commit (swarm pushes and opens it).
      scenarios[n] = [work(n, rng() < 0.5 ? 'commit_and_pr' : 'commit_only')];
      return n;
    };
    const failing = [1, 2].map((i) => gh.addIssue({ title: `Fails first ${i}`, labels: ['agent', 'P0'] }));
    for (const n of failing) scenarios[n] = ['no_changes', work(n, 'commit_and_pr')];
    const issues = [...failing, ...[3, 4, 5, 6].map((i) => addTicket(`Plain ${i}`))];
    project.setScenarios(scenarios);

    // Each named moment at least once (seeded order), then seeded picks among all.
    const plan: Kind[] = [...NAMED].sort(() => rng() - 0.5);
    const all: Kind[] = [...NAMED, 'random'];
    while (plan.length < KILLS) plan.push(all[Math.floor(rng() * all.length)]!);

    const root = path.join(project.dir, '.swarm', 'worktrees');
    const sleepPid = (n: number) => {
      const f = path.join(project.base, `sleep-${n}.pid`);
      return fs.existsSync(f) ? Number(fs.readFileSync(f, 'utf8').trim()) || null : null;
    };
    const done = (n: number) => gh.labelsOf(n).includes('agent:review') && !gh.labelsOf(n).includes('agent:running');
    const fired: { planned: Kind; fired: Kind | 'none'; orphans: number }[] = [];
    let orphansVerified = 0;
    let pendingOrphans: number[] = [];

    for (let i = 0; i < plan.length; i++) {
      // Keep work flowing: the kills must find something to cut.
      if (issues.filter((n) => !done(n)).length < 2) {
        issues.push(addTicket(`More work ${issues.length + 1}`));
        project.setScenarios(scenarios);
      }
      const d = startDaemon(project, ['start', '--verbose']);
      daemon = d;
      await d.waitForOutput(/swarm started/, 60_000);
      // Agents of the previous kill: stopped by their supervisors (or the restart's recovery) before "swarm started".
      for (const pid of pendingOrphans) expect(isAlive(pid), `orphan ${pid} survived the restart`).toBe(false);
      orphansVerified += pendingOrphans.length;
      pendingOrphans = [];
      if (i === 0) {
        await waitFor(() => project.events().filter((e) => e.type === 'finished' && e.outcome === 'no_changes').length === 2, { timeoutMs: 60_000, what: 'the two scripted failures recorded' });
      }
      const reqBase = gh.requests.length;
      const dirsBefore = new Set(fs.existsSync(root) ? fs.readdirSync(root) : []);
      const startedBefore = (d.stdout.match(/attempt \d+ on /g) ?? []).length;
      const claimsBefore = (d.stdout.match(/claimed → /g) ?? []).length;
      const fresh = () => gh.requests.slice(reqBase);
      const kind = plan[i]!;
      let what: Kind | 'none' = kind;
      const exitedEarly = () => d.proc.exitCode !== null || d.proc.signalCode !== null;
      const trigger = async (cond: () => boolean) => {
        try {
          await waitFor(() => cond() || exitedEarly(), { timeoutMs: 15_000, intervalMs: 2, what: kind });
          if (!cond()) what = 'none';
        } catch {
          what = 'none'; // the moment did not come up in time: kill anyway (a random moment)
        }
      };
      switch (kind) {
        case 'claim':
          // Between the claim's state write and its tracker writes: the running label on a new ticket (a
          // resumed claim already carries it), or just after the claim was recorded.
          await trigger(() => fresh().some((r) => r.method === 'POST' && isLabelWrite(r, 'agent:running')) || (d.stdout.match(/claimed → /g) ?? []).length > claimsBefore);
          if (what === 'claim') await new Promise((r) => setTimeout(r, Math.floor(rng() * 60)));
          break;
        case 'worktree':
          await trigger(() => (fs.existsSync(root) && fs.readdirSync(root).some((x) => !dirsBefore.has(x))) || /reusing worktree|created worktree/.test(d.stdout));
          break;
        case 'agent':
          await trigger(() => (d.stdout.match(/attempt \d+ on /g) ?? []).length > startedBefore);
          if (what === 'agent') await new Promise((r) => setTimeout(r, 300 + Math.floor(rng() * 1500)));
          break;
        case 'pr_check':
          // The look-up after a run (or the dedup guard before a claim), caught as it is sent.
          await trigger(() => fresh().some((r) => r.method === 'GET' && /\/pulls\?/.test(r.path) && r.status === 0));
          break;
        case 'pr_found': {
          // Within 0–50 ms after GitHub answered that the branch has a PR.
          const found = () => fresh().some((r) => r.method === 'GET' && /\/pulls\?/.test(r.path) && r.status === 200 && gh.pulls.some((p) => r.path.includes(encodeURIComponent(p.head)) || r.path.includes(p.head)));
          await trigger(found);
          if (what === 'pr_found') await new Promise((r) => setTimeout(r, Math.floor(rng() * 50)));
          break;
        }
        case 'handoff':
          await trigger(() => fresh().some((r) => isLabelWrite(r, 'agent:review') || (r.method === 'DELETE' && isLabelWrite(r, 'agent:running'))));
          break;
        case 'pr_open':
          await trigger(() => fresh().some((r) => r.method === 'POST' && /\/pulls$/.test(r.path)));
          break;
        case 'random':
          await new Promise((r) => setTimeout(r, 200 + Math.floor(rng() * 3000)));
          break;
      }
      expect(exitedEarly(), `daemon exited by itself:\n${d.stdout}\n${d.stderr}`).toBe(false);
      const git = kind === 'worktree' ? gitChildren(d.proc.pid!) : [];
      // Agent groups running at the kill (their tool grandchild shows them): they must not outlive the daemon
      // by more than its supervisor's kill grace, and certainly not survive the next start.
      const runningAtKill = issues.map(sleepPid).filter((p): p is number => p !== null && isAlive(p));
      d.kill('SIGKILL');
      for (const g of git) {
        try {
          process.kill(g, 'SIGKILL');
        } catch {
          /* done already */
        }
      }
      await d.exited;
      daemon = null;
      pendingOrphans = runningAtKill;
      fired.push({ planned: kind, fired: what, orphans: pendingOrphans.length });
    }

    // Last run: no more kills; it must finish everything.
    const last = await runCli(project, ['start', '--until-idle'], { timeoutMs: 300_000 });
    expect(last.code, last.stdout + last.stderr).toBe(0);
    for (const pid of pendingOrphans) expect(isAlive(pid), `orphan ${pid} survived the restart`).toBe(false);
    orphansVerified += pendingOrphans.length;

    // Every ticket: handed off, exactly the labels that says, one sticky comment, one PR.
    const state = project.state();
    for (const n of issues) {
      const t = state.tickets[String(n)];
      expect(t.status, `#${n}`).toBe('review');
      expect(t.synced_rev, `#${n} in sync with the tracker`).toBe(t.rev);
      expect([...gh.labelsOf(n)].sort(), `#${n} labels`).toEqual(['agent', 'agent:review', ...(failing.includes(n) ? ['P0'] : [])].sort());
      expect(gh.comments.filter((c) => c.issue === n && c.body.includes(STICKY)), `sticky comments on #${n}`).toHaveLength(1);
      expect(gh.pulls.filter((p) => p.head === t.branch), `PRs for #${n}`).toHaveLength(1);
    }
    expect(gh.pulls).toHaveLength(issues.length);
    for (const it of gh.issues) expect(it.labels).not.toContain('agent:running');

    // Counted attempts are exactly the scripted failures.
    for (const n of issues) {
      const t = state.tickets[String(n)];
      const counted = t.attempts.filter((a: any) => a.counted).map((a: any) => [a.number, a.outcome]);
      expect(counted, `#${n}`).toEqual(failing.includes(n) ? [[1, 'no_changes']] : []);
      expect(t.failures, `#${n}`).toBe(failing.includes(n) ? 1 : 0);
    }
    expect(Object.values<any>(state.tickets).flatMap((t) => t.attempts).every((a: any) => a.outcome !== 'running')).toBe(true);

    // No agent process alive (agents and their grandchildren carry the project's paths in their env).
    expect(processesMentioning(project.base)).toEqual([]);

    // Coverage of the kill moments, and the orphan check actually exercised.
    const kinds = new Set(fired.map((f) => f.fired));
    expect(fired.length).toBeGreaterThanOrEqual(20);
    for (const k of NAMED) expect(kinds.has(k), `a kill at ${k} (seed ${SEED}, fired: ${JSON.stringify(fired)})`).toBe(true);
    expect(orphansVerified).toBeGreaterThan(0);
    // (Who stopped them: their supervisors, at once; a restart's recovery is the backstop — e2e/lifeline.test.ts.)

    // Clean worktrees (a): nothing prunable or broken after the daemon's runs.
    const porcelain = () => execFileSync('git', ['worktree', 'list', '--porcelain'], { cwd: project.dir, encoding: 'utf8' });
    expect(porcelain()).not.toMatch(/^prunable/m);
    const listed = porcelain().split('\n').filter((l) => l.startsWith('worktree ')).map((l) => l.slice(9));
    const ticketPaths = new Set(Object.values<any>(state.tickets).map((t) => fs.realpathSync(t.worktree)));
    for (const p of listed.slice(1)) expect(ticketPaths.has(fs.realpathSync(p)), `unexpected worktree ${p}`).toBe(true);

    // Clean worktrees (b): PRs merged → `swarm gc` removes every ticket worktree and its local branch.
    for (const p of gh.pulls) gh.mergePull(p.number);
    const gc = await runCli(project, ['gc']);
    expect(gc.code, gc.stdout + gc.stderr).toBe(0);
    expect(gc.stdout).toMatch(new RegExp(`freed .*: ${issues.length} worktree\\(s\\)`));
    const after = porcelain().split('\n').filter((l) => l.startsWith('worktree '));
    expect(after, `worktrees left after gc:\n${porcelain()}\ngc said:\n${gc.stdout}`).toHaveLength(1);
    // Only this repository's namespace is left under the root, holding no worktree and no ownership marker.
    const repoId = fs.readFileSync(path.join(project.dir, '.git', 'swarm-repo-id'), 'utf8').trim();
    expect(fs.readdirSync(root)).toEqual([repoId]);
    expect(fs.readdirSync(path.join(root, repoId)).filter((n) => !n.startsWith('.'))).toEqual([]);
    expect(fs.readdirSync(path.join(root, repoId, '.swarm-owned'))).toEqual([]);
    expect(execFileSync('git', ['branch', '--list', 'swarm/*'], { cwd: project.dir, encoding: 'utf8' }).trim()).toBe('');

    console.log(`kill -9 (seed ${SEED}): ${fired.length} kills ${JSON.stringify(fired.map((f) => f.fired))}, ${issues.length} tickets, ${orphansVerified} orphaned agent groups verified dead after restart, ${Object.values<any>(state.tickets).flatMap((t) => t.attempts).length} attempts, ${Math.round((Date.now() - t0) / 1000)} s`);
  });
});
