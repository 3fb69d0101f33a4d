// The pure parts of containment: what the sandboxed agent may write and read, the hosts it may reach, the
// NO_PROXY that sends an allowed loopback host through the proxy, the environment allow-list, the config
// keys, and the operator's extra paths that would open what the sandbox protects.
import { describe, expect, it } from 'vitest';
import { CREDENTIAL_STORES, extraPathProblem, filesystemPolicy, innerCommand, modelApiHosts, noProxyFor, sessionDirFor, type SandboxPaths } from '../../src/agent/sandbox-policy.js';
import { inheritedByAgent, sandboxedAgentEnv } from '../../src/config/agent-env.js';
import { validateConfig } from '../../src/config/schema.js';
import { validNetworkEntry } from '../../src/config/sandbox.js';
import { refFolder } from '../../src/workspace/ref-guard.js';

const P: SandboxPaths = {
  repoDir: '/r', commonDir: '/r/.git', swarmDir: '/r/.swarm', workspaceRoot: '/r/.swarm/worktrees', workflowPath: '/r/WORKFLOW.md',
  worktree: '/r/.swarm/worktrees/swarm-12-fix', worktreeGitDir: '/r/.git/worktrees/swarm-12-fix', branch: 'swarm/12-fix',
  privateDir: '/r/.swarm/agents/12', home: '/home/op', claudeConfigDir: '/home/op/.claude',
};
const NONE = { allow_write: [], allow_read: [] };

describe('filesystemPolicy', () => {
  const fs = filesystemPolicy(P, NONE);
  it('writes: the worktree, the git data a commit needs, its private folder and its own Claude session folder', () => {
    expect(fs.allowWrite).toEqual([
      '/r/.swarm/worktrees/swarm-12-fix', '/r/.git/objects', '/r/.git/refs/heads/swarm', '/r/.git/logs/refs/heads/swarm',
      '/r/.git/worktrees/swarm-12-fix', '/r/.swarm/agents/12', '/home/op/.claude/projects/-r--swarm-worktrees-swarm-12-fix',
    ]);
    // Never: the .git config, hooks, info, other refs, the checkout, .swarm itself.
    for (const never of ['/r/.git', '/r/.git/config', '/r/.git/hooks', '/r/.git/info', '/r/.git/refs', '/r', '/r/.swarm']) expect(fs.allowWrite).not.toContain(never);
    expect(fs.denyWrite).toContain('/tmp/claude'); // shared by every sandbox: not a private temp dir
  });

  it('reads: not .swarm (re-opened for the worktree only), credential stores, other Claude sessions', () => {
    expect(fs.denyRead).toContain('/r/.swarm');
    for (const s of ['.ssh', '.config/gh', '.git-credentials', '.netrc', '.aws', '.docker']) {
      expect(CREDENTIAL_STORES).toContain(s);
      expect(fs.denyRead).toContain(`/home/op/${s}`);
    }
    expect(fs.denyRead).toContain('/home/op/.claude/projects');
    expect(fs.denyRead).toContain('/home/op/.claude/history.jsonl');
    expect(fs.allowRead).toEqual(['/r/.swarm/worktrees/swarm-12-fix']);
  });

  it('a workspace root outside .swarm is hidden too; a branch without a folder writes refs/heads itself', () => {
    const out = filesystemPolicy({ ...P, workspaceRoot: '/srv/wt', worktree: '/srv/wt/12-fix', branch: '12-fix' }, NONE);
    expect(out.denyRead).toContain('/srv/wt');
    expect(out.allowWrite).toContain('/r/.git/refs/heads');
    expect(refFolder('12-fix')).toBe('refs/heads/');
    expect(refFolder('swarm/team/12-fix')).toBe('refs/heads/swarm/team/');
  });

  it("swarm's pre-push guard folder (under the hidden workspace root) is readable, never writable", () => {
    const out = filesystemPolicy({ ...P, workspaceRoot: '/srv/wt', worktree: '/srv/wt/repo-abc/12-fix', hooksDir: '/srv/wt/repo-abc/.swarm-hooks', branch: '12-fix' }, NONE);
    expect(out.denyRead).toContain('/srv/wt');
    expect(out.allowRead).toEqual(['/srv/wt/repo-abc/12-fix', '/srv/wt/repo-abc/.swarm-hooks']);
    expect(out.allowWrite).not.toContain('/srv/wt/repo-abc/.swarm-hooks');
  });

  it("the operator's extra paths, resolved (~ and relative), and only those", () => {
    const out = filesystemPolicy(P, { allow_write: ['~/.npm', 'node_cache'], allow_read: ['/opt/sdk'] });
    expect(out.allowWrite).toContain('/home/op/.npm');
    expect(out.allowWrite).toContain('/r/node_cache');
    expect(out.allowRead).toContain('/opt/sdk');
  });

  it('extra writable paths may not cover the checkout, .git, .swarm or WORKFLOW.md', () => {
    for (const bad of ['/r', '.', '.git', '/r/.swarm', '/', '~/../../r', 'WORKFLOW.md']) {
      expect(extraPathProblem(P, { allow_write: [bad], allow_read: [] }), bad).toMatch(/would let the agent write/);
    }
    expect(extraPathProblem(P, { allow_write: ['~/.npm', '/r/node_modules/.cache'], allow_read: [] })).toBeNull();
  });

  it("Claude Code's session folder: every character but letters and digits becomes '-'", () => {
    expect(sessionDirFor('/c', '/tmp/a.b/c_d')).toBe('/c/projects/-tmp-a-b-c-d');
  });
});

