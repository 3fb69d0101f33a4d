// Issue #21 acceptance 1, 3 and 5, in one world: the daemon as a real process with agent.sandbox on
// (bubblewrap), a GitHub project on the fake GitHub, two tickets running side by side.
// #1: the fake agent tries, from inside its sandbox, what a hijacked agent would — plant a git hook and an
//     fsmonitor program, write ../CLAUDE.md and the operator's WORKFLOW.md, read ~/.ssh and ~/.config/gh
//     (fixtures in the test's own HOME) and another ticket's transcript, reach a TCP server on a loopback
//     address nobody allowed, move refs that are not its branch — dumps its environment, then commits.
// #2: the fake agent commits a file holding a GitHub token.
// Before the run the test itself plants hooks and core.fsmonitor in the repository (as an earlier,
// unconfined compromise would) and proves plain git runs them: swarm's own git must never.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import net from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { git } from '../helpers/git-repo.js';
import { githubConfig, githubWorld, runCli, startDaemon, teardown, type Daemon, type Project } from '../helpers/daemon.js';

const TOKEN_IN_COMMIT = `ghp_${randomBytes(18).toString('hex')}`; // 36 characters after the prefix
let project: Project;
let gh: FakeGitHub;
let daemon: Daemon | null = null;
let home: string;
let out: string;
let canary: string;
let hookScript: string;
let allowed: net.Server;
let forbidden: net.Server;
let forbiddenHits = 0;
let exit: { code: number | null };
let workflowBefore: string;
let sandboxWhileRunning: unknown;
let mainBefore: string;

const listen = (host: string, onConn: () => void) => new Promise<net.Server>((resolve) => {
  const s = net.createServer((c) => {
    onConn();
    c.end();
  });
  s.listen(0, host, () => resolve(s));
});
const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;

function filesUnder(dir: string, skip: (p: string) => boolean = () => false): string[] {
  if (!fs.existsSync(dir) || skip(dir)) return [];
  const found: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (skip(p)) continue;
    if (e.isDirectory()) found.push(...filesUnder(p, skip));
    else if (e.isFile()) found.push(p);
  }
  return found;
}

