// Issue #5 acceptance 2: the fake GitHub answers 20% of requests with a 502, a timeout (never answers) or
// a secondary rate limit 403 with retry-after, for a whole run. The daemon must not crash, must not count
// any attempt or mark any ticket failed because of them, and must finish every ticket. The agent only
// commits, so every GitHub request (poll, claim, sticky, PR lookup, push + PR open) is swarm's own.
// tracker.request_timeout is shortened so a swallowed request costs 2 s instead of 30 s (test speed only).
// Issue #11 acceptance 3: writes that time out after landing — the fake carries out every POST of a
// comment or a pull request but answers only after the client's timeout — still leave exactly one
// sticky comment and one PR per ticket (a create is never re-sent blindly; it is looked up first).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, processesMentioning, runCli, type Project, githubWorld, teardown, waitFor } from '../helpers/daemon.js';

let gh: FakeGitHub;
let project: Project;

beforeEach(async () => {
  ({ project, gh } = await githubWorld());
});

afterEach(async () => {
  await teardown(null, gh, project);
});

describe('GitHub faults during a full run', () => {
  it('20% 502 / timeout / secondary-403: no crash, nothing counted or failed, every ticket finished', async () => {
    project.writeWorkflow(githubConfig(gh, { tracker: { request_timeout: '2s' }, agent: { max_concurrent: 3, max_attempts: 3 } }));
    const issues = [1, 2, 3, 4, 5, 6].map((i) => gh.addIssue({ title: `Faulty ${i}`, body: `Do ${i}`, labels: ['agent'] }));
    project.setScenarios({ default: ['commit_only'] });
    gh.setFaults({ rate: 0.2, kinds: ['502', 'timeout', 'secondary'], seed: 5, retryAfter: 1 });

    const res = await runCli(project, ['start', '--until-idle'], { timeoutMs: 600_000 });
    gh.setFaults(null);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stderr).not.toMatch(/\n\s+at /);

    const faults = gh.requests.filter((r) => r.fault !== null);
    const kinds = new Set(faults.map((f) => f.fault));
    expect(kinds).toEqual(new Set(['502', 'timeout', 'secondary']));
    expect(faults.length / gh.requests.length).toBeGreaterThan(0.1);

    // Every ticket has exactly one PR and the review label; none failed, no running label left.
    const state = project.state();
    for (const n of issues) {
      const t = state.tickets[String(n)];
      expect(t.status, `#${n}`).toBe('review');
      expect(gh.pulls.filter((p) => p.head === t.branch), `PRs for #${n}`).toHaveLength(1);
      expect(gh.labelsOf(n)).toContain('agent:review');
      expect(gh.labelsOf(n)).not.toContain('agent:failed');
      expect(gh.labelsOf(n)).not.toContain('agent:running');
      // Faults never burn an attempt.
      expect(t.failures).toBe(0);
      expect(t.attempts.filter((a: any) => a.counted)).toEqual([]);
    }
    expect(gh.pulls).toHaveLength(6);
    expect(project.events().some((e) => e.type === 'ticket_failed')).toBe(false);
    expect(processesMentioning(project.base)).toEqual([]);
    // Measured figures for the report (not assertions).
    const attempts = Object.values<any>(state.tickets).flatMap((t) => t.attempts);
    console.log(`faults: ${faults.length}/${gh.requests.length} requests (${[...kinds].map((k) => `${k}:${faults.filter((f) => f.fault === k).length}`).join(' ')}); attempts ${attempts.length} (${attempts.filter((a) => a.outcome === 'infra_failed').length} infra_failed, not counted)`);
  }, 240_000);

  it('--until-idle after a claim the tracker half took (running label on, comment refused): the claim is dropped, tidied and taken again', async () => {
    project.writeWorkflow(githubConfig(gh, { tracker: { request_timeout: '1s' } }));
    const n = gh.addIssue({ title: 'Half claimed', labels: ['agent'] });
    project.setScenarios({ default: ['commit_only'] });
    // Every comment create fails (502) until the first claim has been dropped.
    let refuse = true;
    gh.setFaults({ rate: 1, kinds: ['502'], match: (method, p) => refuse && method === 'POST' && /\/issues\/\d+\/comments$/.test(p) });
    const run = runCli(project, ['start', '--until-idle'], { timeoutMs: 120_000 });
    await waitFor(() => project.events().some((e) => e.type === 'released' && e.by === 'claim_failed'), { timeoutMs: 60_000, what: 'the claim dropped' });
    refuse = false;
    const res = await run;
    gh.setFaults(null);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(project.state().tickets[String(n)].status).toBe('review');
    expect(gh.pulls).toHaveLength(1);
    expect(gh.labelsOf(n)).toEqual(['agent', 'agent:review']);
  }, 150_000);

  it('comment and PR creates that land but answer after the timeout: one sticky comment and one PR per ticket', async () => {
    project.writeWorkflow(githubConfig(gh, { tracker: { request_timeout: '1s' }, agent: { max_concurrent: 3 } }));
    const issues = [1, 2, 3].map((i) => gh.addIssue({ title: `Slow write ${i}`, labels: ['agent'] }));
    project.setScenarios({ default: ['commit_only'] }); // swarm pushes and opens every PR itself
    gh.setLateAnswers({ match: (method, p) => method === 'POST' && (/\/issues\/\d+\/comments$/.test(p) || /\/pulls$/.test(p)), delayMs: 1600 });

    const res = await runCli(project, ['start', '--until-idle'], { timeoutMs: 180_000 });
    gh.setLateAnswers(null);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const late = gh.requests.filter((r) => r.late);
    expect(late.filter((r) => r.path.endsWith('/comments')).length).toBeGreaterThanOrEqual(3);
    expect(late.filter((r) => r.path.endsWith('/pulls')).length).toBeGreaterThanOrEqual(3);
    const state = project.state();
    for (const n of issues) {
      const t = state.tickets[String(n)];
      expect(t.status, `#${n}`).toBe('review');
      expect(gh.comments.filter((c) => c.issue === n && c.body.includes('<!-- swarm:status -->')), `sticky comments on #${n}`).toHaveLength(1);
      expect(gh.pulls.filter((p) => p.head === t.branch), `PRs for #${n}`).toHaveLength(1);
      expect(gh.labelsOf(n)).toEqual(['agent', 'agent:review']);
      expect(t.failures).toBe(0);
    }
    expect(gh.pulls).toHaveLength(3);
  }, 180_000);
});