describe('network', () => {
  it('the model API: ANTHROPIC_BASE_URL host:port, else api.anthropic.com:443', () => {
    expect(modelApiHosts(undefined)).toEqual(['api.anthropic.com:443']);
    expect(modelApiHosts('http://127.0.0.1:4567/v1')).toEqual(['127.0.0.1:4567']);
    expect(modelApiHosts('https://gateway.corp.example')).toEqual(['gateway.corp.example:443']);
  });

  it('NO_PROXY keeps what the sandbox library puts there except what an allowed host falls under', () => {
    expect(noProxyFor(['api.anthropic.com:443'])).toBe('localhost,127.0.0.1,::1,169.254.0.0/16,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16');
    expect(noProxyFor(['127.0.0.1:4567']).split(',')).not.toContain('127.0.0.1');
    expect(noProxyFor(['10.1.2.3:8080']).split(',')).not.toContain('10.0.0.0/8');
    expect(noProxyFor(['[::1]:9000']).split(',')).not.toContain('::1');
    expect(noProxyFor(['10.1.2.3:8080']).split(',')).toContain('127.0.0.1');
  });

  it('network.allow entries: hosts, wildcards, IPs, ports — not URLs', () => {
    for (const ok of ['registry.npmjs.org', '*.npmjs.org', '127.0.0.1:4873', '[::1]:443', 'localhost']) expect(validNetworkEntry(ok), ok).toBe(true);
    for (const bad of ['https://registry.npmjs.org', 'host:0', 'host:99999', '*', 'a b', '']) expect(validNetworkEntry(bad), bad).toBe(false);
  });

  it('the command inside the sandbox: our NO_PROXY and temp dir win, every argument quoted', () => {
    const cmd = innerCommand('/bin/claude', ['-p', "it's", '--x'], { NO_PROXY: 'localhost', TMPDIR: '/t' });
    expect(cmd).toBe(`exec env 'NO_PROXY=localhost' 'TMPDIR=/t' '/bin/claude' '-p' 'it'\\''s' '--x'`);
  });
});

describe('the agent environment allow-list', () => {
  it('keeps what a shell, git and Claude Code need; never tracker tokens, SSH agent, PG*, cloud keys', () => {
    const env = sandboxedAgentEnv(
      {
        PATH: '/bin', HOME: '/h', LANG: 'C.UTF-8', LC_ALL: 'C', TERM: 'xterm', ANTHROPIC_API_KEY: 'k', CLAUDE_CODE_OAUTH_TOKEN: 'o', CLAUDE_CONFIG_DIR: '/c',
        GITHUB_TOKEN: 'g', GH_TOKEN: 'g', LINEAR_API_KEY: 'l', SSH_AUTH_SOCK: '/s', PGPASSWORD: 'p', PGHOST: 'db', AWS_SECRET_ACCESS_KEY: 'a',
        SWARM_TICKET_ID: 'stale', NODE_OPTIONS: '--require evil', GIT_AUTHOR_NAME: 'me',
      },
      { EXTRA: 'x' },
      { SWARM_TICKET_ID: '12' },
      { IS_SANDBOX: '1' },
    );
    expect(env).toMatchObject({ PATH: '/bin', HOME: '/h', LANG: 'C.UTF-8', LC_ALL: 'C', TERM: 'xterm', ANTHROPIC_API_KEY: 'k', CLAUDE_CODE_OAUTH_TOKEN: 'o', CLAUDE_CONFIG_DIR: '/c', EXTRA: 'x', SWARM_TICKET_ID: '12', IS_SANDBOX: '1', GIT_AUTHOR_NAME: 'me' });
    for (const never of ['GITHUB_TOKEN', 'GH_TOKEN', 'LINEAR_API_KEY', 'SSH_AUTH_SOCK', 'PGPASSWORD', 'PGHOST', 'AWS_SECRET_ACCESS_KEY', 'NODE_OPTIONS']) expect(env[never], never).toBeUndefined();
    expect(inheritedByAgent('DISABLE_AUTOUPDATER')).toBe(true);
  });

  it('agent.env is the operator saying so: it wins (e.g. a token of its own under pr.publish: agent)', () => {
    expect(sandboxedAgentEnv({ GH_TOKEN: 'operators' }, { GH_TOKEN: 'agents-own' }, {}).GH_TOKEN).toBe('agents-own');
  });
});

