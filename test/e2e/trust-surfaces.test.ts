// Issue #7 on the operator surfaces: `swarm explain` names who applied the label of an untrusted ticket and
// why that is not enough; the HTTP server bound beyond loopback takes no mutating request without the
// bearer token from .swarm/server-token (read-only GETs stay open), and its state never carries a secret.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, runCli, startDaemon, waitFor, type Daemon, type Project, githubWorld, teardown } from '../helpers/daemon.js';

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

describe('trust on the operator surfaces', () => {
  it('swarm explain says who applied the label and why the ticket is ignored', async () => {
    gh.setPermission('mallory', 'read');
    project.writeWorkflow(githubConfig(gh, { tracker: { trusted_labelers_only: true } }));
    const n = gh.addIssue({ title: 'Outsider labelled', labels: ['agent'], user: 'mallory', labeledBy: 'mallory' });
    const res = await runCli(project, ['start', '--until-idle'], { timeoutMs: 90_000 });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const ex = await runCli(project, ['explain', String(n)]);
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stdout).toMatch(/@mallory/);
    expect(ex.stdout).toMatch(/read permission/);
    expect(ex.stdout).toMatch(/trusted_labelers_only/);
  });

  it('server bound beyond loopback: mutating requests need the bearer token', async () => {
    project.writeWorkflow(githubConfig(gh, { server: { host: '0.0.0.0', port: 0 } }));
    daemon = startDaemon(project);
    const m = await daemon.waitForOutput(/dashboard and API on (http:\/\/\S+?)\/? /, 60_000);
    const port = new URL(m[1]!).port;
    const base = `http://127.0.0.1:${port}`;
    const tokenFile = path.join(project.swarmDir, 'server-token');
    await waitFor(() => fs.existsSync(tokenFile), { what: 'server token' });
    const token = fs.readFileSync(tokenFile, 'utf8').trim();
    expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);

    expect((await fetch(`${base}/api/v1/state`)).status).toBe(200);
    for (const p of ['/api/v1/refresh', '/api/v1/pause', '/api/v1/resume']) {
      expect((await fetch(`${base}${p}`, { method: 'POST' })).status, p).toBe(401);
      expect((await fetch(`${base}${p}`, { method: 'POST', headers: { authorization: 'Bearer wrong' } })).status, p).toBe(401);
    }
    expect(project.state().pause).toBeNull();
    const ok = await fetch(`${base}/api/v1/refresh`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(202);
    // The token never shows up in the daemon's output or its state.
    expect(daemon.stdout + daemon.stderr).not.toContain(token);
    expect(await (await fetch(`${base}/api/v1/state`)).text()).not.toContain(token);
  });
});
