// Issue #7 acceptance: hostile ticket text never escapes workspace.root and never runs as shell. Titles
// (GitHub) and ticket keys (local file names) with traversal, absolute paths, shell metacharacters,
// newlines, unicode and 10,000 characters go through the real daemon with hooks that use $SWARM_BRANCH;
// workspace.root is itself a symlink. Canary files that a successful injection would create never appear.
// Also: a `---js` WORKFLOW.md is refused (exit 2) without evaluating its code.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, makeProject, runCli, type Project } from '../helpers/daemon.js';
import { git } from '../helpers/git-repo.js';
import { isStrictlyInside, isValidBranchName } from '../../src/workspace/naming.js';

let gh: FakeGitHub | null = null;
let project: Project;

beforeEach(async () => {
  project = await makeProject();
});
afterEach(async () => {
  await gh?.close();
  gh = null;
  project.cleanup();
});

/** Hostile texts; each would create `canary(i)` if any part of swarm ran it through a shell. */
function hostileTexts(canary: (i: number) => string): string[] {
  return [
    `../../../../../tmp/escape $(touch ${canary(0)})`,
    `/etc/passwd; touch ${canary(1)}`,
    `\`touch ${canary(2)}\``,
    `line one\nline two $(touch ${canary(3)})\r\n; touch ${canary(3)}`,
    `ünïcödé 🚀 \u202eRTL\u202c 名前 ${'\u0000'}nul && touch ${canary(4)}`,
    'A'.repeat(5000) + `$(touch ${canary(5)})` + '../'.repeat(1660),
    `--upload-pack=touch ${canary(6)} ' " \\ | & > ${canary(6)}`,
  ];
}

/** Setup shared by both tests: a symlinked workspace root and hooks that use ticket values. */
function symlinkedRoot(): { link: string; real: string; hookLog: string } {
  const real = path.join(project.base, 'real-worktrees');
  fs.mkdirSync(real);
  fs.mkdirSync(path.join(project.dir, '.swarm'), { recursive: true });
  const link = path.join(project.dir, '.swarm', 'wt');
  fs.symlinkSync(real, link);
  const hookLog = path.join(project.base, 'hook-log.txt');
  project.env.HOOK_LOG = hookLog;
  return { link, real, hookLog };
}

const HOOKS = {
  after_create: 'printf "after_create|%s|%s\\n" "$SWARM_BRANCH" "$SWARM_TICKET_ID" >> "$HOOK_LOG"; echo "$SWARM_BRANCH" > "$SWARM_WORKSPACE/../branch-$SWARM_ATTEMPT.txt" 2>/dev/null || true',
  before_run: 'echo "$SWARM_BRANCH" > /dev/null; printf "before_run|%s|%s\\n" "$SWARM_BRANCH" "$SWARM_WORKSPACE" >> "$HOOK_LOG"',
};

function assertContained(real: string, canaries: string[]): void {
  const realRoot = fs.realpathSync(real);
  const tickets = Object.values<any>(project.state().tickets);
  expect(tickets.length).toBeGreaterThan(0);
  for (const t of tickets) {
    expect(isValidBranchName(t.branch), t.branch).toBe(true);
    expect(t.branch.length).toBeLessThanOrEqual(100);
    expect(t.branch).toMatch(/^swarm\/[A-Za-z0-9._/-]+$/);
    expect(fs.existsSync(t.worktree), t.worktree).toBe(true);
    expect(isStrictlyInside(realRoot, fs.realpathSync(t.worktree)), t.worktree).toBe(true);
    expect(path.basename(t.worktree)).toMatch(/^[a-z0-9][a-z0-9._-]{0,79}$/);
  }
  // Every worktree git knows about (other than the main checkout) is inside the real root.
  for (const c of canaries) expect(fs.existsSync(c), `canary ${c}`).toBe(false);
  const log = fs.readFileSync(project.env.HOOK_LOG!, 'utf8').trim().split('\n');
  // Hooks saw the sanitized branch, literally, once per hook per ticket.
  for (const t of tickets) {
    expect(log).toContain(`after_create|${t.branch}|${t.key}`);
    expect(log.filter((l) => l.startsWith(`before_run|${t.branch}|`))).toHaveLength(t.attempts.length);
  }
}

async function worktreePaths(): Promise<string[]> {
  const out = await git(project.dir, 'worktree', 'list', '--porcelain');
  return String(out).split('\n').filter((l) => l.startsWith('worktree ')).map((l) => l.slice('worktree '.length));
}

