// Issue #24's GitHub acceptance, end to end (bin/swarm.js as a real process, the fake GitHub, the fake claude):
//   - a fine-grained token (no Checks permission) on a private repository: a failing Actions run → exactly
//     one follow-up read through the Actions API; `status` and `doctor` name the missing Checks permission;
//     `doctor` with a token that cannot write fails naming the permission; a claim refused for it pauses
//     saying which permission to grant;
//   - a renamed repository (301 on GETs) → polling goes on and claims land under the new name; a stale
//     check → no follow-up, "needs a human" shown; a parent with open sub-issues is held, explain says so;
//   - a GitHub App key → installation tokens minted and refreshed before expiry across a simulated hour (the
//     daemon's clock shifted by test/helpers/clock-shim.mjs), never an auth pause; the sticky comment is
//     matched by the App's bot login.
// One world (daemon + fake) per group, shared by its cases.
import fs from 'node:fs';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { startFakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, makeProject, ROOT, runCli, startDaemon, teardown, waitFor, type Daemon, type Project } from '../helpers/daemon.js';

const PROMPT = [
  'Work on {{ issue.identifier }}: {{ issue.title }}',
  '{% if followup.kind %}FOLLOWUP {{ followup.kind }} round {{ followup.round }} head {{ followup.head_sha }}',
  '{% for c in followup.checks %}CHECK {{ c.name }} {{ c.conclusion }}: {{ c.summary }}',
  'LOG<<<{{ c.log_excerpt }}>>>',
  '{% endfor %}{% endif %}',
].join('\n');
const FIX = [{ init: true }, { text: 'Fixing the PR.' }, { commit: { file: 'fix.txt' } }, { push: true }, { result: {} }];

/** Text with its line wrapping undone (status wraps warnings and pause reasons to the terminal). */
const flat = (s: string) => s.replace(/\s+/g, ' ');

/** Helpers over one world. */
function views(w: { project: Project; gh: FakeGitHub }) {
  const ticket = (n: number) => (fs.existsSync(path.join(w.project.swarmDir, 'state.json')) ? w.project.state().tickets[String(n)] : undefined);
  return {
    ticket,
    callsFor: (n: number) => w.project.claudeCalls().filter((c) => c.env.SWARM_TICKET_NUMBER === String(n)),
    eventsOf: (n: number, type: string) => w.project.events().filter((e) => e.type === type && e.key === String(n)),
    prOf: (n: number) => w.gh.pulls.find((p) => new RegExp(`Closes #${n}\\b`).test(p.body ?? '')),
    handedOff: async (n: number) => {
      await waitFor(() => ticket(n)?.status === 'review' && w.gh.labelsOf(n).includes('agent:review'), { timeoutMs: 60_000, what: `#${n} handed off` });
      return w.gh.pulls.find((p) => new RegExp(`Closes #${n}\\b`).test(p.body ?? ''))!.number;
    },
    watched: async (pr: number, rounds = 2) => {
      const count = () => w.gh.requests.filter((r) => r.method === 'GET' && /\/pulls\/\d+$/.test(r.path.split('?')[0]!) && r.path.includes(`/pulls/${pr}`)).length;
      const before = count();
      await waitFor(() => count() >= before + rounds, { timeoutMs: 30_000, what: `${rounds} more watches of PR #${pr}` });
    },
  };
}

