// Issue #5: one daemon per repository (acceptance 3) and graceful shutdown: the first SIGTERM drains
// (status says so, running agents finish, nothing new starts), the second kills every agent group and
// records the attempts as interrupted; nothing keeps running after swarm exits.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, makeProject, processesMentioning, runCli, startDaemon, waitFor, type Daemon, type Project, isAlive, killLeftovers, readPidFile } from '../helpers/daemon.js';

let gh: FakeGitHub;
let project: Project;
const daemons: Daemon[] = [];

beforeEach(async () => {
  project = await makeProject();
  gh = await startFakeGitHub({ gitDir: project.origin });
  project.env.SWARM_TEST_GH_TOKEN = gh.token;
});

afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop();
  killLeftovers(project.base);
  await gh.close();
  project.cleanup();
});

const start = (args: string[] = ['start']) => {
  const d = startDaemon(project, args);
  daemons.push(d);
  return d;
};
const alive = isAlive;
const pidFile = (n: number) => path.join(project.base, `sleep-${n}.pid`);
const readPid = (n: number) => readPidFile(pidFile(n));

describe('one daemon per repository', () => {
  it('a second start exits 2 naming the first pid; after kill -9 of the first a new start succeeds', async () => {
    project.writeWorkflow(githubConfig(gh));
    const first = start();
    await first.waitForOutput(/swarm started/);

    const second = await runCli(project, ['start'], { timeoutMs: 60_000 });
    expect(second.code, second.stdout + second.stderr).toBe(2);
    expect(second.stderr).toContain(`pid ${first.proc.pid}`);
    expect(second.stderr).not.toMatch(/\n\s+at /); // one sentence, no stack

    first.kill('SIGKILL');
    await first.exited;
    expect(fs.existsSync(path.join(project.swarmDir, 'daemon.lock'))).toBe(true); // the crash left its lock

    const third = start();
    await third.waitForOutput(/swarm started/);
    expect(third.stdout).toContain(`stale lock from pid ${first.proc.pid}`);
    const json = JSON.parse((await runCli(project, ['status', '--json'])).stdout);
    expect(json.daemon.pid).toBe(third.proc.pid);
  });
});

describe('graceful shutdown', () => {
  it('first SIGTERM drains: status says draining, running agents finish and hand off, nothing new is claimed', async () => {
    project.writeWorkflow(githubConfig(gh, { agent: { max_concurrent: 2 } }));
    const issues = [1, 2, 3].map((i) => gh.addIssue({ title: `Drain ${i}`, labels: ['agent'] }));
    // The agents take a few seconds, so the drain happens while they run.
    project.setScenarios({ default: [[{ init: true }, { sleep: 5000 }, 'commit_and_pr']] });
    const d = start();
    await waitFor(() => project.events().filter((e) => e.type === 'started').length === 2, { timeoutMs: 60_000, what: 'two agents running' });
    d.kill('SIGTERM');
    await d.waitForOutput(/draining/);
    const status = await runCli(project, ['status']);
    expect(status.stdout).toMatch(/draining/i);
    expect(JSON.parse((await runCli(project, ['status', '--json'])).stdout).daemon.draining).toBe(true);
    const exit = await d.exited;
    expect(exit.code).toBe(0);

    const state = project.state();
    const started = project.events().filter((e) => e.type === 'started').map((e) => e.key);
    expect(started).toHaveLength(2); // the third ticket was never started
    for (const key of started) expect(state.tickets[key].status).toBe('review');
    expect(gh.pulls).toHaveLength(2);
    const third = issues.find((n) => !started.includes(String(n)))!;
    expect(gh.labelsOf(third)).not.toContain('agent:running');
    expect(processesMentioning(project.base)).toEqual([]);
  });

  it('second SIGTERM kills every agent group (grandchildren too), records interrupted attempts, leaves nothing running', async () => {
    project.writeWorkflow(githubConfig(gh, { agent: { max_concurrent: 2 } }));
    const issues = [1, 2].map((i) => gh.addIssue({ title: `Stop ${i}`, labels: ['agent'] }));
    project.setScenarios(Object.fromEntries(issues.map((n) => [String(n), [[{ init: true }, { spawnSleep: 1000, pidFile: `sleep-${n}.pid` }, { hang: true }]]])));
    const d = start();
    const sleeps = await waitFor(() => (issues.every((n) => readPid(n)) ? issues.map((n) => readPid(n)!) : null), { timeoutMs: 60_000, what: 'both agents spawned their sleep' });
    const agents = await waitFor(() => (project.claudeCalls().length === 2 ? project.claudeCalls().map((c: any) => c.pid as number) : null), { what: 'two agent pids' });
    for (const pid of [...sleeps, ...agents]) expect(alive(pid)).toBe(true);

    d.kill('SIGTERM');
    await d.waitForOutput(/draining/);
    // Draining waits: the agents are still alive.
    for (const pid of [...sleeps, ...agents]) expect(alive(pid)).toBe(true);
    d.kill('SIGTERM');
    const exit = await d.exited;
    expect(exit.code).toBe(0);

    for (const pid of [...sleeps, ...agents]) expect(alive(pid), `pid ${pid} still alive after swarm exited`).toBe(false);
    expect(processesMentioning(project.base)).toEqual([]);
    const state = project.state();
    for (const n of issues) {
      const t = state.tickets[String(n)];
      expect(t.attempts.map((a: any) => [a.outcome, a.counted])).toEqual([['interrupted', false]]);
      expect(t.failures).toBe(0);
    }
    expect(state).not.toHaveProperty('daemon'); // the draining flag lived in the daemon's view, gone with it
    expect(JSON.parse((await runCli(project, ['status', '--json'])).stdout).daemon.draining).toBe(false);
  });
});
