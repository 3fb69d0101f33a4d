// doctor, explain, logs and the offline controls, run in-process against a real git repository, the fake
// GitHub and real transcript files (no daemon needed).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, ROOT, type Project, githubWorld, teardown } from '../helpers/daemon.js';
import { doctorCommand } from '../../src/commands/doctor.js';
import { explainCommand } from '../../src/commands/explain.js';
import { logsCommand } from '../../src/commands/logs.js';
import { controlCommand, pauseAction } from '../../src/commands/control.js';
import { run } from '../../src/cli.js';
import { captureIO } from '../helpers/io.js';

let gh: FakeGitHub;
let project: Project;

beforeEach(async () => {
  ({ project, gh } = await githubWorld());
});

afterEach(async () => {
  await teardown(null, gh, project);
});

const io = () => captureIO(project);

async function createLabels(names: string[]) {
  for (const name of names) {
    const res = await fetch(`${gh.url}/repos/${gh.fullName}/labels`, { method: 'POST', headers: { authorization: `token ${gh.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
    expect(res.status).toBe(201);
  }
}

const ALL = ['agent', 'agent:running', 'agent:review', 'agent:failed', 'agent:needs-human'];

/** A Claude login in a config folder of its own (what `claude` /login writes to .claude.json). */
function claudeLogin(): void {
  const dir = path.join(project.base, 'claude-config');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, '.claude.json'), JSON.stringify({ oauthAccount: { emailAddress: 'ada@example.com', accountUuid: 'u-1' } }));
  project.env.CLAUDE_CONFIG_DIR = dir;
}

describe('swarm doctor', () => {
  beforeEach(() => claudeLogin());

  it('healthy setup: every check passes, exit 0', async () => {
    project.writeWorkflow(githubConfig(gh));
    await createLabels(ALL);
    const x = io();
    expect(await doctorCommand({ isRoot: false, minFreeBytes: 1 }, x)).toBe(0);
    const out = x.out();
    for (const name of ['git repository', 'WORKFLOW.md', 'origin remote', 'base branch', 'agent command', 'Claude credentials', 'tracker token', 'repository access', 'labels', 'disk space', 'state']) {
      expect(out).toMatch(new RegExp(`✓ ${name}: `));
    }
    expect(out).toMatch(/✓ Claude credentials: login in .*claude-config\/\.claude\.json/);
    expect(out).toMatch(/✓ agent command: 2\.1\.332 \(Claude Code\) at .*\n {4}note: the version swarm is tested with \(2\.1\.332\)/);
    expect(out).toContain('2.1.332 (Claude Code)');
    expect(out).toContain('acme/widgets as swarm-bot');
    expect(out).toContain('all checks passed');
    expect(out).not.toContain('✗');
  });

  it('missing label: ✗ with the fix; --fix creates it; then healthy', async () => {
    project.writeWorkflow(githubConfig(gh));
    await createLabels(['agent', 'agent:running', 'agent:review']);
    const x = io();
    expect(await doctorCommand({ isRoot: false, minFreeBytes: 1 }, x)).toBe(1);
    expect(x.out()).toMatch(/✗ labels: missing on acme\/widgets: agent:failed, agent:needs-human\n {4}fix: run `swarm doctor --fix`/);
    expect(gh.repoLabels).not.toContain('agent:failed');
    const y = io();
    expect(await doctorCommand({ fix: true, isRoot: false, minFreeBytes: 1 }, y)).toBe(0);
    expect(y.out()).toContain('✓ labels: created agent:failed, agent:needs-human');
    expect(gh.repoLabels).toContain('agent:failed');
    expect(await doctorCommand({ isRoot: false, minFreeBytes: 1 }, io())).toBe(0);
  });

  it('bad token: repository access fails with the fix, and the token is never printed', async () => {
    project.writeWorkflow(githubConfig(gh));
    project.env.SWARM_TEST_GH_TOKEN = 'ghp_definitelyNotTheRightToken123';
    const x = io();
    expect(await doctorCommand({ isRoot: false, minFreeBytes: 1 }, x)).toBe(1);
    expect(x.out()).toMatch(/✓ tracker token: GitHub token from tracker\.token/);
    expect(x.out()).toMatch(/✗ repository access: GitHub rejected the token \(401\)/);
    expect(x.out()).not.toContain('ghp_definitelyNotTheRightToken123');
  });

  it('claude missing, not enough disk, root with bypass mode: each one line with ✓/✗ and a fix', async () => {
    // In swarm's sandbox (which doctor runs a command in), root + bypass is fine: IS_SANDBOX=1 is true there.
    project.writeWorkflow(githubConfig(gh, { agent: { command: '/nonexistent/claude', sandbox: 'on', env: { IS_SANDBOX: null } } }));
    await createLabels(ALL);
    const x = io();
    expect(await doctorCommand({ isRoot: true, minFreeBytes: Number.MAX_SAFE_INTEGER }, x)).toBe(1);
    const out = x.out();
    expect(out).toMatch(/✗ agent command: agent\.command "\/nonexistent\/claude" was not found\n {4}fix: install Claude Code/);
    expect(out).toMatch(/✗ disk space: only .* free under \.swarm\/worktrees/);
    expect(out).toMatch(/✓ root and bypass mode: running as root with permission_mode bypassPermissions: inside swarm's sandbox the agent gets IS_SANDBOX=1/);
    expect(out).toMatch(/✓ agent sandbox: works; the agent may reach api\.anthropic\.com:443/);
    expect(out).toMatch(/✓ repository access/);
    expect(out).toContain('2 checks failed');
    // Unconfined as root, it is no pass: refused without IS_SANDBOX, flagged with it.
    project.writeWorkflow(githubConfig(gh, { agent: { env: { IS_SANDBOX: null } } }));
    const y = io();
    expect(await doctorCommand({ isRoot: true, minFreeBytes: 1 }, y)).toBe(1);
    expect(y.out()).toMatch(/✗ root and bypass mode: agent\.permission_mode is bypassPermissions, swarm runs as root and agent\.sandbox is off/);
    expect(y.out()).toMatch(/✓ agent sandbox: off \(agent\.sandbox: off\): agents run unconfined/);
    project.writeWorkflow(githubConfig(gh));
    const z = io();
    expect(await doctorCommand({ isRoot: true, minFreeBytes: 1 }, z)).toBe(1);
    expect(z.out()).toMatch(/✗ root and bypass mode: running as root, unconfined \(agent\.sandbox: off\), and agent\.env declares this machine a sandbox/);
  });

  it('no Claude credentials fails with the fix; a key in agent.env is enough (never printed)', async () => {
    delete project.env.CLAUDE_CONFIG_DIR;
    project.env.HOME = path.join(project.base, 'empty-home');
    project.writeWorkflow(githubConfig(gh));
    await createLabels(ALL);
    const x = io();
    expect(await doctorCommand({ isRoot: false, minFreeBytes: 1 }, x)).toBe(1);
    expect(x.out()).toMatch(/✗ Claude credentials: Claude Code has no credentials: no ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN in the environment or agent\.env, and no login in .*empty-home\/\.claude\.json.*\n {4}fix: log in once as the user swarm runs as \(`claude`, then \/login\)/);
    expect(x.out()).toContain('1 check failed');
    project.writeWorkflow(githubConfig(gh, { agent: { env: { CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-doctor' } } }));
    const y = io();
    expect(await doctorCommand({ isRoot: false, minFreeBytes: 1 }, y)).toBe(0);
    expect(y.out()).toContain('✓ Claude credentials: CLAUDE_CODE_OAUTH_TOKEN in agent.env');
    expect(y.out()).not.toContain('sk-ant-oat01-doctor');
  });

  it('origin must be tracker.repo when it is a GitHub URL (agents push there; swarm looks for PRs in tracker.repo)', async () => {
    const { checkOriginMatchesRepo } = await import('../../src/doctor/claude.js');
    const { loadWorkflow } = await import('../../src/config/workflow.js');
    const { execFileSync } = await import('node:child_process');
    const dir = path.join(project.base, 'gh-clone');
    fs.mkdirSync(dir);
    execFileSync('git', ['init', '-q', dir]);
    execFileSync('git', ['-C', dir, 'remote', 'add', 'origin', 'git@github.com:acme/widgets.git']);
    const ctx = (repo: string) => {
      project.writeWorkflow(githubConfig(gh, { tracker: { repo } }));
      return { repoDir: dir, wf: loadWorkflow(project.workflowPath, project.env), env: project.env, fix: false, isRoot: false };
    };
    expect(await checkOriginMatchesRepo(ctx('acme/gadgets'))).toEqual({
      ok: false, name: 'origin and tracker.repo',
      detail: 'origin is acme/widgets but tracker.repo is acme/gadgets: agents push their branches to origin while swarm looks for their pull requests in acme/gadgets',
      fix: 'set tracker.repo: acme/widgets (or remove it: it defaults to origin), or point origin at acme/gadgets',
    });
    expect(await checkOriginMatchesRepo(ctx('Acme/Widgets'))).toMatchObject({ ok: true, detail: 'origin is acme/widgets, the repository swarm watches' });
    expect(await checkOriginMatchesRepo({ ...ctx('acme/gadgets'), repoDir: project.dir })).toMatchObject({ ok: true, detail: 'origin is not a GitHub URL; swarm watches acme/gadgets' });
  });

  it('the local tracker needs no origin: doctor notes its absence instead of failing (the README quick start)', async () => {
    const { checkRemote } = await import('../../src/doctor/checks.js');
    const { loadWorkflow } = await import('../../src/config/workflow.js');
    const { execFileSync } = await import('node:child_process');
    const dir = path.join(project.base, 'no-origin');
    fs.mkdirSync(dir);
    execFileSync('git', ['init', '-q', dir]);
    const wf = path.join(dir, 'WORKFLOW.md');
    const ctx = (kind: string) => {
      fs.writeFileSync(wf, `---\n${JSON.stringify({ tracker: kind === 'local' ? { kind } : { kind, repo: 'acme/widgets' } })}\n---\nDo {{ issue.title }}\n`);
      return { repoDir: dir, wf: loadWorkflow(wf, { ...project.env, GITHUB_TOKEN: 'ghp_x' }), env: project.env, fix: false, isRoot: false };
    };
    expect(await checkRemote(ctx('local'))).toEqual([{ ok: true, name: 'origin remote', detail: 'none: with the local tracker handed-off branches stay in this repository', fix: 'git remote add origin <url> to have swarm push them' }]);
    expect(await checkRemote(ctx('github'))).toEqual([{ ok: false, name: 'origin remote', detail: 'no remote named origin', fix: 'git remote add origin <url of your GitHub repository>' }]);
  });

  it('a broken WORKFLOW.md with a last good copy: doctor fails that check and runs the rest on the copy; explain works on it', async () => {
    project.writeWorkflow(githubConfig(gh));
    await createLabels(ALL);
    const { loadWorkflow } = await import('../../src/config/workflow.js');
    const { saveLastGood } = await import('../../src/config/last-good.js');
    saveLastGood(project.swarmDir, loadWorkflow(project.workflowPath, project.env)); // what the daemon keeps
    fs.writeFileSync(project.workflowPath, fs.readFileSync(project.workflowPath, 'utf8').replace('"max_concurrent": 2', '"max_concurrent": "lots"'));
    const x = io();
    expect(await doctorCommand({ isRoot: false, minFreeBytes: 1 }, x)).toBe(1);
    expect(x.out()).toMatch(/✗ WORKFLOW\.md: .*agent\.max_concurrent.*\n {4}fix: edit the key named above; the running daemon keeps the last good configuration, which the checks below use/);
    expect(x.out()).toMatch(/✓ repository access/);
    expect(x.out()).toContain('1 check failed');
    const n = gh.addIssue({ title: 'Explained while the file is broken', labels: ['agent'] });
    const y = io();
    expect(await explainCommand(String(n), {}, y)).toBe(0);
    expect(y.err()).toMatch(/agent\.max_concurrent[\s\S]*explaining with the last good configuration/);
    expect(y.out()).toMatch(/Next: claimed at the next poll/);
  });

  it('an invalid WORKFLOW.md fails with the key named; exit 1 through the CLI', async () => {
    fs.writeFileSync(project.workflowPath, '---\nagent:\n  max_concurrent: lots\n---\nx\n');
    const x = io();
    expect(await run(['node', 'swarm', 'doctor'], x)).toBe(1);
    expect(x.out()).toMatch(/✗ WORKFLOW\.md: .*agent\.max_concurrent/);
  });
});

describe('swarm explain (command)', () => {
  it('fetches the ticket from the tracker; accepts 12 and #12; unknown ticket exits 2 with a clear message', async () => {
    project.writeWorkflow(githubConfig(gh, { tracker: { trusted_labelers_only: true } }));
    const n = gh.addIssue({ title: 'Labelled by a stranger', labels: ['agent'], labeledBy: 'stranger' });
    const x = io();
    expect(await explainCommand(`#${n}`, {}, x)).toBe(0);
    expect(x.out()).toMatch(/✗ trust +/);
    expect(x.out()).toMatch(/Next: ignored every poll: .*stranger/);
    expect(x.out()).toContain('no daemon is running now');

    const ok = gh.addIssue({ title: 'Open PR already', labels: ['agent'] });
    gh.addPull({ head: `swarm/${ok}-open-pr-already` });
    const y = io();
    expect(await explainCommand(String(ok), { json: true }, y)).toBe(0);
    const report = JSON.parse(y.out());
    expect(report.checks.find((c: any) => c.rule === 'pull_request')).toMatchObject({ pass: false });
    expect(report.next).toMatch(/marks the ticket handed off without running an agent/);

    const z = io();
    expect(await run(['node', 'swarm', 'explain', '999'], z)).toBe(2);
    expect(z.err()).toMatch(/ticket "999" was not found in the github tracker \(acme\/widgets\): give the issue number/);
  });
});

describe('swarm logs and offline controls (local tracker)', () => {
  function seedRun(): string {
    // A finished attempt as the daemon leaves it: state.json + the raw stream under .swarm/runs.
    const runDir = path.join(project.swarmDir, 'runs', 'fix-login');
    fs.mkdirSync(runDir, { recursive: true });
    const runFile = path.join(runDir, '1.jsonl');
    fs.copyFileSync(path.join(ROOT, 'test/fixtures/claude/tool-commit.stdout.jsonl'), runFile);
    const attempt = { number: 1, model: 'sonnet', outcome: 'agent_error', counted: true, reason: 'boom', summary: '', started_at: '2025-03-01T10:00:00.000Z', ended_at: '2025-03-01T10:01:00.000Z', duration_ms: 60000, cost_usd: 0.02, tokens: { input: 1, output: 1, cacheRead: 0, cacheCreation: 0 }, session_id: null, pid: null, pid_start: null, run_file: runFile };
    const ticket = { key: 'fix-login', identifier: 'fix-login', title: 'Fix login', url: '', branch: 'swarm/fix-login', worktree: '', status: 'failed', attempts: [attempt], failures: 3, next_retry_at: null, retry_reason: null, pr: null, cost_usd: 0.02, claimed_at: null, updated_at: '2025-03-01T10:01:00.000Z', last_event: '', rev: 1, synced_rev: 1, cleared: false };
    fs.writeFileSync(path.join(project.swarmDir, 'state.json'), JSON.stringify({ version: 1, tickets: { 'fix-login': ticket }, pause: null, canary: false, breaker: { recent: [], consecutive: 0, level: 0 }, daily: { date: '2025-03-01', cost_usd: 0, tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 }, attempts: {}, prs: 0 }, daemon: null }));
    return runFile;
  }

  it('logs renders the transcript: text, tool calls with short inputs, results, final summary and cost', async () => {
    seedRun();
    const x = io();
    expect(await logsCommand('fix-login', {}, x)).toBe(0);
    const out = x.out();
    expect(out).toMatch(/^fix-login attempt 1 · sonnet · agent_error \(counted\)/);
    expect(out).toMatch(/── session .* · model /);
    expect(out).toMatch(/→ Bash /);
    expect(out).toMatch(/══ result: success · \d+ turn\(s\) · \$\d+\.\d{4}/);
    expect(out).toContain('outcome: agent_error — boom');
    expect(out).not.toMatch(/"type":/); // no raw JSON
    const bad = io();
    expect(await run(['node', 'swarm', 'logs', 'fix-login', '--attempt', '7'], bad)).toBe(2);
    expect(bad.err()).toContain('has no attempt 7 (attempts: 1)');
    expect(await run(['node', 'swarm', 'logs', 'never-run'], io())).toBe(2);
  });

  it('logs --follow tails a growing transcript until its result line', async () => {
    const runFile = seedRun();
    const lines = fs.readFileSync(runFile, 'utf8').split('\n').filter(Boolean);
    fs.writeFileSync(runFile, lines.slice(0, 2).join('\n') + '\n');
    const state = JSON.parse(fs.readFileSync(path.join(project.swarmDir, 'state.json'), 'utf8'));
    state.tickets['fix-login'].attempts[0].outcome = 'running';
    fs.writeFileSync(path.join(project.swarmDir, 'state.json'), JSON.stringify(state));
    // A live "daemon": this test process holds the lock.
    fs.writeFileSync(path.join(project.swarmDir, 'daemon.lock'), JSON.stringify({ pid: process.pid, pid_start: null, started_at: '', heartbeat_at: '', workflow: '' }));
    const x = io();
    const following = logsCommand('fix-login', { follow: true, pollMs: 20, followTimeoutMs: 60_000 }, x);
    await new Promise((r) => setTimeout(r, 200));
    expect(x.out()).not.toContain('══ result');
    fs.appendFileSync(runFile, lines.slice(2).join('\n') + '\n');
    expect(await following).toBe(0);
    expect(x.out()).toMatch(/══ result: success/);
  });

  it('retry / pause / resume with no daemon edit state.json under the lock', async () => {
    seedRun();
    const read = () => JSON.parse(fs.readFileSync(path.join(project.swarmDir, 'state.json'), 'utf8'));
    const x = io();
    expect(await controlCommand({ kind: 'retry', ticket: 'FIX-LOGIN' }, x)).toBe(0);
    expect(x.out()).toMatch(/picked up again.*no daemon running: state\.json updated/);
    expect(read().tickets['fix-login']).toMatchObject({ status: 'released', failures: 0 });
    expect(read().tickets['fix-login'].attempts).toHaveLength(1);
    expect(fs.existsSync(path.join(project.swarmDir, 'daemon.lock'))).toBe(false);

    const now = Date.parse('2025-03-01T12:00:00Z');
    expect(await controlCommand(pauseAction({ for: '2h' }, now), io(), () => now)).toBe(0);
    expect(read().pause).toMatchObject({ kind: 'operator', until: '2025-03-01T14:00:00.000Z' });
    expect(await controlCommand({ kind: 'resume' }, io())).toBe(0);
    expect(read().pause).toBeNull();

    expect(() => pauseAction({ for: 'soon' }, now)).toThrow(/--for must be a duration/);
    const unknown = io();
    expect(await run(['node', 'swarm', 'release', 'nope'], unknown)).toBe(2);
    expect(unknown.err()).toMatch(/nope is not known to swarm/);
  });
});