describe('a fine-grained token on a private repository', () => {
  const FINE = 'github_pat_11FINEGRAINEDwriter000000';
  const READER = 'github_pat_11FINEGRAINEDreader000000';
  let project: Project;
  let gh: FakeGitHub;
  let daemon: Daemon | null = null;
  beforeAll(async () => {
    project = await makeProject();
    gh = await startFakeGitHub({ gitDir: project.origin, private: true, token: 'ghp_notUsedInThisWorld000' });
    // What GitHub lets a fine-grained token hold; Checks is not among them.
    gh.grant(FINE, { issues: 'write', pull_requests: 'write', contents: 'write', statuses: 'read', actions: 'read' });
    gh.grant(READER, { issues: 'read', pull_requests: 'read', contents: 'read', statuses: 'read', actions: 'read' });
    project.env.SWARM_TEST_GH_TOKEN = FINE;
    project.writeWorkflow(githubConfig(gh, { pr: { watch_interval: '1s' } }), PROMPT);
    const res = await runCli(project, ['doctor', '--fix']); // creates the labels, with the writer token
    expect(res.stdout).toMatch(/✓ labels: created agent, agent:running, agent:review, agent:failed, agent:needs-human/);
  }, 60_000);
  afterAll(async () => {
    await teardown(daemon, gh, project);
  });

  it('a failing GitHub Actions run → exactly one follow-up, read through the Actions API; status and doctor name the missing Checks permission', async () => {
    const v = views({ project, gh });
    const n = gh.addIssue({ title: 'Add the widget', labels: ['agent'] });
    project.setScenarios({ [n]: ['commit_and_pr', FIX] });
    gh.clearRequests(); // the daemon's requests only (doctor --fix probed check runs too)
    daemon = startDaemon(project);
    const pr = await v.handedOff(n);
    const head = await gh.headSha(pr);
    await gh.addWorkflowRun(pr, { name: 'CI', jobs: [{ name: 'unit', conclusion: 'failure', log: 'setup ok\nFAIL test/widget.test.ts > adds\nExpected 2, received 3\n', steps: [{ name: 'Run tests', conclusion: 'failure' }] }] });
    await waitFor(() => v.eventsOf(n, 'followup_pushed').length === 1, { timeoutMs: 60_000, what: 'the follow-up pushed' });
    const prompt = fs.readFileSync(path.join(project.promptDir, `${n}-2.txt`), 'utf8');
    expect(prompt).toContain(`FOLLOWUP ci round 1 head ${head}`);
    expect(prompt).toContain('CHECK unit failure: workflow CI, job unit: failure (failed step: Run tests)');
    expect(prompt).toMatch(/LOG<<<[^]*Expected 2, received 3[^]*>>>/);
    // The fix's head passes; some watches later still one follow-up.
    await gh.addWorkflowRun(pr, { name: 'CI', jobs: [{ name: 'unit', conclusion: 'success' }] });
    const fixed = await gh.headSha(pr);
    expect(fixed).not.toBe(head);
    await waitFor(() => v.ticket(n).followup?.seen?.head_sha === fixed && v.ticket(n).followup.seen.checks === '1 passed', { timeoutMs: 30_000, what: 'the fixed head watched' });
    await v.watched(pr);
    expect(v.callsFor(n)).toHaveLength(2);
    expect(v.eventsOf(n, 'followup_started')).toHaveLength(1);
    // Check runs were asked for once per hour at most: refused, recorded, not asked again.
    expect(gh.requests.filter((r) => r.path.includes('/check-runs')).map((r) => r.status)).toEqual([403]);

    const status = await runCli(project, ['status']);
    expect(flat(status.stdout)).toMatch(/warning: check runs unreadable with this token \(fine-grained tokens lack Checks; GitHub asks for Checks: read\)/);
    expect(JSON.parse((await runCli(project, ['status', '--json'])).stdout).daemon.warnings).toEqual([expect.stringMatching(/^check runs unreadable with this token \(fine-grained tokens lack Checks/)]);
    expect(daemon.stdout.match(/check runs unreadable with this token/g)).toHaveLength(1); // logged once
    const doctor = await runCli(project, ['doctor']);
    expect(doctor.stdout).toMatch(/! check runs: check runs unreadable with this token \(fine-grained tokens lack Checks\): GitHub refused reading check runs on acme\/widgets \(403\): Resource not accessible by personal access token — grant the token Checks: read/);
    expect(doctor.stdout).toMatch(/✓ actions runs: readable/);
    expect(doctor.stdout).toMatch(/✓ write access: the token may write issues/);
    expect(doctor.stdout).toMatch(/✓ tracker token: GitHub token from tracker\.token \(fine-grained personal access token\)/);
  }, 120_000);

  it('doctor with a token that cannot write: a failed line naming the permission; a claim refused for it pauses, saying which permission to grant', async () => {
    const doctor = await runCli(project, ['doctor'], { env: { SWARM_TEST_GH_TOKEN: READER } });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/✗ write access: GitHub refused saving label agent again \(a write that changes nothing\) on acme\/widgets \(403\): Resource not accessible by personal access token — grant the token Issues: write \(or Pull requests: write\)/);
    expect(doctor.stdout).toMatch(/✓ repository access/); // the user may push: only the token's grants say no

    await daemon?.stop();
    daemon = null;
    const m = gh.addIssue({ title: 'Claimed with a reader', labels: ['agent'] });
    const res = await runCli(project, ['start', '--until-idle'], { env: { SWARM_TEST_GH_TOKEN: READER }, timeoutMs: 60_000 });
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(new RegExp(`stopping: dispatch is paused until an operator acts \\(claiming #${m}: GitHub refused adding label agent:running to #${m} on acme/widgets \\(403\\): Resource not accessible by personal access token — grant the token Issues: write \\(or Pull requests: write\\); fix it, then \`swarm resume\`\\)`));
    expect(project.events().filter((e) => e.type === 'paused')).toEqual([expect.objectContaining({ kind: 'auth', reason: expect.stringContaining('Issues: write') })]);
    expect(project.claudeCalls().filter((c) => c.env.SWARM_TICKET_NUMBER === String(m))).toEqual([]);
    expect(flat((await runCli(project, ['status'])).stdout)).toMatch(/PAUSED \(auth\) until `swarm resume` claiming #\d+: GitHub refused adding label agent:running .* grant the token Issues: write \(or Pull requests: write\)/);
  }, 90_000);
});

describe('a renamed repository, a stale check, a parent issue', () => {
  let project: Project;
  let gh: FakeGitHub;
  let daemon: Daemon | null = null;
  beforeAll(async () => {
    project = await makeProject();
    gh = await startFakeGitHub({ gitDir: project.origin });
    project.env.SWARM_TEST_GH_TOKEN = gh.token;
    project.writeWorkflow(githubConfig(gh, { pr: { watch_interval: '1s' } }), PROMPT);
  });
  afterAll(async () => {
    await teardown(daemon, gh, project);
  });

  it('a stale check → no follow-up, "needs a human" shown; the repository renamed (301 on GETs) → polling goes on and the next ticket is claimed under the new name', async () => {
    const v = views({ project, gh });
    const n = gh.addIssue({ title: 'Stale CI', labels: ['agent'] });
    const parent = gh.addIssue({ title: 'Epic', labels: ['agent'] });
    const child = gh.addIssue({ title: 'Part of the epic' });
    gh.setSubIssues(parent, [child]);
    project.setScenarios({ [n]: ['commit_and_pr', FIX], default: ['commit_only'] });
    daemon = startDaemon(project);
    const pr = await v.handedOff(n);
    await gh.addCheckRun(pr, { name: 'deploy', status: 'completed', conclusion: 'stale', summary: 'incomplete for 14 days' });
    await waitFor(() => /^needs a human: check deploy is stale/.test(v.ticket(n).followup?.seen?.decision ?? ''), { timeoutMs: 30_000, what: 'the stale check seen' });
    await v.watched(pr);
    expect(v.callsFor(n)).toHaveLength(1);
    const watched = JSON.parse((await runCli(project, ['status', '--json'])).stdout).watched;
    expect(watched).toEqual([expect.objectContaining({ ticket: `#${n}`, state: 'needs_human', checks: '1 needs a human', decision: expect.stringMatching(/^needs a human: check deploy is stale on \w{7}: it went stale/) })]);
    expect(flat((await runCli(project, ['status'])).stdout)).toMatch(/needs a human: check deploy is stale/);
    expect(v.callsFor(parent)).toHaveLength(0);
    expect((await runCli(project, ['explain', String(parent)])).stdout).toMatch(/has open sub-issues \(1 of 1 sub-issue open\): it waits for them \(tracker\.claim_parents: true claims parents anyway\)/);

    gh.renameRepository('acme/gadgets');
    const m = gh.addIssue({ title: 'After the rename', labels: ['agent'] });
    await v.handedOff(m);
    expect(v.prOf(m)).toBeDefined();
    const after = gh.requests.filter((r) => r.method !== 'GET' && r.path.includes(`/issues/${m}/`));
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((r) => r.path.startsWith('/repos/acme/gadgets/') && r.status < 300)).toBe(true);
    expect(gh.requests.filter((r) => r.method !== 'GET' && r.path.startsWith('/repositories/'))).toEqual([]); // no write followed a redirect
    expect(flat((await runCli(project, ['status'])).stdout)).toMatch(/warning: repository acme\/widgets now answers as acme\/gadgets \(GitHub redirects\): swarm follows it; set tracker\.repo/);
    expect(project.events().filter((e) => e.type === 'paused' || e.type === 'tracker_error')).toEqual([]);
  }, 120_000);
});

