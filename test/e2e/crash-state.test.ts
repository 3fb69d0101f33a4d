// Issue #5 acceptance 5: a truncated state.json at startup is moved aside and reported, and nothing else
// is lost: events.jsonl rebuilds the attempt records (so counted failures survive and the model ladder
// continues), the handed-off ticket is not run again, and the orphaned agent of the crashed daemon —
// which the lost state can no longer name — is found by its environment and killed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, processesMentioning, runCli, startDaemon, waitFor, type Daemon, type Project, isAlive, githubWorld, teardown } from '../helpers/daemon.js';

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

const alive = isAlive;

describe('truncated state.json', () => {
  it('is moved aside and reported; counted failures, handoffs and the orphan survive via events.jsonl', async () => {
    project.writeWorkflow(githubConfig(gh, { agent: { max_concurrent: 2, max_attempts: 3, models: ['sonnet', 'opus'] } }));
    const failing = gh.addIssue({ title: 'Fails once first', labels: ['agent'] });
    const done = gh.addIssue({ title: 'Done before the crash', labels: ['agent'] });
    const pidFile = path.join(project.base, 'sleep.pid');
    project.setScenarios({
      [failing]: ['no_changes', [{ init: true }, { spawnSleep: 1000, pidFile: 'sleep.pid' }, { hang: true }], 'commit_and_pr'],
      [done]: ['commit_and_pr'],
    });
    daemon = startDaemon(project);
    // The pid file is created before its number is written: wait for the number.
    await waitFor(() => fs.existsSync(pidFile) && Number(fs.readFileSync(pidFile, 'utf8')) > 0 && project.state().tickets[String(done)]?.status === 'review', { timeoutMs: 60_000, what: 'attempt 2 running and the other ticket handed off' });
    const sleepPid = Number(fs.readFileSync(pidFile, 'utf8'));
    // The daemon and the agent's supervisor (the group's leader) die together, so nothing stops the agent
    // before the restart: the sweep by environment is what must find it.
    const stat = fs.readFileSync(`/proc/${sleepPid}/stat`, 'utf8');
    const supervisor = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    daemon.kill('SIGKILL');
    process.kill(supervisor, 'SIGKILL');
    await daemon.exited;
    daemon = null;
    expect(alive(sleepPid)).toBe(true); // detached: the agent group outlives kill -9 of the daemon and its supervisor

    const stateFile = path.join(project.swarmDir, 'state.json');
    const text = fs.readFileSync(stateFile, 'utf8');
    expect(JSON.parse(text).tickets[String(failing)].failures).toBe(1);
    fs.writeFileSync(stateFile, text.slice(0, Math.floor(text.length / 2))); // torn write / disk trouble

    const res = await runCli(project, ['start', '--until-idle'], { timeoutMs: 120_000 });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    // Reported, and the bad file is kept for inspection, not deleted.
    expect(res.stdout).toMatch(/state\.json could not be used\W+it is not valid JSON \(truncated\?\)\W+moved it to .*state\.json\.corrupt-/);
    expect(res.stdout).toMatch(/rebuilt 2 ticket record\(s\) \(1 counted failure\(s\)\)/);
    const aside = fs.readdirSync(project.swarmDir).filter((f) => f.startsWith('state.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(fs.readFileSync(path.join(project.swarmDir, aside[0]!), 'utf8')).toBe(text.slice(0, Math.floor(text.length / 2)));

    // The orphan from the killed daemon was found (the state naming its pid was lost) and killed.
    expect(alive(sleepPid)).toBe(false);
    expect(project.events().some((e) => e.type === 'orphan_killed' && e.found_by === 'environment')).toBe(true);

    // Counted failure survived: attempt 3 ran on the escalated model, history intact.
    const t = project.state().tickets[String(failing)];
    expect(t.attempts.map((a: any) => [a.number, a.outcome, a.counted])).toEqual([
      [1, 'no_changes', true],
      [2, 'interrupted', false],
      [3, 'pr_opened', false],
    ]);
    expect(t.failures).toBe(1);
    const models = project.claudeCalls().filter((c) => c.env.SWARM_TICKET_NUMBER === String(failing)).map((c) => c.model);
    expect(models).toEqual(['sonnet', 'opus', 'opus']);

    // The ticket handed off before the crash was not run again and has exactly one PR.
    expect(project.claudeCalls().filter((c) => c.env.SWARM_TICKET_NUMBER === String(done))).toHaveLength(1);
    expect(gh.pulls.filter((p) => p.head === project.state().tickets[String(done)].branch)).toHaveLength(1);
    expect(gh.pulls).toHaveLength(2);
    for (const n of [failing, done]) expect(gh.labelsOf(n)).not.toContain('agent:running');
    expect(processesMentioning(project.base)).toEqual([]);
  });
});