describe('config: agent.sandbox and pr.publish', () => {
  const v = (raw: unknown) => validateConfig(raw, { file: 'WORKFLOW.md', env: {} }).config;
  it('on by default; off / false turn it off; a mapping sets the holes', () => {
    expect(v({}).agent.sandbox.enabled).toBe(true);
    expect(v({ agent: { sandbox: 'off' } }).agent.sandbox.enabled).toBe(false);
    expect(v({ agent: { sandbox: false } }).agent.sandbox.enabled).toBe(false);
    expect(v({ agent: { sandbox: 'on' } }).agent.sandbox.enabled).toBe(true);
    const s = v({ agent: { sandbox: { network: { allow: ['registry.npmjs.org'] }, filesystem: { allow_write: ['~/.npm'] } } } }).agent.sandbox;
    expect(s).toEqual({ enabled: true, network: { allow: ['registry.npmjs.org'] }, filesystem: { allow_write: ['~/.npm'], allow_read: [] } });
    expect(v({}).pr.publish).toBe('swarm');
    expect(v({ pr: { publish: 'agent' } }).pr.publish).toBe('agent');
  });

  it('errors name the key and the fix', () => {
    expect(() => v({ agent: { sandbox: 'maybe' } })).toThrow(/agent\.sandbox must be on, off, or a mapping/);
    expect(() => v({ agent: { sandbox: { network: { allow: ['https://registry.npmjs.org'] } } } })).toThrow(/agent\.sandbox\.network\.allow\[0\] must be a host name .* not a URL/);
    expect(() => v({ pr: { publish: 'nobody' } })).toThrow(/pr\.publish must be one of swarm \| agent/);
    const { warnings } = validateConfig({ agent: { sandbox: { netwrk: {} } } }, { file: 'WORKFLOW.md', env: {} });
    expect(warnings).toContain('WORKFLOW.md: unknown key agent.sandbox.netwrk (ignored); did you mean agent.sandbox.network?');
  });
});

describe('status and dashboard: "unconfined"', () => {
  it('only while a daemon runs, and only when agent.sandbox is off', async () => {
    const { emptyState } = await import('../../src/state/empty-state.js');
    const { buildSnapshot, renderStatus } = await import('../../src/report/status.js');
    const { renderBody } = await import('../../src/server/dashboard.js');
    const now = Date.parse('2025-03-01T12:00:00.000Z');
    const lock = { info: { pid: 42, pid_start: null, started_at: new Date(now - 60_000).toISOString(), heartbeat_at: new Date(now).toISOString(), workflow: '/r/WORKFLOW.md' }, alive: true };
    const state: import('../../src/core/types.js').ViewedState = emptyState(now);
    state.daemon = { pid: 42, started_at: lock.info.started_at, heartbeat_at: lock.info.heartbeat_at, draining: false, config_error: null, workflow: '/r/WORKFLOW.md', max_attempts: 3, max_concurrent: 2, sandbox: 'unconfined' };
    const off = buildSnapshot(state, lock, now);
    expect(off.daemon.sandbox).toBe('unconfined');
    expect(renderStatus(off)).toMatch(/^UNCONFINED: agent\.sandbox is off/m);
    expect(renderBody(off)).toContain('id="unconfined-banner"');
    state.daemon.sandbox = 'on';
    const on = buildSnapshot(state, lock, now);
    expect(on.daemon.sandbox).toBe('on');
    expect(renderStatus(on)).not.toMatch(/UNCONFINED/);
    expect(renderBody(on)).not.toContain('unconfined-banner');
    expect(buildSnapshot(state, null, now).daemon.sandbox).toBeNull();
  });
});
