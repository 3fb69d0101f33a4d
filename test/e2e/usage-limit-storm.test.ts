// Issue #11 acceptance 1: a usage-limit storm. Three tickets, max_concurrent 3, the first run of each hits a
// usage limit with its reset 8 s ahead: no agent process may start between the start of a pause and its
// reset — judged from the agents' own start times — no attempt is counted, every run is on the first
// model, three PRs at the end. Once with the fake claude, once with the real pinned Claude Code binary
// against the fake Messages API (subscription auth, so the CLI reports the limit the way it does for a
// real account: a 429 with anthropic-ratelimit-unified-* headers).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { startFakeAnthropic, usageLimitStep, type FakeAnthropic } from '../helpers/fake-anthropic.js';
import { claudeBinary } from '../helpers/real-claude.js';
import { githubConfig, githubWorld, runCli, teardown, type Project } from '../helpers/daemon.js';

let gh: FakeGitHub;
let project: Project;
let api: FakeAnthropic | null = null;

beforeEach(async () => {
  ({ project, gh } = await githubWorld());
});
afterEach(async () => {
  await api?.close();
  api = null;
  await teardown(null, gh, project);
});

/**
 * A process's own start time may trail the spawn that made it by the few ms exec and runtime start-up
 * take; a start within this much after a pause began was spawned before it. (The race this test exists
 * for starts agents hundreds of ms into a pause: worktree, hooks and prompt come between claim and spawn.)
 */
const EXEC_SLACK_MS = 50;

/**
 * Preparation that takes a while (a dependency install, say): ticket n spends (n-1)·1.5 s in before_run, so
 * the later claims are still being prepared when the first session meets the limit — the race in which a
 * claim in flight used to start its agent inside the pause.
 */
const STAGGER = { before_run: 'sleep $(( (SWARM_TICKET_NUMBER - 1) * 3 / 2 ))' };

interface Pause { from: number; until: number }

/** The rate-limit pauses the daemon logged, as [start, reset] intervals. */
function pauses(): Pause[] {
  return project.events().filter((e) => e.type === 'paused' && e.kind === 'rate_limit').map((e) => ({ from: Date.parse(e.at), until: Date.parse(e.until) }));
}

function expectNoStartInsideAPause(starts: { ticket: string; at: number }[]): void {
  const ps = pauses();
  expect(ps.length).toBeGreaterThanOrEqual(1);
  for (const s of starts) {
    for (const p of ps) {
      const inside = s.at > p.from + EXEC_SLACK_MS && s.at < p.until;
      expect(inside, `${s.ticket} started at ${new Date(s.at).toISOString()}, inside the pause ${new Date(p.from).toISOString()} – ${new Date(p.until).toISOString()}`).toBe(false);
    }
  }
  // And by the daemon's own record, to the millisecond: no attempt starts after a pause began and before
  // it ended (a claim prepared during the pause may start the moment it ends, before the loop logs
  // `resumed`: that is on time).
  for (const e of project.events().filter((x) => x.type === 'started')) {
    const at = Date.parse(e.at);
    for (const p of ps) expect(at > p.from && at < p.until, `${e.ticket} attempt ${e.attempt} started at ${e.at}, inside a pause`).toBe(false);
  }
}

function expectOutcome(issues: number[]): void {
  expect(gh.pulls).toHaveLength(3);
  const state = project.state();
  for (const n of issues) {
    const t = state.tickets[String(n)];
    expect(t.status, `#${n}`).toBe('review');
    expect(t.failures, `#${n}`).toBe(0);
    expect(t.attempts.filter((a: any) => a.counted), `#${n}`).toEqual([]);
    expect(t.attempts.every((a: any) => a.model === 'sonnet'), `#${n} ran on sonnet only`).toBe(true);
    expect(gh.labelsOf(n)).toEqual(['agent', 'agent:review']);
  }
  const limited = Object.values<any>(state.tickets).flatMap((t) => t.attempts).filter((a) => a.outcome === 'rate_limited');
  expect(limited.length).toBeGreaterThanOrEqual(1);
}

