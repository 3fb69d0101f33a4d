// Issue #3 through the daemon: bin/swarm.js as a real process, the fake claude, a real repo. Usage-limit
// pause, model ladder and previous_attempts across a restart, auth kill + pause, circuit breaker, canary,
// budgets, stall/timeout kills with no orphaned grandchild, and the root + bypassPermissions rule.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, makeProject, maxOverlap, runCli, startDaemon, waitFor, type Daemon, type Project } from '../helpers/daemon.js';

let project: Project;
let gh: FakeGitHub | null = null;
let daemon: Daemon | null = null;

beforeEach(async () => {
  project = await makeProject();
});

afterEach(async () => {
  await daemon?.stop();
  daemon = null;
  await gh?.close();
  gh = null;
  project.cleanup();
});

async function useGitHub(): Promise<FakeGitHub> {
  gh = await startFakeGitHub({ gitDir: project.origin });
  project.env.SWARM_TEST_GH_TOKEN = gh.token;
  return gh;
}

/** A local ticket file; `created_at` fixes the dispatch order. */
function addTicket(key: string, extra: Record<string, unknown> = {}, body = `Please do ${key}.`): void {
  const dir = path.join(project.dir, '.swarm', 'tickets');
  fs.mkdirSync(dir, { recursive: true });
  const fm = { title: `Task ${key}`, labels: ['agent'], state: 'open', ...extra };
  fs.writeFileSync(path.join(dir, `${key}.md`), `---\n${JSON.stringify(fm)}\n---\n${body}\n`);
}

/** state.json, or null before the daemon wrote it. */
function stateOrNull(): any {
  try {
    return project.state();
  } catch {
    return null;
  }
}

const callsFor = (key: string) => project.claudeCalls().filter((c) => c.env.SWARM_TICKET_ID === key);
const argAfter = (argv: string[], flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);

