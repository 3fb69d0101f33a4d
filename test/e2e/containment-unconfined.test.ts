// Issue #21 acceptance 4 and the guards that matter most when the agent runs unconfined:
// - `agent.sandbox: off` works, and says "unconfined" at start-up and in `status --json`;
// - an unconfined agent that writes ../CLAUDE.md and the operator's WORKFLOW.md: the edit is not applied
//   (the last good configuration stays, status says why) and the next attempt stops dispatch with an
//   alert, until the operator cleans up and runs `swarm resume`;
// - as root with a bypass permission mode, no sandbox and no explicit IS_SANDBOX: exit 2 with the fix;
// - the sandbox switched on where bubblewrap is missing: exit 2 naming the fix, and `doctor` says so.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, githubWorld, runCli, startDaemon, teardown, waitFor, type Daemon, type Project } from '../helpers/daemon.js';

let project: Project;
let gh: FakeGitHub;
let daemon: Daemon | null = null;
let original: string;
const isRoot = process.getuid?.() === 0;

beforeAll(async () => {
  ({ project, gh } = await githubWorld());
  project.setScenarios({
    1: [[{ init: true }, { probe: { out: path.join(project.base, 'probe.json'), write: ['../CLAUDE.md', project.workflowPath] } }, 'commit_and_pr']],
    default: ['commit_and_pr'],
  });
  project.writeWorkflow(githubConfig(gh, { agent: { max_concurrent: 1 } }));
  original = fs.readFileSync(project.workflowPath, 'utf8');
});

afterAll(async () => {
  await teardown(daemon, gh, project);
});

const ticket = (key: string) => (fs.existsSync(path.join(project.swarmDir, 'state.json')) ? project.state().tickets[key] : undefined);
const status = async () => JSON.parse((await runCli(project, ['status', '--json'])).stdout);

describe('acceptance 4: agent.sandbox: off', () => {
  it('runs, and says "unconfined" at start-up and in status --json', async () => {
    gh.addIssue({ title: 'Plant memory', labels: ['agent'] });
    daemon = startDaemon(project);
    await daemon.waitForOutput(/UNCONFINED/);
    await waitFor(() => ticket('1')?.status === 'review', { timeoutMs: 30_000, what: '#1 handed off' });
    expect(gh.pulls.some((p) => p.head.startsWith('swarm/1-'))).toBe(true);
    const s = await status();
    expect(s.daemon.sandbox).toBe('unconfined');
    expect((await runCli(project, ['status'])).stdout).toMatch(/UNCONFINED: agent\.sandbox is off/);
  });

  it('a WORKFLOW.md edit made while the unconfined agent ran is held: the last good configuration stays', async () => {
    expect(fs.readFileSync(project.workflowPath, 'utf8')).toBe('planted by fake-claude\n'); // the agent could write it
    const s = await waitFor(async () => {
      const x = await status();
      return x.daemon.config_error ? x : null;
    }, { what: 'the held edit in status' });
    expect(s.daemon.config_error).toMatch(/changed while an unconfined agent \(agent\.sandbox: off\) was running.*until the change is committed or `swarm resume` accepts it/);
    expect(daemon!.stdout).not.toMatch(/no front matter/); // the planted file was never loaded
  });

  it('memory planted above the worktree stops dispatch with an alert until `swarm resume`', async () => {
    // ../CLAUDE.md from the worktree: in this repository's namespace under the workspace root (<root>/<repo-id>/).
    const planted = path.join(path.dirname(ticket('1')!.worktree), 'CLAUDE.md');
    expect(fs.existsSync(planted)).toBe(true);
    const next = String(gh.addIssue({ title: 'Next ticket', labels: ['agent'] }));
    const s = await waitFor(async () => {
      const x = await status();
      return x.pause ? x : null;
    }, { timeoutMs: 30_000, what: 'the containment pause' });
    expect(s.pause.kind).toBe('containment');
    expect(s.pause.reason).toContain(planted);
    expect(s.pause.reason).toMatch(/inside swarm's own folders.*delete it, then run `swarm resume`/);
    expect(project.claudeCalls().filter((c) => c.env.SWARM_TICKET_NUMBER === next)).toHaveLength(0);
    // The operator looks, cleans up, puts WORKFLOW.md back and resumes: work goes on.
    fs.rmSync(planted);
    fs.writeFileSync(project.workflowPath, original);
    expect((await runCli(project, ['resume'])).code).toBe(0);
    await waitFor(() => ticket(next)?.status === 'review', { timeoutMs: 30_000, what: 'the next ticket handed off after resume' });
    const after = await status();
    expect(after.pause).toBeNull();
    expect(after.daemon.config_error).toBeNull();
  });
});

describe('start-up refusals', () => {
  it.runIf(isRoot)('root + bypassPermissions + no sandbox + no explicit IS_SANDBOX: exit 2 with the fix', async () => {
    const dir = path.join(project.base, 'root-check.md');
    fs.writeFileSync(dir, original.replace('"IS_SANDBOX": "1"', '"IS_SANDBOX": null'));
    const r = await runCli(project, ['start', '--once', '--workflow', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/agent\.permission_mode is bypassPermissions, swarm runs as root and agent\.sandbox is off/);
    expect(r.stderr).toMatch(/Turn the sandbox on.*set IS_SANDBOX: "1" in agent\.env/);
  });

  it('the sandbox on where bubblewrap is missing: exit 2 naming the fix; doctor says the same', async () => {
    const bin = path.join(project.base, 'bin-without-bwrap');
    fs.mkdirSync(bin);
    for (const tool of ['git', 'sh', 'env', 'socat', 'rg', 'node']) fs.symlinkSync(`/usr/bin/${tool}`, path.join(bin, tool));
    const wf = path.join(project.base, 'sandboxed.md');
    fs.writeFileSync(wf, original.replace('"sandbox": "off"', '"sandbox": "on"'));
    const r = await runCli(project, ['start', '--once', '--workflow', wf], { env: { PATH: bin } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/agent\.sandbox is on but the sandbox cannot run here \(.*bubblewrap.*\): install bubblewrap, socat and ripgrep \(apt-get install bubblewrap socat ripgrep\), or set `agent\.sandbox: off`/);
    const d = await runCli(project, ['doctor', '--workflow', wf], { env: { PATH: bin } });
    expect(d.stdout).toMatch(/✗ agent sandbox: on, but it cannot run here: .*bubblewrap/);
  });
});