describe('a GitHub App key', () => {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } });
  let project: Project;
  let gh: FakeGitHub;
  let daemon: Daemon | null = null;
  let clockFile: string;
  let offset = 0;
  const setClock = (ms: number) => {
    offset = ms;
    fs.writeFileSync(clockFile, String(ms));
  };
  beforeAll(async () => {
    project = await makeProject();
    clockFile = path.join(project.base, 'clock-offset');
    setClock(0);
    // GitHub's clock and the daemon's move together: both read the same offset.
    gh = await startFakeGitHub({ gitDir: project.origin, app: { id: 4242, slug: 'swarm-app', installationId: 77, publicKey: keys.publicKey }, now: () => Date.now() + offset });
    const keyFile = path.join(project.base, 'swarm-app.private-key.pem');
    fs.writeFileSync(keyFile, keys.privateKey, { mode: 0o600 });
    project.env.SWARM_TEST_GH_TOKEN = gh.token; // the agent's own token (swarm itself uses the App)
    project.writeWorkflow(githubConfig(gh, { tracker: { token: null, app_id: 4242, private_key: keyFile } }));
  });
  afterAll(async () => {
    await teardown(daemon, gh, project);
  });

  it('mints an installation token, refreshes it before expiry across a simulated hour, never pauses; the sticky is the bot\'s', async () => {
    const v = views({ project, gh });
    const n = gh.addIssue({ title: 'Before the hour', labels: ['agent'] });
    gh.addComment(n, { user: 'mallory', body: '<!-- swarm:status -->\nnot swarm' });
    project.setScenarios({ default: ['commit_only'] });
    daemon = startDaemon(project, ['start'], { NODE_OPTIONS: `--import=${path.join(ROOT, 'test/helpers/clock-shim.mjs')}`, SWARM_TEST_CLOCK_FILE: clockFile });
    await v.handedOff(n);
    expect(gh.minted).toHaveLength(1);
    expect(gh.comments.filter((c) => c.issue === n).map((c) => [c.user, c.body.split('\n')[0]])).toEqual([['mallory', '<!-- swarm:status -->'], ['swarm-app[bot]', '<!-- swarm:status -->']]);
    expect(gh.comments.find((c) => c.user === 'mallory')!.body).toBe('<!-- swarm:status -->\nnot swarm');
    expect(v.prOf(n)!.user).toBe('swarm-app[bot]');

    const polls = () => gh.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/repos/acme/widgets/issues?')).length;
    const twoPolls = async () => {
      const p = polls();
      await waitFor(() => polls() >= p + 2, { timeoutMs: 20_000, what: 'two more polls' });
    };
    setClock(30 * 60_000);
    await twoPolls();
    expect(gh.minted).toHaveLength(1); // half an hour left: the same token
    setClock(57 * 60_000);
    await twoPolls();
    expect(gh.minted).toHaveLength(2); // three minutes left: a new one, before the old one expires
    expect(gh.minted[1]!.at).toBeLessThan(gh.minted[0]!.expiresAt);
    setClock(75 * 60_000); // the first token has expired
    const m = gh.addIssue({ title: 'After the hour', labels: ['agent'] });
    await v.handedOff(m);
    expect(gh.minted).toHaveLength(2);
    // No request ever carried an expired or refused token, and nothing paused.
    expect(gh.requests.filter((r) => r.status === 401)).toEqual([]);
    expect(project.events().filter((e) => e.type === 'paused')).toEqual([]);
    expect(gh.requests.some((r) => r.path === '/user')).toBe(false); // the bot's login comes from GET /app
    for (const t of gh.minted) expect(daemon.stdout + daemon.stderr).not.toContain(t.token);
  }, 120_000);
});
