// Issue #14 acceptance 1: two repositories, two daemons (real processes), one Claude account, no database —
// the account file in one shared XDG_STATE_HOME. A usage limit hit in repository A: no agent starts in
// repository B before the reset (B records A's pause and says whose it is); after the reset exactly one
// canary run across the account, every other start after it passed; then both daemons fill their slots.
// Once with the fake claude in both, once with the real pinned Claude Code binary (against the fake
// Messages API, the limit a 429 with the unified rate-limit headers) in repository A — the account then
// derived, not configured: both daemons carry the same OAuth token.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { startFakeAnthropic, usageLimitStep, type FakeAnthropic } from '../helpers/fake-anthropic.js';
import { claudeBinary } from '../helpers/real-claude.js';
import { githubConfig, githubWorld, maxOverlap, runCli, startDaemon, teardown, waitFor, type Daemon, type Project } from '../helpers/daemon.js';

interface Repo { project: Project; gh: FakeGitHub; daemon: Daemon | null }
let a: Repo;
let b: Repo;
let xdg: string;
let api: FakeAnthropic | null = null;

beforeEach(async () => {
  a = { ...(await githubWorld()), daemon: null };
  b = { ...(await githubWorld()), daemon: null };
  xdg = path.join(a.project.base, 'shared-xdg-state');
  a.project.env.XDG_STATE_HOME = xdg;
  b.project.env.XDG_STATE_HOME = xdg;
});
afterEach(async () => {
  await Promise.all([a.daemon?.stop(), b.daemon?.stop()]);
  await api?.close();
  api = null;
  await teardown(null, a.gh, a.project);
  await teardown(null, b.gh, b.project);
});

/** The kernel's start time of a process may read up to one 10 ms clock tick early (fake claude's t0). */
const TICK_MS = 20;

function accountFile(): any | null {
  const dir = path.join(xdg, 'swarm', 'accounts');
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  return files.length === 1 ? JSON.parse(fs.readFileSync(path.join(dir, files[0]!), 'utf8')) : null;
}

const canaryEvents = (change: string) => [a, b].flatMap((r, i) => r.project.events().filter((e) => e.type === 'account_canary' && e.change === change).map((e) => ({ ...e, repo: i === 0 ? 'A' : 'B' })));

/** While A's pause holds: B recorded it as its own pause, naming the account and A, and status/explain say so. */
async function expectBPausedByA(until: string): Promise<void> {
  await waitFor(() => b.project.events().some((e) => e.type === 'paused' && e.kind === 'rate_limit'), { what: "B records A's pause" });
  const mirrored = b.project.events().find((e) => e.type === 'paused' && e.kind === 'rate_limit');
  expect(mirrored.until).toBe(until);
  expect(mirrored.reason).toMatch(new RegExp(`^usage limit on Claude account \\S+ until ${until.replace(/\./g, '\\.')}, hit by \\S+ pid ${a.daemon!.proc.pid} \\(${a.gh.fullName}\\)`));
  await waitFor(() => b.project.report()?.queue?.waiting?.length > 0, { what: "B's tickets listed as waiting" });
  const status = JSON.parse((await runCli(b.project, ['status', '--json'])).stdout);
  expect(status.account.pause).toMatchObject({ until });
  expect(status.account.members.map((m: any) => m.pid).sort()).toEqual([a.daemon!.proc.pid, b.daemon!.proc.pid].sort());
  expect(status.waiting.length).toBeGreaterThanOrEqual(1);
  expect(status.waiting[0].waiting_because).toMatch(/usage limit on Claude account/);
  const explained = await runCli(b.project, ['explain', String(b.gh.issues[0]!.number)]);
  expect(explained.stdout).toMatch(/✗ pause +dispatch paused: usage limit on Claude account/);
}

/**
 * After the reset: one canary (claimed and passed once, on one daemon), the first start of all; every other
 * start after it passed. `starts`: every agent start after the limit, per repository, in ms.
 */
