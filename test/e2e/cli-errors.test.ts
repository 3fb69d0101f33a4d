// Issue #2 acceptance 5: bad input gets one clear line and exit 2, never a stack trace.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeProject, runCli, type Project } from '../helpers/daemon.js';

let project: Project;
beforeEach(async () => {
  project = await makeProject();
});
afterEach(() => project.cleanup());

function expectCleanUsageError(res: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(res.code, res.stdout + res.stderr).toBe(2);
  const lines = res.stderr.trim().split('\n');
  expect(lines, res.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^swarm: /);
  expect(lines[0]).toMatch(pattern);
  expect(res.stderr).not.toMatch(/\n\s+at /); // no stack frames
}

describe('swarm start refuses bad input with exit 2 and one sentence', () => {
  it('missing WORKFLOW.md names the file and suggests swarm init', async () => {
    fs.rmSync(project.workflowPath);
    expectCleanUsageError(await runCli(project, ['start', '--once']), /WORKFLOW\.md.*swarm init/);
  });

  it('bad YAML names the file and the line', async () => {
    fs.writeFileSync(project.workflowPath, '---\ntracker:\n  kind: local\nagent: [unclosed\n---\nPrompt {{ issue.title }}\n');
    expectCleanUsageError(await runCli(project, ['start', '--once']), /WORKFLOW\.md.*line \d+/i);
  });

  it('---js front matter is refused and never run', async () => {
    const canary = path.join(project.base, 'js-ran');
    fs.writeFileSync(project.workflowPath, `---js\nrequire('fs').writeFileSync(${JSON.stringify(canary)}, 'x'); ({})\n---\nPrompt\n`);
    expectCleanUsageError(await runCli(project, ['start', '--once']), /YAML/);
    expect(fs.existsSync(canary)).toBe(false);
  });

  it('an unknown template variable names the variable', async () => {
    project.writeWorkflow({}, 'Fix {{ issue.nope }} please\n');
    expectCleanUsageError(await runCli(project, ['start', '--once']), /issue\.nope/);
  });

  it('a missing GitHub token says how to provide one', async () => {
    project.writeWorkflow({ tracker: { kind: 'github', repo: 'acme/widgets', api_url: 'http://127.0.0.1:9' } });
    // No token in env, tracker.token unset, and no `gh` on PATH.
    const env = { PATH: path.dirname(process.execPath) + ':/usr/bin:/bin', HOME: project.base };
    const res = await runCli(project, ['start', '--once'], { env });
    expectCleanUsageError(res, /GITHUB_TOKEN|gh auth login/);
  });

  it('outside a git repository says so', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-nogit-'));
    try {
      expectCleanUsageError(await runCli(project, ['start', '--once'], { cwd: dir }), /not inside a git repository/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('agent.command not found names the key and the fix', async () => {
    project.writeWorkflow({ agent: { command: 'definitely-not-claude-xyz' } });
    expectCleanUsageError(await runCli(project, ['start', '--once']), /agent\.command "definitely-not-claude-xyz".*install Claude Code/);
  });

  it('a type error names the key path', async () => {
    project.writeWorkflow({ agent: { max_concurrent: 'three' } });
    expectCleanUsageError(await runCli(project, ['start', '--once']), /agent\.max_concurrent/);
  });

  it('state.url (fleet mode) naming a database nobody answers for: one clear sentence, no password, exit 1', async () => {
    project.writeWorkflow({ state: { url: 'postgres://swarm:hunter2-secret@127.0.0.1:1/swarm' } });
    const res = await runCli(project, ['start', '--once']);
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stderr).toMatch(/cannot reach the fleet database at postgres:\/\/swarm:\*\*\*@127\.0\.0\.1:1\/swarm .*check state\.url/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(res.stdout + res.stderr).not.toContain('hunter2-secret');
  });

  it('an unknown option is a usage error', async () => {
    const res = await runCli(project, ['start', '--bogus']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/unknown option/);
  });
});

describe('swarm init', () => {
  it('writes WORKFLOW.md from the template and ignores .swarm/', async () => {
    fs.rmSync(project.workflowPath);
    fs.writeFileSync(path.join(project.dir, '.gitignore'), 'node_modules/\n');
    const res = await runCli(project, ['init', '--tracker', 'local']);
    expect(res.code, res.stderr).toBe(0);
    expect(fs.readFileSync(project.workflowPath, 'utf8')).toMatch(/kind: local/);
    expect(fs.readFileSync(path.join(project.dir, '.gitignore'), 'utf8')).toBe('node_modules/\n.swarm/\n');
    // Refuses to overwrite without --force; idempotent about .gitignore.
    expectCleanUsageError(await runCli(project, ['init']), /already exists.*--force/);
    expect((await runCli(project, ['init', '--force'])).code).toBe(0);
    expect(fs.readFileSync(path.join(project.dir, '.gitignore'), 'utf8').match(/\.swarm/g)).toHaveLength(1);
    // The written template is a valid workflow: a dry run accepts it.
    expect(fs.readFileSync(project.workflowPath, 'utf8')).toMatch(/kind: github/);
  });

  it('every template loads as a valid workflow', async () => {
    for (const kind of ['github', 'linear', 'local']) {
      fs.rmSync(project.workflowPath, { force: true });
      expect((await runCli(project, ['init', '--tracker', kind])).code).toBe(0);
      const { loadWorkflow } = await import('../../src/config/workflow.js');
      const wf = loadWorkflow(project.workflowPath, { LINEAR_API_KEY: 'lin_x', GITHUB_TOKEN: 'x' });
      expect(wf.config.tracker.kind).toBe(kind);
    }
  });
});