beforeAll(async () => {
  process.umask(0o022); // acceptance 5: modes do not depend on a strict umask
  ({ project, gh } = await githubWorld());
  home = path.join(project.base, 'home');
  out = path.join(project.base, 'agent-out');
  canary = path.join(project.base, 'hook-canary.txt');
  hookScript = path.join(project.base, 'hook.sh');
  fs.mkdirSync(path.join(home, '.ssh'), { recursive: true });
  fs.mkdirSync(path.join(home, '.config', 'gh'), { recursive: true });
  fs.writeFileSync(path.join(home, '.ssh', 'id_rsa'), '-----FIXTURE SSH KEY-----\n');
  fs.writeFileSync(path.join(home, '.config', 'gh', 'hosts.yml'), 'github.com:\n  oauth_token: gho_fixturefixturefixture\n');
  fs.mkdirSync(out);
  // Another ticket's transcript, and records an older swarm left world-readable (tightened at start).
  fs.mkdirSync(path.join(project.swarmDir, 'runs', '99'), { recursive: true, mode: 0o755 });
  fs.writeFileSync(path.join(project.swarmDir, 'runs', '99', '1.jsonl'), '{"other":"ticket transcript"}\n', { mode: 0o644 });
  fs.writeFileSync(path.join(project.swarmDir, 'events.jsonl'), '', { mode: 0o644 });
  fs.chmodSync(project.swarmDir, 0o755);

  // Planted from outside: hooks and an fsmonitor program that write the token they see to a canary.
  fs.writeFileSync(hookScript, `#!/bin/sh\necho "$0 ran with GITHUB_TOKEN=$GITHUB_TOKEN" >> ${canary}\nexit 0\n`, { mode: 0o755 });
  for (const h of ['post-checkout', 'reference-transaction', 'pre-push', 'post-commit']) fs.copyFileSync(hookScript, path.join(project.dir, '.git', 'hooks', h));
  for (const h of ['post-checkout', 'reference-transaction', 'pre-push', 'post-commit']) fs.chmodSync(path.join(project.dir, '.git', 'hooks', h), 0o755);
  await git(project.dir, 'config', '--unset', 'core.hooksPath');
  await git(project.dir, 'config', 'core.fsmonitor', hookScript);
  // The plant works: plain git runs it (so a canary-free run below means swarm's git did not).
  await git(project.dir, 'checkout', '-q', '-b', 'canary-proof');
  await git(project.dir, 'checkout', '-q', 'main');
  await git(project.dir, 'branch', '-q', '-D', 'canary-proof');
  expect(fs.readFileSync(canary, 'utf8')).toMatch(/post-checkout ran/);

  allowed = await listen('127.0.0.1', () => {});
  forbidden = await listen('127.0.0.2', () => forbiddenHits++);
  gh.addIssue({ title: 'Probe the sandbox', labels: ['agent'] });
  gh.addIssue({ title: 'Leak a token', labels: ['agent'] });
  const probe = {
    probe: {
      out: path.join(out, 'probe.json'),
      write: [
        path.join(project.dir, '.git', 'hooks', 'post-checkout'),
        path.join(project.dir, '.git', 'config'),
        '../CLAUDE.md',
        path.join(project.dir, 'WORKFLOW.md'),
        path.join(project.swarmDir, 'tickets-planted.md'),
      ],
      read: ['~/.ssh/id_rsa', '~/.config/gh/hosts.yml', '../../runs/99/1.jsonl', path.join(project.swarmDir, 'state.json')],
      git: [
        ['config', 'core.fsmonitor', 'touch /tmp/owned'],
        ['update-ref', 'refs/remotes/origin/main', 'HEAD'],
        ['update-ref', 'refs/heads/main', 'HEAD'],
        ['update-ref', 'refs/heads/swarm/99-planted-for-later', 'HEAD'],
      ],
      connect: [`127.0.0.2:${portOf(forbidden)}`, `127.0.0.1:${portOf(allowed)}`],
      unix: [path.join(project.swarmDir, 'control.sock')],
    },
  };
  project.setScenarios({
    1: [[{ init: true }, probe, { envDump: path.join(out, 'env.json') }, { sleep: 1500 }, 'commit_only']],
    2: [{ commit_only: { file: 'config/leak.txt', content: `# deploy\ntoken: ${TOKEN_IN_COMMIT}\n`, message: 'Add deploy config' } }],
  });
  project.writeWorkflow(githubConfig(gh, {
    server: { port: 0 },
    agent: {
      max_concurrent: 2,
      sandbox: { network: { allow: [`127.0.0.1:${portOf(allowed)}`] }, filesystem: { allow_write: [out] } },
      env: {
        IS_SANDBOX: null, FAKE_GITHUB_TOKEN: null, // nothing of the operator's: swarm sets IS_SANDBOX inside its sandbox
        FAKE_CLAUDE_SCENARIOS: project.scenariosFile, FAKE_CLAUDE_LOG: path.join(out, 'calls.jsonl'),
        FAKE_CLAUDE_PROMPT_DIR: path.join(out, 'prompts'), FAKE_CLAUDE_SESSIONS: path.join(out, 'sessions'),
      },
    },
  }));
  workflowBefore = fs.readFileSync(project.workflowPath, 'utf8');
  mainBefore = await git(project.dir, 'rev-parse', 'refs/heads/main');
  fs.rmSync(canary); // after the test's own last git command (which ran the fsmonitor program too)
  daemon = startDaemon(project, ['start', '--until-idle'], {
    HOME: home, GITHUB_TOKEN: gh.token, SSH_AUTH_SOCK: path.join(project.base, 'agent.sock'), PGPASSWORD: 'pg-secret-containment',
  });
  await daemon.waitForOutput(/#1 +attempt 1 on/);
  sandboxWhileRunning = JSON.parse((await runCli(project, ['status', '--json'])).stdout).daemon.sandbox;
  exit = await Promise.race([daemon.exited, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`daemon did not finish:\n${daemon!.stdout}\n${daemon!.stderr}`)), 90_000))]);
}, 120_000);

afterAll(async () => {
  await teardown(daemon, gh, project);
  await new Promise((r) => allowed?.close(r));
  await new Promise((r) => forbidden?.close(r));
});