function expectOneCanary(starts: { repo: 'A' | 'B'; at: number }[], until: number): void {
  const claimed = canaryEvents('claimed');
  const passed = canaryEvents('passed');
  expect(claimed, JSON.stringify(claimed)).toHaveLength(1);
  expect(passed).toHaveLength(1);
  expect(passed[0]!.repo).toBe(claimed[0]!.repo);
  const passedAt = Date.parse(passed[0]!.at);
  const after = starts.filter((s) => s.at >= until - TICK_MS).sort((x, y) => x.at - y.at);
  expect(after.length).toBeGreaterThanOrEqual(3);
  expect(after[0]!.repo, 'the canary ran on the daemon that claimed it').toBe(claimed[0]!.repo);
  expect(after[0]!.at).toBeLessThan(passedAt);
  for (const s of after.slice(1)) expect(s.at, `a start in ${s.repo} came before the canary passed`).toBeGreaterThanOrEqual(passedAt - TICK_MS);
}

const handedOff = (r: Repo) => r.project.events().filter((e) => e.type === 'pr_opened').length;

function expectAllHandedOff(r: Repo, n: number): void {
  expect(r.gh.pulls).toHaveLength(n);
  const tickets = Object.values<any>(r.project.state().tickets);
  expect(tickets.map((t) => t.status)).toEqual(Array(n).fill('review'));
  expect(tickets.every((t) => t.failures === 0)).toBe(true);
}

