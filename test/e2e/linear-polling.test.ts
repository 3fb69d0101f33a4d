// Issue #24 acceptance 5 through the daemon: 400 candidate issues on the fake Linear, swarm polling them as a
// real process. Between full sweeps an idle poll is one request of one small page, priced under 500 points by
// the fake's complexity model; a change is picked up at the next poll; the full sweep comes on schedule;
// `swarm doctor` says what the configuration costs an hour and warns above half the key's budget.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLinear, type FakeLinear, type FakeLinearRequest } from '../helpers/fake-linear.js';
import { makeProject, runCli, startDaemon, waitFor, killLeftovers, type Daemon, type Project } from '../helpers/daemon.js';

const KEY = 'lin_api_e2ePollingKey0123456789abcdef';
let lin: FakeLinear;
let project: Project;
let daemon: Daemon | null = null;

beforeEach(async () => {
  project = await makeProject();
  lin = await startFakeLinear({ apiKey: KEY, complexityLimit: 3_000_000 });
  project.env.LINEAR_API_KEY = KEY;
});
afterEach(async () => {
  await daemon?.stop();
  daemon = null;
  await lin.close();
  killLeftovers(project.base);
  project.cleanup();
});

const INTERVAL_MS = 400;
const FULL_SWEEP_MS = 5_000;
const op = (r: FakeLinearRequest) => /(?:query|mutation)\s+(\w+)/.exec(r.query)?.[1] ?? '?';
/** The first page of each full sweep. */
const sweeps = (from = 0) => lin.requests.slice(from).filter((r) => op(r) === 'SwarmCandidates' && r.variables.after == null);

describe('Linear: incremental polling (issue 24)', { timeout: 120_000 }, () => {
  it('400 candidates, idle: each poll is 1 request of ≤ 500 points; a change is picked up at the next poll; full sweeps on schedule; doctor prices it', async () => {
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    // Listed (in Todo, labelled agent) but not eligible: every one also carries the excluded label.
    const keys = Array.from({ length: 400 }, (_, i) => lin.addIssue({ title: `Backlog item ${i + 1}`, labels: ['agent', 'blocked'], updatedAt: hourAgo }));
    const config = (interval: number | string = INTERVAL_MS, fullSweep: number | string = FULL_SWEEP_MS) => ({
      tracker: { kind: 'linear', api_url: lin.url, team: 'ENG', labels: ['agent'], exclude_labels: ['blocked'], states: ['Todo'], full_sweep: fullSweep },
      pr: { auto_open: false }, // the pushed branch is the hand-off: no GitHub in this test
      polling: { interval },
      agent: { max_concurrent: 1 },
    });
    // No GitHub anywhere: a `gh` that is not logged in comes first on PATH.
    const noGh = path.join(project.base, 'no-gh');
    fs.mkdirSync(noGh);
    fs.writeFileSync(path.join(noGh, 'gh'), '#!/bin/sh\necho "not logged in" >&2\nexit 1\n', { mode: 0o755 });
    project.env.PATH = `${noGh}:${project.env.PATH}`;

    // doctor measures one sweep (8 pages of 50) and one idle poll, and compares with the key's budget.
    lin.setComplexityBudget({ limit: 1_000_000, remaining: 1_000_000 });
    project.writeWorkflow(config());
    const warned = await runCli(project, ['doctor']);
    // 9,000 polls an hour at 0.4 s ≈ 3.3 M points: far over half of a 1,000,000-point budget.
    expect(warned.stdout).toMatch(/! polling cost: polling costs about [\d,]+ complexity points and [\d,]+ requests an hour \(720 full sweep\(s\) of 8 page\(s\).*more than half of it/);
    expect(warned.stdout).toMatch(/warning: raise polling\.interval or tracker\.full_sweep, or lower tracker\.page_size/);
    lin.setComplexityBudget({ limit: 3_000_000, remaining: 3_000_000 });
    project.writeWorkflow(config('30s', '10m'));
    const fine = await runCli(project, ['doctor']);
    expect(fine.stdout).toMatch(/✓ polling cost: polling costs about [\d,]+ complexity points .*\(6 full sweep\(s\) of 8 page\(s\) at ~[\d,]+ points, 114 incremental poll\(s\) at ~3\d\d points\); the key's hourly budget is 3,000,000 points/);

    project.writeWorkflow(config());
    project.setScenarios({ default: ['commit_only'] });
    const before = lin.requests.length;
    daemon = startDaemon(project);
    // The daemon's first sweep: 8 pages of 50.
    await waitFor(() => lin.requests.slice(before).filter((r) => op(r) === 'SwarmCandidates').length >= 8, { timeoutMs: 30_000, what: 'the first full sweep' });
    const start = lin.requests.length;
    const idleFrom = Date.now();
    // At least 10 polls between sweeps, however the sweeps fall.
    await waitFor(() => lin.requests.slice(start).filter((r) => op(r) === 'SwarmChanges').length >= 12, { timeoutMs: 60_000, what: 'twelve idle polls' });
    const idle = lin.requests.slice(start);
    const changes = idle.filter((r) => op(r) === 'SwarmChanges');
    // Every idle poll is exactly one request: the first page (no cursor), of 5, priced ≤ 500 points, listing nothing.
    for (const r of changes) {
      expect(r.variables).toMatchObject({ first: 5, after: null });
      expect(r.status).toBe(200);
      expect(r.complexity!).toBeLessThanOrEqual(500);
    }
    // Nothing else is asked while idle but the scheduled sweeps (8 pages each).
    expect(idle.filter((r) => !['SwarmChanges', 'SwarmCandidates'].includes(op(r)))).toEqual([]);
    expect(idle.filter((r) => op(r) === 'SwarmCandidates').length % 8).toBe(0);
    expect(project.events().filter((e) => e.type === 'claimed')).toEqual([]);

    // A change: one issue loses the excluded label. The next poll lists it, and the daemon claims it.
    const changedAt = Date.now();
    lin.setLabels(keys[199]!, ['agent']);
    await waitFor(() => project.events().find((e) => e.type === 'claimed' && e.ticket === keys[199]), { timeoutMs: 30_000, what: 'the changed issue claimed' });
    const pollsAfter = lin.requests.filter((r) => r.at >= changedAt && ['SwarmChanges', 'SwarmCandidates'].includes(op(r)) && r.variables.after == null);
    const claimedAt = Date.parse(project.events().find((e) => e.type === 'claimed' && e.ticket === keys[199]).at);
    // Claimed before a second poll began: the first poll after the change saw it.
    expect(pollsAfter.filter((r) => r.at < claimedAt)).toHaveLength(1);
    await waitFor(() => lin.issue(keys[199]!).state === 'In Review', { timeoutMs: 60_000, what: 'the changed issue handed off' });

    // Full sweeps on schedule: one every tracker.full_sweep (5 s), give or take a poll interval and load.
    await waitFor(() => sweeps().filter((r) => r.at >= idleFrom).length >= 2, { timeoutMs: 30_000, what: 'two more sweeps' });
    await daemon.stop();
    daemon = null;
    const starts = sweeps(before).map((r) => r.at);
    for (let i = 1; i < starts.length; i++) {
      const gap = starts[i]! - starts[i - 1]!;
      expect(gap, `sweep ${i}`).toBeGreaterThanOrEqual(FULL_SWEEP_MS);
      expect(gap, `sweep ${i}`).toBeLessThan(FULL_SWEEP_MS + 3_000);
    }
  });
});
