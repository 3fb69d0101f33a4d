// Issue #21 acceptance 2: containment does not break the real CLI. The pinned Claude Code binary runs inside
// swarm's sandbox (a daemon started as a user would), reaches the fake Messages API on 127.0.0.1 through the
// sandbox's proxy — allowed by the ANTHROPIC_BASE_URL rule alone — runs its Bash tool to commit in the
// worktree, and swarm publishes the commit and opens the PR on the fake GitHub.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { startFakeAnthropic, type FakeAnthropic } from '../helpers/fake-anthropic.js';
import { claudeBinary } from '../helpers/real-claude.js';
import { git } from '../helpers/git-repo.js';
import { githubConfig, githubWorld, startDaemon, teardown, type Daemon, type Project } from '../helpers/daemon.js';

const COMMIT = 'echo hello > hello.txt && git add hello.txt && git commit -q -m "Add hello.txt" && echo committed';
let project: Project;
let gh: FakeGitHub;
let api: FakeAnthropic;
let daemon: Daemon | null = null;
let exit: { code: number | null };

beforeAll(async () => {
  const bin = claudeBinary(); // a clear error when the real binary cannot run here
  ({ project, gh } = await githubWorld());
  api = await startFakeAnthropic();
  api.script([
    { preamble: 'I will make the change.', toolUse: { name: 'Bash', input: { command: COMMIT, description: 'Write and commit hello.txt' } } },
    { text: 'Committed hello.txt.' },
  ]);
  const home = path.join(project.base, 'home');
  const configDir = path.join(project.base, 'claude-config');
  fs.mkdirSync(home);
  fs.mkdirSync(configDir);
  gh.addIssue({ title: 'Say hello', labels: ['agent'] });
  project.writeWorkflow(githubConfig(gh, {
    agent: {
      command: bin,
      sandbox: 'on',
      max_turns: 5,
      env: {
        IS_SANDBOX: null, FAKE_GITHUB_TOKEN: null,
        ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: 'sk-ant-api03-fake-key-for-tests', CLAUDE_CONFIG_DIR: configDir,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', CLAUDE_CODE_MAX_RETRIES: '1', TZ: 'UTC',
      },
    },
  }));
  daemon = startDaemon(project, ['start', '--until-idle'], { HOME: home });
  exit = await Promise.race([daemon.exited, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`daemon did not finish:\n${daemon!.stdout}\n${daemon!.stderr}`)), 120_000))]);
}, 150_000);

afterAll(async () => {
  await teardown(daemon, gh, project);
  await api?.close();
});

describe('acceptance 2: the real Claude Code binary inside the sandbox', () => {
  it('reaches the fake Messages API through the sandbox proxy and commits with its Bash tool', () => {
    expect(exit.code).toBe(0);
    const msgs = api.messageRequests();
    expect(msgs).toHaveLength(2);
    expect(JSON.stringify(msgs[1]!.body)).toContain('committed');
    const ts = project.state().tickets['1'];
    expect(ts.attempts).toHaveLength(1);
    expect(ts.attempts[0].outcome).toBe('pr_auto_opened');
  });

  it('swarm pushed the commit and opened the PR', async () => {
    const pr = gh.pulls.find((p) => p.head.startsWith('swarm/1-'));
    expect(pr).toBeDefined();
    expect(await git(project.origin, 'log', '-1', '--format=%s', `refs/heads/${pr!.head}`)).toBe('Add hello.txt');
    expect(project.state().tickets['1'].status).toBe('review');
  });
});