describe('one Claude account, two repositories', () => {
  it('fake claude: a limit in A holds B until the reset; one canary across the account; then both fill their slots', async () => {
    const cfg = { agent: { account: 'team', max_concurrent: 2 } };
    a.project.writeWorkflow(githubConfig(a.gh, cfg));
    b.project.writeWorkflow(githubConfig(b.gh, cfg));
    // The window is exhausted for 10 s; after that a session takes a moment before its first model turn
    // (so the canary is visibly alone) and holds its slot a little after opening its PR.
    const windowEnds = Date.now() + 10_000;
    const scenario = { default: [[{ usageLimitUntil: windowEnds }, { sleep: 700 }, 'commit_and_pr', { sleep: 2500 }]] };
    a.project.setScenarios(scenario);
    b.project.setScenarios(scenario);
    a.gh.addIssue({ title: 'A first', labels: ['agent'] });
    a.daemon = startDaemon(a.project);
    b.daemon = startDaemon(b.project);

    const limit = await waitFor(() => a.project.events().find((e) => e.type === 'account_limit'), { what: 'A shares its usage limit' });
    expect(accountFile()?.pause?.until).toBe(limit.until);
    for (const t of ['B one', 'B two', 'B three']) b.gh.addIssue({ title: t, labels: ['agent'] });
    for (const t of ['A two', 'A three']) a.gh.addIssue({ title: t, labels: ['agent'] });
    await expectBPausedByA(limit.until);

    await waitFor(() => handedOff(a) === 3 && handedOff(b) === 3, { timeoutMs: 60_000, what: 'six tickets handed off' });
    await Promise.all([a.daemon.stop(), b.daemon.stop()]);

    const until = Date.parse(limit.until);
    expect(until).toBeGreaterThanOrEqual(windowEnds);
    const bCalls = b.project.claudeCalls();
    for (const c of bCalls) expect(c.t0, `B started ${c.env.SWARM_TICKET_ID} inside A's pause`).toBeGreaterThanOrEqual(until - TICK_MS);
    for (const e of b.project.events().filter((x) => x.type === 'started')) expect(Date.parse(e.at)).toBeGreaterThanOrEqual(until);
    const starts = [...a.project.claudeCalls().map((c) => ({ repo: 'A' as const, at: c.t0 })), ...bCalls.map((c) => ({ repo: 'B' as const, at: c.t0 }))];
    expectOneCanary(starts, until);
    // Both fill their slots once the canary passed.
    expect(maxOverlap(a.project.events())).toBe(2);
    expect(maxOverlap(b.project.events())).toBe(2);
    expectAllHandedOff(a, 3);
    expectAllHandedOff(b, 3);
    // Both left the account at their clean stop.
    expect(Object.keys(accountFile().members)).toEqual([]);
  }, 120_000);

  it('real Claude Code in A: the 429 it meets holds B (fake claude) until the reset, one canary, the account derived from the shared login', async () => {
    api = await startFakeAnthropic();
    const windowEnds = Date.now() + 10_000;
    api.respond((body) => {
      const msgs = JSON.stringify(body?.messages ?? []);
      if (Date.now() < windowEnds) return usageLimitStep('five_hour', Math.ceil(windowEnds / 1000));
      if (msgs.includes('tool_result')) return { text: 'Committed the change.' };
      return { preamble: 'Making the change.', toolUse: { name: 'Bash', input: { command: 'echo fix > fix.txt && git add fix.txt && git commit -q -m "Fix"', description: 'Commit the change' } } };
    });
    const starts = path.join(a.project.base, 'agent-starts.log');
    const wrapper = path.join(a.project.base, 'claude-wrapper.sh');
    fs.writeFileSync(wrapper, `#!/bin/sh\nprintf '%s %s\\n' "$(date +%s%3N)" "$SWARM_TICKET_ID" >> '${starts}'\nexec '${claudeBinary()}' "$@"\n`, { mode: 0o755 });
    const home = path.join(a.project.base, 'claude-home');
    fs.mkdirSync(path.join(home, 'config'), { recursive: true });
    const login = { CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-fake-token-for-tests' };
    Object.assign(a.project.env, login, { ANTHROPIC_BASE_URL: api.url, CLAUDE_CONFIG_DIR: path.join(home, 'config'), CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', HOME: home });
    Object.assign(b.project.env, login);
    a.project.writeWorkflow(githubConfig(a.gh, { agent: { command: wrapper, max_concurrent: 2, max_turns: 5, stall_timeout: '60s' } }));
    b.project.writeWorkflow(githubConfig(b.gh, { agent: { max_concurrent: 2 } }));
    b.project.setScenarios({ default: [[{ sleep: 700 }, 'commit_and_pr', { sleep: 1500 }]] });
    a.gh.addIssue({ title: 'A first', labels: ['agent'] });
    a.daemon = startDaemon(a.project);
    b.daemon = startDaemon(b.project);

    const limit = await waitFor(() => a.project.events().find((e) => e.type === 'account_limit'), { timeoutMs: 30_000, what: 'A shares its usage limit' });
    expect(accountFile()?.name).toMatch(/^oauth-[0-9a-f]{12}$/);
    for (const t of ['B one', 'B two']) b.gh.addIssue({ title: t, labels: ['agent'] });
    a.gh.addIssue({ title: 'A two', labels: ['agent'] });
    await expectBPausedByA(limit.until);

    await waitFor(() => handedOff(a) === 2 && handedOff(b) === 2, { timeoutMs: 90_000, what: 'four tickets handed off' });
    await Promise.all([a.daemon.stop(), b.daemon.stop()]);

    const until = Date.parse(limit.until);
    expect(until).toBeGreaterThanOrEqual(Math.ceil(windowEnds / 1000) * 1000); // the served reset, plus jitter
    const bCalls = b.project.claudeCalls();
    for (const c of bCalls) expect(c.t0, `B started ${c.env.SWARM_TICKET_ID} inside A's pause`).toBeGreaterThanOrEqual(until - TICK_MS);
    const aStarts = fs.readFileSync(starts, 'utf8').trim().split('\n').map((l) => ({ repo: 'A' as const, at: Number(l.split(' ')[0]) }));
    expectOneCanary([...aStarts, ...bCalls.map((c) => ({ repo: 'B' as const, at: c.t0 }))], until);
    expectAllHandedOff(a, 2);
    expectAllHandedOff(b, 2);
  }, 150_000);
});
