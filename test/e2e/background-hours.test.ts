// Issue #14 acceptance 4, the daemon as a real process: agent.lanes.background.hours set to a window that
// opens shortly (hours have minute resolution: the next whole minute at least 15 s away, in UTC). A
// background ticket waits — `swarm explain` says until when, `swarm status` lists it with its lane — and
// starts once the window opens (the loop wakes for it); a normal ticket is not held back meanwhile.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, githubWorld, runCli, startDaemon, teardown, waitFor, type Daemon, type Project } from '../helpers/daemon.js';

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

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

describe('background hours', () => {
  it('a background ticket waits for its window and starts when it opens; a normal ticket runs meanwhile', async () => {
    const opensAt = Math.ceil((Date.now() + 15_000) / 60_000) * 60_000;
    const hours = `${hhmm(opensAt)}-${hhmm(opensAt + 30 * 60_000)} UTC`;
    // A long poll interval: the background ticket must start because the loop wakes for the window opening.
    project.writeWorkflow(githubConfig(gh, { polling: { interval: '5m' }, agent: { max_concurrent: 2, lanes: { background: { labels: ['agent:overnight'], hours } } } }));
    const overnight = gh.addIssue({ title: 'Tidy the changelog', labels: ['agent', 'agent:overnight'] });
    const normal = gh.addIssue({ title: 'Fix the login', labels: ['agent'] });
    daemon = startDaemon(project);

    await waitFor(() => project.events().some((e) => e.type === 'pr_opened' && e.key === String(normal)), { what: 'the normal ticket handed off' });
    expect(project.events().filter((e) => e.key === String(overnight))).toEqual([]);
    const explained = await runCli(project, ['explain', String(overnight)]);
    expect(explained.stdout).toContain('background lane');
    expect(explained.stdout).toMatch(new RegExp(`Next: waiting: background lane opens at ${hhmm(opensAt)} UTC \\(in (\\d+s|1m( \\d+s)?)\\)`));
    const status = JSON.parse((await runCli(project, ['status', '--json'])).stdout);
    expect(status.waiting).toEqual([expect.objectContaining({ key: String(overnight), lane: 'background', waiting_because: expect.stringMatching(/^background lane opens at/) })]);

    const started = await waitFor(() => project.events().find((e) => e.type === 'started' && e.key === String(overnight)), { timeoutMs: 100_000, what: 'the background ticket started' });
    expect(Date.parse(started.at)).toBeGreaterThanOrEqual(opensAt);
    await waitFor(() => project.events().some((e) => e.type === 'pr_opened' && e.key === String(overnight)), { what: 'the background ticket handed off' });
  }, 150_000);
});