describe('acceptance 1: a hostile agent inside the sandbox reaches nothing', () => {
  it('the daemon ran both tickets to the end', () => {
    expect(exit.code).toBe(0);
    expect(daemon!.stdout).not.toMatch(/UNCONFINED/);
    expect(sandboxWhileRunning).toBe('on');
    expect(project.state().tickets['1'].status).toBe('review');
  });

  it('every attempt failed or is absent from its environment', () => {
    const r = JSON.parse(fs.readFileSync(path.join(out, 'probe.json'), 'utf8'));
    for (const [what, res] of Object.entries(r)) {
      if (what === `connect 127.0.0.1:${portOf(allowed)}` || what === 'write ../CLAUDE.md' || what.endsWith('tickets-planted.md') || what.includes('99-planted-for-later')) continue;
      if (typeof res === 'string') expect(res, what).toMatch(/^error /);
    }
    // Inside the sandbox .swarm/ is an empty scratch folder: the write "worked" but reached nothing.
    expect(fs.existsSync(path.join(project.swarmDir, 'worktrees', 'CLAUDE.md'))).toBe(false);
    expect(fs.existsSync(path.join(project.swarmDir, 'tickets-planted.md'))).toBe(false);
    // The loopback address nobody allowed: no direct route, and the proxy refuses it; it never saw a connection.
    const denied = r[`connect 127.0.0.2:${portOf(forbidden)}`];
    expect(denied.direct).toMatch(/^error /);
    expect(denied.proxy).toMatch(/^HTTP\/1\.1 403/);
    expect(forbiddenHits).toBe(0);
    // The allowed one is reachable through the proxy (and only that way: the sandbox has no network).
    const ok = r[`connect 127.0.0.1:${portOf(allowed)}`];
    expect(ok.direct).toMatch(/^error /);
    expect(ok.proxy).toMatch(/^HTTP\/1\.1 200/);
  });

  it('nothing of the operator changed: hooks, .git/config, WORKFLOW.md, refs', async () => {
    expect(fs.readFileSync(path.join(project.dir, '.git', 'hooks', 'post-checkout'), 'utf8')).toBe(fs.readFileSync(hookScript, 'utf8'));
    expect(await git(project.dir, 'config', '--get', 'core.fsmonitor')).toBe(hookScript);
    expect(fs.readFileSync(project.workflowPath, 'utf8')).toBe(workflowBefore);
    expect(await git(project.dir, 'rev-parse', 'refs/heads/main')).toBe(mainBefore);
    expect(await git(project.dir, 'rev-parse', 'refs/remotes/origin/main')).toBe(await git(project.origin, 'rev-parse', 'refs/heads/main'));
    // The branch planted for a later ticket was removed again when the agent ended.
    await expect(git(project.dir, 'rev-parse', '--verify', '--quiet', 'refs/heads/swarm/99-planted-for-later')).rejects.toThrow();
    expect(daemon!.stdout).toMatch(/created refs\/heads\/swarm\/99-planted-for-later, which is not its branch; put it back/);
  });

  it('its environment is an allow-list: no tracker token, SSH agent, PG* or operator logins', () => {
    const env = JSON.parse(fs.readFileSync(path.join(out, 'env.json'), 'utf8')) as Record<string, string>;
    for (const name of ['GITHUB_TOKEN', 'GH_TOKEN', 'SWARM_TEST_GH_TOKEN', 'LINEAR_API_KEY', 'SSH_AUTH_SOCK', 'PGPASSWORD', 'FAKE_GITHUB_TOKEN']) {
      expect(env[name] ?? '', name).toBe('');
    }
    const dump = JSON.stringify(env);
    expect(dump).not.toContain(gh.token);
    expect(dump).not.toContain('pg-secret-containment');
    expect(env.GH_CONFIG_DIR).toBe(path.join(project.swarmDir, 'agents', '1', 'gh'));
    expect(env.TMPDIR).toBe(path.join(project.swarmDir, 'agents', '1', 'tmp'));
    expect(env.HOME).toBe(home);
    expect(env.SWARM_TICKET_NUMBER).toBe('1');
    if (process.getuid?.() === 0) expect(env.IS_SANDBOX).toBe('1'); // legitimate: inside swarm's own sandbox
    expect(env.HTTPS_PROXY).toMatch(/^http:\/\/.*@localhost:3128$/);
    expect(env.NO_PROXY.split(',')).not.toContain('127.0.0.1');
    // The private folder is gone with the attempt.
    expect(fs.existsSync(path.join(project.swarmDir, 'agents', '1'))).toBe(false);
  });

  it("swarm's own git never ran a planted hook or fsmonitor: no canary", () => {
    expect(fs.existsSync(canary) ? fs.readFileSync(canary, 'utf8') : '').toBe('');
  });

  it('swarm published the commit and opened the PR', async () => {
    const pr = gh.pulls.find((p) => p.head.startsWith('swarm/1-'));
    expect(pr).toBeDefined();
    const head = await git(project.origin, 'rev-parse', `refs/heads/${pr!.head}`);
    expect(await git(project.origin, 'show', '--name-only', '--format=%s', head)).toMatch(/^Fix #1\n+fake-claude-change\.txt/);
    const created = gh.requests.filter((q) => q.method === 'POST' && /\/pulls$/.test(q.path));
    expect(created).toHaveLength(1);
    expect(project.state().tickets['1'].attempts[0].reason).toMatch(/^swarm pushed 1 commit and opened /);
  });
});

describe('acceptance 3: a commit holding a token is never published', () => {
  it('nothing is pushed; the ticket failed naming the file and the line', async () => {
    const ts = project.state().tickets['2'];
    expect(ts.status).toBe('failed');
    expect(ts.attempts).toHaveLength(1);
    expect(ts.attempts[0].reason).toMatch(/refused to push swarm\/2-leak-a-token: a GitHub personal access token \(ghp_…\) in config\/leak\.txt line 2 \(commit [0-9a-f]{7}\)/);
    expect(await git(project.origin, 'for-each-ref', '--format=%(refname)', 'refs/heads/swarm/2-')).toBe('');
    expect(gh.pulls.find((p) => p.head.startsWith('swarm/2-'))).toBeUndefined();
    const sticky = gh.comments.filter((c) => c.issue === 2).map((c) => c.body).join('\n');
    expect(sticky).toMatch(/config\/leak\.txt line 2/);
  });

  it('the token appears nowhere: state, events, transcripts, sticky comment, the fake GitHub log, daemon output', () => {
    const skip = (p: string) => p === path.join(project.swarmDir, 'worktrees'); // the agent's own checkout holds its commit
    const hits = filesUnder(project.swarmDir, skip).filter((f) => fs.readFileSync(f, 'utf8').includes(TOKEN_IN_COMMIT));
    expect(hits).toEqual([]);
    expect(JSON.stringify(gh.requests)).not.toContain(TOKEN_IN_COMMIT);
    expect(JSON.stringify(gh.comments)).not.toContain(TOKEN_IN_COMMIT);
    expect(daemon!.stdout + daemon!.stderr).not.toContain(TOKEN_IN_COMMIT);
    expect(TOKEN_IN_COMMIT.length).toBe(40);
  });
});

describe('acceptance 5: file modes after a run with umask 022', () => {
  const mode = (p: string) => fs.statSync(p).mode & 0o777;
  it('.swarm is 0700; state, events, runs/** and the server token are 0600', () => {
    expect(mode(project.swarmDir)).toBe(0o700);
    for (const f of ['state.json', 'events.jsonl', 'server-token']) expect(mode(path.join(project.swarmDir, f)), f).toBe(0o600);
    const runs = path.join(project.swarmDir, 'runs');
    const files = filesUnder(runs);
    expect(files.length).toBeGreaterThanOrEqual(3); // #1, #2 and the old ticket's
    for (const f of files) expect(mode(f), f).toBe(0o600);
    for (const d of [runs, ...fs.readdirSync(runs).map((n) => path.join(runs, n))]) expect(mode(d), d).toBe(0o700);
  });

  it('status --json claims no sandbox mode once the daemon is gone', async () => {
    const r = await runCli(project, ['status', '--json']);
    expect(r.code).toBe(0);
    // The mode is the running daemon's (acceptance 4 checks "unconfined" while one runs).
    expect(JSON.parse(r.stdout).daemon.sandbox).toBeNull();
  });
});