/** A process is gone: no /proc entry, or a zombie nobody reaped (PID 1 here reaps nothing). */
function isDead(pid: number): boolean {
  try {
    return /\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/**
 * The canary rule after the last pause ended: from `resumed` until `canary_passed`, never more than one
 * agent ran; after it passed, another agent started while the canary was still running (the slots fill
 * once it is past fast_fail, not when it ends). Counted over the whole log, so a run that began before
 * the pause (slow start under load) counts as running too.
 */
function expectCanaryRule(): void {
  const all = project.events();
  const resumed = all.map((e) => e.type).lastIndexOf('resumed');
  expect(resumed, 'a resumed event').toBeGreaterThanOrEqual(0);
  const passed = all.findIndex((e, i) => i > resumed && e.type === 'canary_passed');
  expect(passed, 'a canary_passed event after the pause').toBeGreaterThan(resumed);
  const running = new Set<string>();
  all.forEach((e, i) => {
    if (e.type === 'started') running.add(e.ticket);
    if (e.type === 'finished') running.delete(e.ticket);
    if (i > resumed && i <= passed) expect(running.size, `agents running at event ${i} (${e.type})`).toBeLessThanOrEqual(1);
  });
  const canary = all[passed].ticket;
  const canaryDone = all.findIndex((e, i) => i > passed && e.type === 'finished' && e.ticket === canary);
  expect(canaryDone).toBeGreaterThan(passed);
  expect(all.slice(passed, canaryDone).filter((e) => e.type === 'started').length).toBeGreaterThanOrEqual(1);
}

// A counted failure that reports a cost (like a real error_during_execution run).
const agentError = (cost: number, why = 'The tool loop failed') => [
  { init: true },
  { text: 'Trying to make the change.' },
  { result: { isError: true, subtype: 'error_during_execution', text: null, errors: [why], cost } },
  { exit: 1 },
];

describe('usage limits', () => {
  it('pauses every session on a usage limit, counts nothing, shows the pause, then finishes all six', async () => {
    const github = await useGitHub();
    project.writeWorkflow(githubConfig(github, { agent: { max_concurrent: 3 } }));
    // The account's window is exhausted for the next 20 s: every session started before then hits it.
    const windowEnds = Date.now() + 20_000;
    const resetMs = Math.ceil(windowEnds / 1000) * 1000;
    project.setScenarios({ default: [[{ usageLimitUntil: windowEnds }, 'commit_and_pr']] });
    const issues = [1, 2, 3, 4, 5, 6].map((i) => github.addIssue({ title: `Limited task ${i}`, labels: ['agent'] }));

    daemon = startDaemon(project, ['start', '--until-idle']);
    // Wait until the limited sessions have all ended (each one re-sets the pause with its own jitter).
    await waitFor(() => {
      const s = stateOrNull();
      return s?.pause?.kind === 'rate_limit' && Object.values<any>(s.tickets).every((t) => t.status !== 'running' && t.status !== 'claimed');
    }, { timeoutMs: 60_000, what: 'the rate-limit pause with no agent running' });

    // During the pause: status (JSON and text) shows the pause, its limit type and its end.
    const json = JSON.parse((await runCli(project, ['status', '--json'])).stdout);
    expect(json.daemon.running).toBe(true);
    expect(json.pause.kind).toBe('rate_limit');
    expect(json.pause.limit_type).toBe('five_hour');
    const until = Date.parse(json.pause.until);
    expect(until).toBeGreaterThanOrEqual(resetMs); // the server's resetsAt epoch…
    expect(until).toBeLessThanOrEqual(resetMs + 30_000); // …plus at most 30 s of jitter
    expect(json.pause.reason).toMatch(/usage limit reached \(five_hour\)/);
    expect(json.retry_queue.length).toBeGreaterThanOrEqual(1);
    const text = (await runCli(project, ['status'])).stdout;
    expect(text).toMatch(/PAUSED \(rate_limit, five_hour\) until .*\d+s left/);

    const exit = await daemon.exited;
    expect(exit.code, daemon.stdout + daemon.stderr).toBe(0);
    expect(github.pulls).toHaveLength(6);

    const state = project.state();
    let limited = 0;
    for (const n of issues) {
      const t = state.tickets[String(n)];
      expect(t.status).toBe('review');
      expect(t.failures).toBe(0);
      expect(github.labelsOf(n)).toContain('agent:review');
      for (const a of t.attempts.slice(0, -1)) expect([a.outcome, a.counted]).toEqual(['rate_limited', false]);
      expect(t.attempts.at(-1).outcome).toBe('pr_opened');
      limited += t.attempts.length - 1;
    }
    expect(limited).toBeGreaterThanOrEqual(1);
    expect(state.daily.attempts.rate_limited).toBe(limited);
    // Nothing was started while the pause held: every call before the window ended is a limited one.
    const pauseUntil = Date.parse(project.events().find((e) => e.type === 'paused' && e.kind === 'rate_limit').until);
    const calls = project.claudeCalls();
    expect(calls.filter((c) => Date.parse(c.ts as unknown as string) < windowEnds)).toHaveLength(limited);
    expect(calls.filter((c) => Date.parse(c.ts as unknown as string) >= windowEnds)).toHaveLength(6);
    expect(pauseUntil).toBeGreaterThanOrEqual(resetMs);
    expectCanaryRule();
  }, 150_000);
});

describe('model ladder', () => {
  it('fails twice on sonnet, succeeds on opus after a restart; --model opus only there; previous_attempts in the retry prompt', async () => {
    const github = await useGitHub();
    const prompt =
      'Work on {{ issue.identifier }}: {{ issue.title }} (attempt {{ attempt }} on {{ model }})\n' +
      '{% for a in previous_attempts %}PREV {{ a.number }} {{ a.model }} {{ a.outcome }} | {{ a.reason }} | {{ a.summary }}\n{% endfor %}';
    project.writeWorkflow(githubConfig(github, { agent: { max_attempts: 3, models: ['sonnet', 'sonnet', 'opus'], retry_backoff: '4s', max_retry_backoff: '30s' } }), prompt);
    const hard = github.addIssue({ title: 'A hard ticket', labels: ['agent'] });
    const easy = github.addIssue({ title: 'An easy ticket', labels: ['agent'] });
    project.setScenarios({ [hard]: ['no_changes', agentError(0.02, 'The tool loop failed badly'), 'commit_and_pr'], [easy]: ['commit_and_pr'] });

    daemon = startDaemon(project);
    await waitFor(() => stateOrNull()?.tickets[String(hard)]?.failures === 2, { timeoutMs: 60_000, what: 'two counted failures' });
    // Waiting for its backoff, status names the model the next attempt will use.
    const waiting = JSON.parse((await runCli(project, ['status', '--json'])).stdout).retry_queue.find((r: any) => r.key === String(hard));
    expect(waiting).toMatchObject({ failures: 2, next_model_hint: 'opus' });
    await daemon.stop(); // the restart must keep the ladder
    daemon = null;
    expect(callsFor(String(hard))).toHaveLength(2);

    const res = await runCli(project, ['start', '--until-idle']);
    expect(res.code, res.stdout + res.stderr).toBe(0);

    const t = project.state().tickets[String(hard)];
    expect(t.attempts.map((a: any) => [a.model, a.outcome, a.counted])).toEqual([
      ['sonnet', 'no_changes', true],
      ['sonnet', 'agent_error', true],
      ['opus', 'pr_opened', false],
    ]);
    expect(t.status).toBe('review');
    // The argv log: --model opus exactly once, on the hard ticket's third run.
    const calls = project.claudeCalls();
    const opus = calls.filter((c) => argAfter(c.argv, '--model') === 'opus');
    expect(opus).toHaveLength(1);
    expect(opus[0]!.env.SWARM_TICKET_ID).toBe(String(hard));
    expect(opus[0]!.env.SWARM_ATTEMPT).toBe('3');
    expect(callsFor(String(hard)).map((c) => c.model)).toEqual(['sonnet', 'sonnet', 'opus']);
    expect(callsFor(String(easy)).map((c) => c.model)).toEqual(['sonnet']);
    // The opus run came from the restarted daemon.
    const starts = project.events().filter((e) => e.type === 'daemon_started' || (e.type === 'started' && e.ticket === `#${hard}`));
    expect(starts.map((e) => e.type)).toEqual(['daemon_started', 'started', 'started', 'daemon_started', 'started']);

    // The retry prompts carry the earlier attempts: model, outcome, reason and the agent's final text.
    const p2 = fs.readFileSync(path.join(project.promptDir, `${hard}-2.txt`), 'utf8');
    expect(p2).toContain('PREV 1 sonnet no_changes | finished without commits or a PR | I looked into it; nothing needs to change.');
    expect(p2).not.toContain('PREV 2');
    const p3 = fs.readFileSync(path.join(project.promptDir, `${hard}-3.txt`), 'utf8');
    expect(p3).toContain('attempt 3 on opus');
    expect(p3).toContain('PREV 1 sonnet no_changes');
    expect(p3).toMatch(/PREV 2 sonnet agent_error \| Claude Code failed during execution: The tool loop failed badly \| Trying to make the change\./);
    const p1 = fs.readFileSync(path.join(project.promptDir, `${hard}-1.txt`), 'utf8');
    expect(p1).not.toContain('PREV');

    // The sticky comment shows the model of every attempt.
    const sticky = github.comments.filter((c) => c.issue === hard && c.body.includes('<!-- swarm:status -->'));
    expect(sticky).toHaveLength(1);
    expect(sticky[0]!.body).toMatch(/\| 1 \| sonnet \| no_changes \| yes \|/);
    expect(sticky[0]!.body).toMatch(/\| 2 \| sonnet \| agent_error \| yes \|/);
    expect(sticky[0]!.body).toMatch(/\| 3 \| opus \| pr_opened \| no \|/);
  }, 150_000);
});

describe('auth, breaker and canary', () => {
  it('kills the run at the first auth api_retry, pauses all dispatch until swarm resume, and --until-idle says what to do', async () => {
    project.writeWorkflow({ agent: { max_concurrent: 1 } });
    addTicket('AUTH-1', { created_at: '2024-01-01T00:00:00Z' });
    addTicket('AUTH-2', { created_at: '2024-01-02T00:00:00Z' });
    // Without the daemon's kill this run would hang until the stall timeout.
    project.setScenarios({ default: [[{ init: true }, { apiRetry: { status: 401, error: 'authentication_failed' } }, { hang: true }]] });

    const res = await runCli(project, ['start', '--until-idle']);
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stdout).toContain('run `claude` and /login, then `swarm resume`');

    const state = project.state();
    const a = state.tickets['AUTH-1'].attempts;
    expect(a.map((x: any) => [x.outcome, x.counted])).toEqual([['auth_failed', false]]);
    expect(state.tickets['AUTH-1'].failures).toBe(0);
    expect(state.tickets['AUTH-2']).toBeUndefined(); // all dispatch paused: the second ticket never ran
    expect(project.claudeCalls()).toHaveLength(1);
    expect(isDead(project.claudeCalls()[0]!.pid as unknown as number)).toBe(true);
    // Killed at the first api_retry: one retry line in the raw stream and no result line.
    const raw = fs.readFileSync(a[0].run_file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(raw.filter((l) => l.subtype === 'api_retry')).toHaveLength(1);
    expect(raw.some((l) => l.type === 'result')).toBe(false);

    const json = JSON.parse((await runCli(project, ['status', '--json'])).stdout);
    expect(json.pause.kind).toBe('auth');
    expect(json.pause.until).toBeNull();
    expect(json.pause.reason).toContain('/login');
    expect((await runCli(project, ['status'])).stdout).toContain('PAUSED (auth) until `swarm resume`');

    // The operator logs in and resumes: both tickets are worked, the first with no counted failure.
    project.setScenarios({ default: ['commit_only'] });
    const resumed = await runCli(project, ['resume']);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    const again = await runCli(project, ['start', '--until-idle']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const after = project.state();
    expect(after.pause).toBeNull();
    expect(after.tickets['AUTH-1'].status).toBe('review');
    expect(after.tickets['AUTH-1'].failures).toBe(0);
    expect(after.tickets['AUTH-2'].status).toBe('review');
  }, 120_000);

  it('trips the circuit breaker after three infrastructure failures in a row; none counted, no fourth run', async () => {
    project.writeWorkflow({ agent: { max_concurrent: 1, retry_backoff: '1s' } });
    addTicket('INFRA-1');
    project.setScenarios({ default: ['crash_before_turn'] });

    daemon = startDaemon(project);
    await waitFor(() => stateOrNull()?.pause?.kind === 'breaker', { timeoutMs: 60_000, what: 'the breaker pause' });
    const json = JSON.parse((await runCli(project, ['status', '--json'])).stdout);
    expect(json.pause.kind).toBe('breaker');
    expect(json.pause.reason).toMatch(/circuit breaker: 3 infrastructure failures in a row; pausing 5m/);
    expect(json.pause.remaining_s).toBeGreaterThan(200);
    const t = project.state().tickets['INFRA-1'];
    expect(t.attempts.map((a: any) => [a.outcome, a.counted])).toEqual(Array(3).fill(['infra_failed', false]));
    expect(t.failures).toBe(0);
    expect((await runCli(project, ['status'])).stdout).toContain('PAUSED (breaker)');
    const paused = project.events().filter((e) => e.type === 'paused');
    expect(paused.map((e) => e.kind)).toEqual(['breaker']);
    expect(daemon.stdout).toMatch(/dispatch paused until .*circuit breaker/);
    // Several polls later (1 s interval, 1 s retry backoff) still no fourth run.
    await new Promise((r) => setTimeout(r, 4000));
    expect(project.claudeCalls()).toHaveLength(3);
    expect(project.events().filter((e) => e.type === 'started')).toHaveLength(3);
  }, 120_000);

  it('after a pause ends, one canary runs alone until it gets past fast_fail, then the other slots fill', async () => {
    project.writeWorkflow({ agent: { max_concurrent: 3, fast_fail: '60s' } });
    for (const k of ['CAN-1', 'CAN-2', 'CAN-3']) addTicket(k);
    const windowEnds = Date.now() + 12_000;
    // Before the first model turn the canary is quiet for 2 s; after it, it works 6 s more.
    project.setScenarios({ default: [[{ usageLimitUntil: windowEnds }, { init: true }, { sleep: 2000 }, { text: 'Working on it.' }, { sleep: 6000 }, { commit: true }, { result: {} }]] });

    const res = await runCli(project, ['start', '--until-idle']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const state = project.state();
    for (const k of ['CAN-1', 'CAN-2', 'CAN-3']) expect(state.tickets[k].status).toBe('review');

    expect(state.tickets['CAN-1'].attempts[0].outcome).toBe('rate_limited');
    expectCanaryRule();
    expect(maxOverlap(project.events())).toBeGreaterThanOrEqual(2);
  }, 120_000);
});

describe('budgets', () => {
  it('passes the remaining agent.max_cost_usd down as --max-budget-usd and stops a ticket that spent it', async () => {
    project.writeWorkflow({ agent: { max_cost_usd: 0.05, max_attempts: 5 } });
    addTicket('COST-1');
    project.setScenarios({ 'COST-1': [agentError(0.03)] });

    const res = await runCli(project, ['start', '--until-idle']);
    expect(res.code, res.stdout + res.stderr).toBe(0);

    const calls = callsFor('COST-1');
    expect(calls.map((c) => argAfter(c.argv, '--max-budget-usd'))).toEqual(['0.05', '0.02']);
    const state = project.state();
    const t = state.tickets['COST-1'];
    expect(t.status).toBe('failed');
    expect(t.failures).toBe(2); // well below max_attempts: the budget stopped it
    expect(t.last_event).toContain('spent $0.06 of agent.max_cost_usd $0.05');
    expect(t.cost_usd).toBeCloseTo(0.06, 6);
    for (const a of t.attempts) {
      expect(a.cost_usd).toBeCloseTo(0.03, 6);
      expect(a.tokens).toEqual({ input: 1200, output: 300, cacheRead: 0, cacheCreation: 0 });
    }
    expect(state.daily.cost_usd).toBeCloseTo(0.06, 6);
    expect(state.daily.tokens.input).toBe(2400);
    expect(project.events().find((e) => e.type === 'ticket_failed').reason).toContain('agent.max_cost_usd');
    const json = JSON.parse((await runCli(project, ['status', '--json'])).stdout);
    expect(json.totals.cost_usd).toBeCloseTo(0.06, 6);
    expect(json.totals.tokens.output).toBe(600);
    expect(json.failed.map((f: any) => f.key)).toEqual(['COST-1']);
    const why = await runCli(project, ['explain', 'COST-1']);
    expect(why.code, why.stderr).toBe(0);
    expect(why.stdout).toContain('ticket spent $0.06 of agent.max_cost_usd $0.05');
  }, 120_000);

  it('stops dispatching for the day once budget.daily_usd is reached', async () => {
    project.writeWorkflow({ agent: { max_concurrent: 1 }, budget: { daily_usd: 0.05 } });
    addTicket('DAY-1', { created_at: '2024-01-01T00:00:00Z' });
    addTicket('DAY-2', { created_at: '2024-01-02T00:00:00Z' });
    addTicket('DAY-3', { created_at: '2024-01-03T00:00:00Z' });
    project.setScenarios({ default: [{ commit_only: { cost: 0.03 } }] });

    const res = await runCli(project, ['start', '--until-idle']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(project.claudeCalls().map((c) => c.env.SWARM_TICKET_ID)).toEqual(['DAY-1', 'DAY-2']);
    const state = project.state();
    expect(state.daily.cost_usd).toBeCloseTo(0.06, 6);
    expect(state.tickets['DAY-3']).toBeUndefined();
    const stop = project.events().filter((e) => e.type === 'budget_reached');
    expect(stop).toHaveLength(1);
    expect(res.stdout).toContain('no new work today');
    expect(res.stdout).toContain('budget.daily_usd $0.05');
    const why = await runCli(project, ['explain', 'DAY-3']);
    expect(why.code, why.stderr).toBe(0);
    expect(why.stdout).toContain("today's spend $0.06 reached budget.daily_usd $0.05");
  }, 120_000);
});

describe('stall, timeout and root', () => {
  it('kills a stalled run and a run past agent.timeout with their whole process group; both counted', async () => {
    project.writeWorkflow({ agent: { max_concurrent: 2, max_attempts: 1, stall_timeout: '3s', timeout: '5s' } });
    addTicket('STALL-1');
    addTicket('SLOW-1');
    project.setScenarios({
      'STALL-1': [[{ init: true }, { text: 'Starting.' }, { spawnSleep: 1000, pidFile: 'stall-sleep.pid' }, { hang: true }]],
      // Busy (a line every 300 ms, so never stalled) but never done; its sleep holds our stdout.
      'SLOW-1': [[{ init: true }, { spawnSleep: 1000, pidFile: 'slow-sleep.pid', holdStdout: true }, { repeat: 1000, steps: [{ text: 'still working' }, { sleep: 300 }] }]],
    });

    const res = await runCli(project, ['start', '--until-idle']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const state = project.state();
    const stall = state.tickets['STALL-1'].attempts[0];
    expect([stall.outcome, stall.counted]).toEqual(['stalled', true]);
    expect(stall.reason).toMatch(/no output for agent.stall_timeout/);
    const slow = state.tickets['SLOW-1'].attempts[0];
    expect([slow.outcome, slow.counted]).toEqual(['timed_out', true]);
    expect(slow.reason).toMatch(/agent.timeout reached/);
    expect(state.tickets['STALL-1'].status).toBe('failed');

    const dir = path.dirname(project.scenariosFile);
    for (const f of ['stall-sleep.pid', 'slow-sleep.pid']) {
      const pid = Number(fs.readFileSync(path.join(dir, f), 'utf8'));
      expect(pid).toBeGreaterThan(0);
      expect(isDead(pid), `${f} (${pid}) is dead`).toBe(true);
    }
    for (const c of project.claudeCalls()) expect(isDead(c.pid as unknown as number)).toBe(true);
  }, 120_000);

  // Claude Code refuses bypassPermissions as root unless IS_SANDBOX=1. These tests only mean something as
  // root (as on this CI and in most containers); as another user there is no rule to check.
  it.skipIf(process.getuid?.() !== 0)('as root with bypassPermissions: the agent gets IS_SANDBOX=1; agent.env IS_SANDBOX "0" is refused at start', async () => {
    project.writeWorkflow({ agent: { permission_mode: 'bypassPermissions' } });
    addTicket('ROOT-1');
    project.setScenarios({ default: [[{ envDump: 'root-env.json' }, 'commit_only']] });
    const res = await runCli(project, ['start', '--until-idle'], { env: { IS_SANDBOX: '0' } }); // inherited, not chosen: overridden
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const env = JSON.parse(fs.readFileSync(path.join(path.dirname(project.scenariosFile), 'root-env.json'), 'utf8'));
    expect(env.IS_SANDBOX).toBe('1');
    expect(project.state().tickets['ROOT-1'].status).toBe('review');

    project.writeWorkflow({ agent: { permission_mode: 'bypassPermissions', env: { IS_SANDBOX: '0' } } });
    const refused = await runCli(project, ['start', '--until-idle']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/runs as root/);
    expect(refused.stderr).toMatch(/IS_SANDBOX is set to "0"/);
    expect(refused.stderr).not.toMatch(/\n\s+at /); // one sentence, no stack
    expect(project.claudeCalls()).toHaveLength(1);
  }, 120_000);
});