describe('usage-limit storm', () => {
  it('fake claude: no agent starts inside a pause, nothing counted, first model only, 3 PRs', async () => {
    project.writeWorkflow(githubConfig(gh, { hooks: STAGGER, agent: { max_concurrent: 3, models: ['sonnet', 'opus'] } }));
    const issues = [1, 2, 3].map((i) => gh.addIssue({ title: `Storm ${i}`, labels: ['agent'] }));
    // One account window, exhausted for the next 8 s: every session that starts before then hits the limit.
    project.setScenarios({ default: [[{ usageLimitUntil: Date.now() + 8_000 }, 'commit_and_pr']] });

    const res = await runCli(project, ['start', '--until-idle'], { timeoutMs: 120_000 });
    expect(res.code, res.stdout + res.stderr).toBe(0);

    const calls = project.claudeCalls();
    expect(calls.every((c) => c.model === 'sonnet')).toBe(true);
    expectNoStartInsideAPause(calls.map((c) => ({ ticket: c.env.SWARM_TICKET_ID!, at: c.t0 })));
    expectOutcome(issues);
  }, 120_000);

  it('real Claude Code: the same, the limit served as a 429 with the unified rate-limit headers', async () => {
    api = await startFakeAnthropic();
    const windowEnds = Date.now() + 8_000;
    api.respond((body) => {
      const msgs = JSON.stringify(body?.messages ?? []);
      if (Date.now() < windowEnds) return usageLimitStep('five_hour', Math.ceil(windowEnds / 1000));
      if (msgs.includes('tool_result')) return { text: 'Committed the change.' };
      return { preamble: 'Making the change.', toolUse: { name: 'Bash', input: { command: 'echo storm > storm.txt && git add storm.txt && git commit -q -m "Storm fix"', description: 'Commit the change' } } };
    });
    const bin = claudeBinary();
    const starts = path.join(project.base, 'agent-starts.log');
    const wrapper = path.join(project.base, 'claude-wrapper.sh');
    // The agent's own start, stamped by its first instruction, then the real binary in the same process.
    fs.writeFileSync(wrapper, `#!/bin/sh\nprintf '%s %s\\n' "$(date +%s%3N)" "$SWARM_TICKET_ID" >> '${starts}'\nexec '${bin}' "$@"\n`, { mode: 0o755 });
    const home = path.join(project.base, 'claude-home');
    fs.mkdirSync(path.join(home, 'config'), { recursive: true });
    Object.assign(project.env, {
      ANTHROPIC_BASE_URL: api.url,
      CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-fake-token-for-tests',
      CLAUDE_CONFIG_DIR: path.join(home, 'config'),
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      HOME: home,
    });
    project.writeWorkflow(githubConfig(gh, { hooks: STAGGER, agent: { command: wrapper, max_concurrent: 3, models: ['sonnet', 'opus'], max_turns: 5, stall_timeout: '60s' } }));
    const issues = [1, 2, 3].map((i) => gh.addIssue({ title: `Real storm ${i}`, labels: ['agent'] }));

    const res = await runCli(project, ['start', '--until-idle'], { timeoutMs: 150_000 });
    expect(res.code, res.stdout + res.stderr).toBe(0);

    const started = fs.readFileSync(starts, 'utf8').trim().split('\n').map((l) => ({ at: Number(l.split(' ')[0]), ticket: l.split(' ')[1]! }));
    expect(started.length).toBeGreaterThanOrEqual(4); // three limited (at least one), then three that worked
    expectNoStartInsideAPause(started);
    // The real CLI saw the limit: the served reset epoch is the pause's (plus jitter).
    const first = pauses()[0]!;
    expect(first.until).toBeGreaterThanOrEqual(Math.ceil(windowEnds / 1000) * 1000);
    expectOutcome(issues);
  }, 150_000);
});
