// Issue #25 acceptance 4: after a WORKFLOW.md edit, `swarm status` shows the new values at the next poll.
// The daemon writes `.swarm/daemon.json` (its report) at the end of every poll; status reads the ticket
// records from state.json and the configuration in force from the report, so the copy state.json took at
// start no longer goes stale.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, runCli, startDaemon, waitFor, type Daemon, type Project, githubWorld, teardown } from '../helpers/daemon.js';

let gh: FakeGitHub;
let project: Project;
let daemon: Daemon;

beforeAll(async () => {
  ({ project, gh } = await githubWorld());
});
afterAll(async () => {
  await teardown(daemon, gh, project);
});

const status = async () => JSON.parse((await runCli(project, ['status', '--json'])).stdout);
const reportFile = () => path.join(project.dir, '.swarm', 'daemon.json');
const report = () => JSON.parse(fs.readFileSync(reportFile(), 'utf8'));

it('shows a WORKFLOW.md edit at the next poll, from the report the daemon writes each poll', async () => {
  project.writeWorkflow(githubConfig(gh, { agent: { max_concurrent: 1, max_attempts: 2, models: ['claude-sonnet-4-5'] } }));
  daemon = startDaemon(project);
  // The first report comes at the end of the first poll.
  await waitFor(() => fs.existsSync(reportFile()) || null, { timeoutMs: 30_000, what: 'the first daemon.json' });
  const before = await waitFor(async () => {
    const s = await status();
    return s.daemon.running && s.daemon.max_concurrent === 1 ? s : null;
  }, { timeoutMs: 30_000, what: 'status of the running daemon' });
  expect(before.daemon.pid).toBe(daemon.proc.pid);
  expect((await runCli(project, ['status'])).stdout).toMatch(/Running \(0 of 1\)/);
  expect(report()).toMatchObject({ pid: daemon.proc.pid, config: { max_concurrent: 1, max_attempts: 2, models: ['claude-sonnet-4-5'] }, config_error: null });

  project.writeWorkflow(githubConfig(gh, { agent: { max_concurrent: 3, max_attempts: 4, models: ['claude-sonnet-4-5', 'claude-opus-4-1'] } }));
  const editedAt = Date.now();
  // polling.interval is 1s in the test projects: the next poll is at most about a second away.
  await waitFor(() => report().config.max_concurrent === 3 || null, { timeoutMs: 10_000, what: 'a report with the edited config' });
  const after = await status();
  expect(after.daemon.max_concurrent).toBe(3);
  expect((await runCli(project, ['status'])).stdout).toMatch(/Running \(0 of 3\)/);
  expect(report().config).toMatchObject({ max_attempts: 4, models: ['claude-sonnet-4-5', 'claude-opus-4-1'] });
  expect(Date.parse(report().at)).toBeGreaterThanOrEqual(editedAt - 1000);
  // The records' file holds no copy of the configuration at all: what status shows came from the report.
  expect(project.state()).not.toHaveProperty('daemon');
  expect(project.state().version).toBe(3);
});