describe('path safety through the daemon', () => {
  it('GitHub titles: branches and worktrees stay inside a symlinked root; no injected text runs', async () => {
    gh = await startFakeGitHub({ gitDir: project.origin });
    project.env.SWARM_TEST_GH_TOKEN = gh.token;
    const { link, real } = symlinkedRoot();
    const canary = (i: number) => path.join(project.base, `CANARY-gh-${i}`);
    project.writeWorkflow(githubConfig(gh, { workspace: { root: '.swarm/wt' }, hooks: HOOKS, agent: { max_concurrent: 3 } }));
    project.setScenarios({ default: ['commit_only'] }); // swarm pushes and opens the PR itself: the hostile title goes to the API
    // The texts are real injections: spliced into a shell string, most of them create their canary.
    const armed = hostileTexts(canary).filter((t, i) => {
      if (t.includes('\u0000')) return false;
      spawnSync('bash', ['-c', `echo ${t}`], { cwd: project.base, stdio: 'ignore' });
      const hit = fs.existsSync(canary(i));
      fs.rmSync(canary(i), { force: true });
      return hit;
    });
    expect(armed.length).toBeGreaterThanOrEqual(5);
    const numbers = hostileTexts(canary).map((title) => gh!.addIssue({ title, body: `$(touch ${canary(9)})`, labels: ['agent'] }));

    const res = await runCli(project, ['start', '--until-idle'], { timeoutMs: 120_000 });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    assertContained(real, [...hostileTexts(canary).map((_, i) => canary(i)), canary(9)]);
    for (const n of numbers) {
      const t = project.state().tickets[String(n)];
      expect(t.status, `#${n}`).toBe('review');
      expect(t.branch.startsWith(`swarm/${n}-`)).toBe(true);
      expect(fs.realpathSync(t.worktree).startsWith(fs.realpathSync(real) + path.sep)).toBe(true);
      expect(path.dirname(path.dirname(t.worktree))).toBe(link); // <root>/<repo-id>/<dir>, as configured
    }
    expect(gh.pulls).toHaveLength(numbers.length);
    const realRoot = fs.realpathSync(real);
    for (const w of (await worktreePaths()).slice(1)) expect(isStrictlyInside(realRoot, fs.realpathSync(w)), w).toBe(true);
    // Nothing was written next to the worktrees by a traversing name.
    expect(fs.readdirSync(path.dirname(realRoot)).filter((f) => f.startsWith('CANARY'))).toEqual([]);
  });

  it('local tickets: metacharacter file names are never worked; hostile titles stay contained', async () => {
    const { real } = symlinkedRoot();
    const canary = (i: number) => path.join(project.base, `CANARY-local-${i}`);
    project.writeWorkflow({ workspace: { root: '.swarm/wt' }, hooks: HOOKS, agent: { max_concurrent: 3 } });
    project.setScenarios({ default: ['commit_only'] });
    const dir = path.join(project.dir, '.swarm', 'tickets');
    fs.mkdirSync(dir, { recursive: true });
    // File names are ticket keys: only plain names ([A-Za-z0-9._-], no leading dot) are tickets at all.
    const unsafe = ['--upload-pack=x', `$(touch ${path.basename(canary(7))})`, `\`touch ${path.basename(canary(8))}\``, `a;touch CANARY-local-x`, '..', 'x\ny', 'ünï 名'];
    const safe = ['-rf', '--upload-pack', 'ok.name', 'A'.repeat(200)];
    const titles = hostileTexts(canary).filter((t) => !t.includes('\u0000')); // YAML refuses NUL in a file
    [...unsafe, ...safe].forEach((name, i) => {
      fs.writeFileSync(path.join(dir, `${name}.md`), `---\n${JSON.stringify({ title: titles[i % titles.length], labels: ['agent'] })}\n---\nbody $(touch ${canary(9)})\n`);
    });

    const res = await runCli(project, ['start', '--until-idle'], { timeoutMs: 120_000 });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const state = project.state();
    expect(Object.keys(state.tickets).sort()).toEqual([...safe].sort());
    for (const k of safe) expect(state.tickets[k].status, k).toBe('review');
    expect(project.claudeCalls()).toHaveLength(safe.length);
    assertContained(real, [...hostileTexts(canary).map((_, i) => canary(i)), canary(7), canary(8), canary(9)]);
    for (const t of Object.values<any>(state.tickets)) {
      expect(t.branch.startsWith('swarm/-')).toBe(false); // never a leading dash after the prefix
      for (const rel of ['CANARY-local-x', path.basename(canary(7)), path.basename(canary(8))]) {
        expect(fs.existsSync(path.join(t.worktree, rel))).toBe(false);
        expect(fs.existsSync(path.join(project.dir, rel))).toBe(false);
      }
    }
  });
});

describe('WORKFLOW.md front matter', () => {
  it('refuses ---js (exit 2) without running its code', async () => {
    const canary = path.join(project.base, 'CANARY-js');
    for (const opener of ['---js', '---javascript', '--- js']) {
      fs.writeFileSync(project.workflowPath, `${opener}\nrequire('fs').writeFileSync(${JSON.stringify(canary)}, 'pwned'); module.exports = { tracker: { kind: 'local' } }\n---\nPrompt {{ issue.title }}\n`);
      const res = await runCli(project, ['start', '--once']);
      expect(res.code, opener).toBe(2);
      expect(res.stderr).toMatch(/front matter must be YAML/);
      expect(res.stderr).not.toMatch(/\n\s+at /); // one sentence, no stack
      expect(fs.existsSync(canary)).toBe(false);
    }
    // YAML's own code tags are refused too (js-yaml safe schema).
    fs.writeFileSync(project.workflowPath, `---\ntracker:\n  kind: !!js/function "function () { require('fs').writeFileSync('${canary}', 'x') }"\n---\nPrompt\n`);
    const res = await runCli(project, ['start', '--once']);
    expect(res.code).toBe(2);
    expect(fs.existsSync(canary)).toBe(false);
    expect(fs.existsSync(path.join(project.dir, '.swarm', 'state.json'))).toBe(false);
  });
});
