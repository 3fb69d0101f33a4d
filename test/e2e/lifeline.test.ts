// One daemon (embedded state), as a real process: its agents run under the supervisor (issue #23).
//  - kill -9 of the daemon: the agent and its tool grandchild are gone within the kill grace, before any
//    restart — nothing outlives the daemon that started it.
//  - kill -9 of the daemon and of the supervisor together (both gone, as in a power cut of the daemon's
//    side): the agent is left over, and the restart's recovery (pid + start time from the state) still
//    kills it before the ticket runs again, not counted.
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, githubWorld, isAlive, readPidFile, startDaemon, teardown, waitFor, type Daemon, type Project } from '../helpers/daemon.js';
import { lifelineFor } from '../../src/agent/lifeline.js';

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

describe('the agent lifeline in embedded mode', () => {
  it('kill -9 of the daemon stops its agent within the kill grace; with the supervisor killed too, the restart still kills the orphan', async () => {
    project.writeWorkflow(githubConfig(gh, { agent: { max_concurrent: 1 } }));
    const tool = (n: number) => path.join(project.base, `tool-${n}.pid`);
    const long = (n: number) => [[{ init: true }, { spawnSleep: 600, pidFile: tool(n) }, { sleep: 60_000 }, 'commit_and_pr'], 'commit_and_pr'];
    const a = gh.addIssue({ title: 'Daemon dies', labels: ['agent'] });
    project.setScenarios({ [a]: long(a) });

    // 1. The daemon alone dies: its supervisor stops the agent's whole group at once.
    daemon = startDaemon(project);
    const sleepA = await waitFor(() => readPidFile(tool(a)), { timeoutMs: 60_000, what: 'the agent running its tool' });
    daemon.kill('SIGKILL');
    const killedAt = Date.now();
    await daemon.exited;
    await waitFor(() => !isAlive(sleepA) && project.claudeCalls().every((c) => !isAlive(c.pid)), { timeoutMs: lifelineFor(null).killGraceMs, intervalMs: 20, what: 'the agent and its tool gone' });
    console.log(`embedded kill -9: agent group gone ${Date.now() - killedAt} ms after the daemon`);

    // 2. Daemon and supervisor die together: the agent is an orphan now, found and killed by the restart.
    daemon = startDaemon(project);
    const b = gh.addIssue({ title: 'Both die', labels: ['agent'] });
    project.setScenarios({ [a]: long(a), [b]: long(b) });
    await waitFor(() => gh.labelsOf(a).includes('agent:review'), { timeoutMs: 60_000, what: `#${a} resumed and handed off` });
    const sleepB = await waitFor(() => readPidFile(tool(b)), { timeoutMs: 60_000, what: `#${b}'s agent running its tool` });
    const spawned = await waitFor(() => project.events().find((e) => e.type === 'spawned' && e.key === String(b)), { what: 'the supervisor pid on disk' });
    daemon.kill('SIGKILL');
    process.kill(spawned.pid, 'SIGKILL'); // the supervisor: it leads the agent's group
    await daemon.exited;
    await new Promise((r) => setTimeout(r, 1_000));
    expect(isAlive(sleepB), 'with no supervisor left, nothing stops the agent until a restart').toBe(true);
    daemon = startDaemon(project);
    await daemon.waitForOutput(/swarm started/, 60_000);
    expect(isAlive(sleepB), 'the orphan survived the restart').toBe(false);
    expect(project.events().some((e) => e.type === 'orphan_killed' && e.pid === spawned.pid && e.found_by === 'state')).toBe(true);
    await waitFor(() => gh.labelsOf(b).includes('agent:review'), { timeoutMs: 60_000, what: `#${b} resumed and handed off` });
    const state = project.state();
    for (const n of [a, b]) {
      expect(state.tickets[String(n)].attempts.map((x: any) => x.outcome), `#${n}`).toEqual(['interrupted', 'pr_opened']);
      expect(state.tickets[String(n)].failures).toBe(0);
    }
    expect(gh.pulls).toHaveLength(2);
  }, 180_000);
});
