// The loop's guards, in process (the real Orchestrator, services, git, fake GitHub and fake claude; only the
// clock is real): the dedup guard hands off an existing PR without running an agent; counted failures
// move the ticket up the ladder; a pause that begins while a claim is being prepared holds it at the spawn
// (nothing runs, nothing is counted) and it runs after the pause. Deterministic versions of races the e2e
// tests can only sample.
import * as fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadWorkflow } from '../../src/config/workflow.js';
import { Logger } from '../../src/log/logger.js';
import { FileStateStore } from '../../src/backend/embedded/state-store.js';
import { emptyState } from '../../src/state/empty-state.js';
import { swarmPaths } from '../../src/state/paths.js';
import { runAgent } from '../../src/agent/runner.js';
import { makeServices } from '../../src/services.js';
import { Orchestrator } from '../../src/orchestrator/orchestrator.js';
import { localFleet } from '../../src/backend/embedded/local-leases.js';
import { pause } from '../../src/core/lifecycle.js';
import { githubConfig, githubWorld, teardown, waitFor, type Project } from '../helpers/daemon.js';
import type { FakeGitHub } from '../helpers/fake-github.js';

let project: Project;
let gh: FakeGitHub;
let orch: Orchestrator | null = null;

beforeEach(async () => {
  ({ project, gh } = await githubWorld());
});
afterEach(async () => {
  if (orch) await orch.stop();
  orch = null;
  await teardown(null, gh, project);
});

async function orchestrator(config: Record<string, unknown>): Promise<Orchestrator> {
  project.writeWorkflow(githubConfig(gh, config));
  const paths = swarmPaths(project.dir);
  const log = new Logger({ eventsFile: paths.events, out: new PassThrough() });
  const wf = loadWorkflow(project.workflowPath, project.env);
  const make = (w: typeof wf) => makeServices(w, { repoDir: project.dir, env: project.env, log: () => {} });
  const rt = { repoDir: project.dir, paths, env: project.env, now: Date.now, random: Math.random, log, store: new FileStateStore(paths.state), ...localFleet(), runAgent, isRoot: process.getuid?.() === 0 };
  orch = new Orchestrator(rt, make, wf, await make(wf), emptyState(Date.now()), project.workflowPath);
  return orch;
}

describe('lifecycle guards in the loop', () => {
  it('the dedup guard: an open PR for the branch is handed off without running an agent', async () => {
    const n = gh.addIssue({ title: 'Already done', labels: ['agent'] });
    gh.addPull({ head: `swarm/${n}-already-done`, title: 'earlier work' });
    const o = await orchestrator({});
    await o.pollOnce();
    await waitFor(() => o.state.tickets[String(n)]?.synced_rev === o.state.tickets[String(n)]?.rev, { what: 'the hand-off written' });
    expect(project.claudeCalls()).toEqual([]);
    expect(o.state.tickets[String(n)]).toMatchObject({ status: 'review', attempts: [], failures: 0 });
    expect(gh.labelsOf(n)).toEqual(['agent', 'agent:review']);
  });

  it('counts real failures: the next attempt runs on the next model', async () => {
    const n = gh.addIssue({ title: 'Hard', labels: ['agent'] });
    project.setScenarios({ [n]: ['no_changes', 'commit_and_pr'] });
    const o = await orchestrator({ agent: { models: ['sonnet', 'opus'], retry_backoff: '1ms', max_retry_backoff: '1ms' } });
    expect(await o.run('until-idle')).toBe(0);
    expect(o.state.tickets[String(n)]!.attempts.map((a) => [a.model, a.outcome, a.counted])).toEqual([['sonnet', 'no_changes', true], ['opus', 'pr_opened', false]]);
    expect(o.state.tickets[String(n)]!.failures).toBe(1);
    expect(project.claudeCalls().map((c) => c.model)).toEqual(['sonnet', 'opus']);
  });

  it('a pause that begins while a claim is being prepared holds it at the spawn; it runs after the pause', async () => {
    const n = gh.addIssue({ title: 'Overtaken', labels: ['agent'] });
    // The before_run hook is the preparation the pause overtakes: it signals, then waits a moment.
    const flag = `${project.base}/preparing`;
    const o = await orchestrator({ hooks: { before_run: `touch ${flag}; sleep 1` } });
    const done = o.run('until-idle');
    await waitFor(() => fs.existsSync(flag), { what: 'the claim preparing its attempt' });
    const until = Date.now() + 2500;
    await o.ledger.commit(pause({ kind: 'rate_limit', reason: 'usage limit reached (five_hour)', until: new Date(until).toISOString(), limit_type: 'five_hour' }, Date.now()));
    expect(await done).toBe(0);
    const events = project.events();
    const held = events.find((e) => e.type === 'held');
    expect(held).toMatchObject({ key: String(n), due: new Date(until).toISOString() });
    const calls = project.claudeCalls();
    expect(calls).toHaveLength(1);
    expect(Date.parse(calls[0]!.ts as unknown as string)).toBeGreaterThanOrEqual(until);
    const t = o.state.tickets[String(n)]!;
    expect(t.attempts.map((a) => [a.number, a.outcome, a.counted])).toEqual([[1, 'pr_opened', false]]);
    expect(gh.labelsOf(n)).toEqual(['agent', 'agent:review']);
  });
});
