// Issue #24 (Claude Code part) through the daemon: bin/swarm.js as a real process, the fake claude playing
// answers recorded from the real CLI (and, for extra usage, the real pinned binary against the fake
// Messages API): paid extra usage is not a limit unless agent.use_extra_usage is false; start-up refusals
// and the new login/account error kinds pause without counting; a weekly limit on one model family holds
// only attempts on that family; a per-ticket budget too small for --max-budget-usd is a budget stop.
// One project per case, reused across its steps (resume, new scenarios) to keep the suite lean.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { overageHeaders, startFakeAnthropic, type FakeAnthropic } from '../helpers/fake-anthropic.js';
import { claudeBinary } from '../helpers/real-claude.js';
import { killLeftovers, makeProject, runCli, startDaemon, waitFor, type Daemon, type Project } from '../helpers/daemon.js';

let project: Project;
let daemon: Daemon | null = null;
let api: FakeAnthropic | null = null;

beforeEach(async () => {
  project = await makeProject();
});
afterEach(async () => {
  await daemon?.stop();
  daemon = null;
  await api?.close();
  api = null;
  killLeftovers(project.base);
  project.cleanup();
});

function addTicket(key: string, extra: Record<string, unknown> = {}): void {
  const dir = path.join(project.dir, '.swarm', 'tickets');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${key}.md`), `---\n${JSON.stringify({ title: `Task ${key}`, labels: ['agent'], state: 'open', ...extra })}\n---\nPlease do ${key}.\n`);
}
const callsFor = (key: string) => project.claudeCalls().filter((c) => c.env.SWARM_TICKET_ID === key);
const attempts = (key: string): any[] => project.state().tickets[key]?.attempts ?? [];
const oneLine = (s: string) => s.replace(/\s+/g, ' ');
const accountFile = () => {
  const dir = path.join(project.base, 'xdg-state', 'swarm', 'accounts');
  return JSON.parse(fs.readFileSync(path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.json'))!), 'utf8'));
};

describe('Claude Code answers the real CLI gives (issue 24)', { timeout: 150_000 }, () => {
  it('start-up refusals and the new auth kinds pause the login with the fix, never counted; account_on_hold is killed at its first api_retry', async () => {
    project.writeWorkflow({ agent: { max_concurrent: 1, max_attempts: 2 } });
    addTicket('cfg');
    addTicket('later', { created_at: '2030-01-01T00:00:00Z' });

    // 1. config_file_invalid on every run (the zeroed result 2.1.332 writes).
    project.setScenarios({ default: [{ startup_failure: { reason: 'config_file_invalid' } }] });
    let res = await runCli(project, ['start', '--until-idle'], { timeoutMs: 60_000 });
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(oneLine(res.stdout + res.stderr)).toMatch(/stopping: dispatch is paused until an operator acts \(Claude Code refused to start \(config_file_invalid\).*repair the JSON.*then `swarm resume`\)/);
    let state = project.state();
    expect(state.pause).toMatchObject({ kind: 'auth', until: null });
    for (const key of ['cfg', 'later']) expect(state.tickets[key]?.failures ?? 0, key).toBe(0);
    expect(Object.values<any>(state.tickets).flatMap((t) => t.attempts).filter((a) => a.counted)).toEqual([]);
    expect(project.claudeCalls()).toHaveLength(1); // paused after the first refusal: nothing else started
    let status = await runCli(project, ['status']);
    expect(oneLine(status.stdout)).toMatch(/config_file_invalid.*repair the JSON of the Claude Code configuration file/);

    // 2. org_config_refused the same way, after the operator resumes.
    expect((await runCli(project, ['resume'])).code).toBe(0);
    project.setScenarios({ default: [{ startup_failure: { reason: 'org_config_refused' } }] });
    res = await runCli(project, ['start', '--until-idle'], { timeoutMs: 60_000 });
    expect(res.code, res.stdout + res.stderr).toBe(1);
    status = await runCli(project, ['status']);
    expect(oneLine(status.stdout)).toMatch(/org_config_refused.*sign in again.*admin allow Claude Code/);
    state = project.state();
    expect(Object.values<any>(state.tickets).flatMap((t) => t.attempts).filter((a) => a.counted)).toEqual([]);

    // 3. account_on_hold in an api_retry: the CLI would retry for minutes; swarm kills it at the first one.
    expect((await runCli(project, ['resume'])).code).toBe(0);
    project.setScenarios({ default: [{ auth_kind: { error: 'account_on_hold', retries: 3, sleepMs: 30_000 } }] });
    const before = project.claudeCalls().length;
    res = await runCli(project, ['start', '--until-idle'], { timeoutMs: 60_000 });
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(project.claudeCalls()).toHaveLength(before + 1);
    state = project.state();
    const last = Object.values<any>(state.tickets).flatMap((t) => t.attempts).at(-1);
    expect(last).toMatchObject({ outcome: 'auth_failed', counted: false });
    expect(last.duration_ms).toBeLessThan(20_000); // killed at the first retry, not after the CLI's 30 s back-off
    expect(state.pause).toMatchObject({ kind: 'auth' });
    expect(state.pause.reason).toMatch(/account_on_hold.*claude\.ai\/restricted.*then `swarm resume`/);
    expect(project.events().some((e) => e.type === 'finished' && e.outcome === 'auth_failed' && /on hold/.test(e.reason))).toBe(true);
    for (const key of ['cfg', 'later']) expect(state.tickets[key]?.failures ?? 0, key).toBe(0);
  });

  it('paid extra usage: no pause and the next ticket starts (status says "extra usage"); with use_extra_usage false the run is stopped and the account waits for the reset', async () => {
    // use_extra_usage: false first. The window resets 4 s after the run meets it.
    project.writeWorkflow({ agent: { max_concurrent: 1, use_extra_usage: false } });
    addTicket('paid');
    project.setScenarios({ paid: [[{ overage: { resetsIn: 4 } }, { sleep: 20_000 }, 'commit_only'], 'commit_only'] });
    let res = await runCli(project, ['start', '--until-idle'], { timeoutMs: 90_000 });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const paused = project.events().filter((e) => e.type === 'paused' && e.kind === 'rate_limit');
    expect(paused).toHaveLength(1);
    expect(paused[0].reason).toMatch(/agent\.use_extra_usage is false/);
    const [first, second] = attempts('paid');
    expect(first).toMatchObject({ outcome: 'rate_limited', counted: false });
    expect(first.duration_ms).toBeLessThan(15_000); // stopped at the overage event, not after its 20 s of work
    expect(second).toMatchObject({ outcome: 'pr_auto_opened' });
    expect(Date.parse(project.events().find((e) => e.type === 'started' && e.attempt === 2 && e.ticket === 'paid').at)).toBeGreaterThanOrEqual(Date.parse(paused[0].until) - 50);

    // Allowed (the default): the run goes on, nothing pauses, the next ticket starts at once.
    project.writeWorkflow({ agent: { max_concurrent: 1 } });
    addTicket('over', { created_at: '2030-01-01T00:00:00Z' });
    addTicket('next', { created_at: '2030-01-02T00:00:00Z' });
    project.setScenarios({ over: [[{ overage: { resetsIn: 3600 } }, 'commit_only']], next: ['commit_only'] });
    const pausesBefore = project.events().filter((e) => e.type === 'paused').length;
    res = await runCli(project, ['start', '--until-idle'], { timeoutMs: 60_000 });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(project.events().filter((e) => e.type === 'paused')).toHaveLength(pausesBefore);
    expect(attempts('over')).toEqual([expect.objectContaining({ outcome: 'pr_auto_opened', counted: false })]);
    expect(attempts('next')).toEqual([expect.objectContaining({ outcome: 'pr_auto_opened' })]);
    expect(accountFile().window).toMatchObject({ status: 'rejected', type: 'five_hour', overage: true });
    const status = await runCli(project, ['status']);
    expect(oneLine(status.stdout)).toMatch(/window spent \(five_hour limit\): runs go on paid extra usage until it resets/);
    expect(status.stdout).not.toMatch(/PAUSED/);
  });

  it('the real Claude Code against a Messages API answering with the overage headers: no pause, the next ticket starts, status says extra usage', async () => {
    api = await startFakeAnthropic();
    const reset = Math.floor(Date.now() / 1000) + 3600;
    // 2.1.332 reports isUsingOverage for a 200 carrying these headers on a subscription login (docs/claude-code-notes.md).
    const overage = overageHeaders('five_hour', reset);
    api.respond((body) => {
      const msgs = JSON.stringify(body?.messages ?? []);
      if (msgs.includes('tool_result')) return { text: 'Committed the change.', headers: overage };
      return { preamble: 'Making the change.', headers: overage, toolUse: { name: 'Bash', input: { command: 'echo x >> extra.txt && git add extra.txt && git commit -q -m "Extra usage fix"', description: 'Commit' } } };
    });
    const home = path.join(project.base, 'claude-home');
    fs.mkdirSync(path.join(home, 'config'), { recursive: true });
    Object.assign(project.env, {
      ANTHROPIC_BASE_URL: api.url, CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-fake-token-for-tests', CLAUDE_CONFIG_DIR: path.join(home, 'config'),
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', HOME: home,
    });
    project.writeWorkflow({ agent: { command: claudeBinary(), max_concurrent: 1, max_turns: 5, stall_timeout: '60s' } });
    addTicket('one', { created_at: '2030-01-01T00:00:00Z' });
    addTicket('two', { created_at: '2030-01-02T00:00:00Z' });

    const res = await runCli(project, ['start', '--until-idle'], { timeoutMs: 120_000 });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(project.events().filter((e) => e.type === 'paused')).toEqual([]);
    expect(attempts('one')).toEqual([expect.objectContaining({ outcome: 'pr_auto_opened' })]);
    expect(attempts('two')).toEqual([expect.objectContaining({ outcome: 'pr_auto_opened' })]);
    expect(fs.readFileSync(path.join(project.dir, '.swarm', 'runs', 'one', '1.jsonl'), 'utf8')).toMatch(/"isUsingOverage":true/);
    const status = await runCli(project, ['status']);
    expect(oneLine(status.stdout)).toMatch(/runs go on paid extra usage/);
  });

  it('a seven_day_opus limit holds only Opus attempts: a fresh (Sonnet) ticket starts, one due for Opus waits; a budget too small for --max-budget-usd is a stop without a start', async () => {
    project.writeWorkflow({ agent: { max_concurrent: 2, models: ['sonnet', 'opus'], max_cost_usd: 0.05, retry_backoff: '1s' } });
    addTicket('opus', { created_at: '2030-01-01T00:00:00Z' });
    addTicket('due', { created_at: '2030-01-02T00:00:00Z' });
    addTicket('cheap', { created_at: '2030-01-03T00:00:00Z' });
    project.setScenarios({
      // First attempt counts (sonnet), the second (opus) meets the weekly Opus limit.
      opus: ['no_changes', { usage_limit: { limitType: 'seven_day_opus', resetsIn: 3 * 86_400 } }],
      // Fails on sonnet after the Opus limit is known: its next attempt is due on opus.
      due: [[{ sleep: 6000 }, 'no_changes'], 'commit_only'],
      // Costs $0.04997 of the $0.05: $0.00003 left, less than --max-budget-usd can say.
      cheap: [[{ init: true }, { text: 'Tried.' }, { result: { text: 'Tried.', cost: 0.04997 } }], 'commit_only'],
      fresh: ['commit_only'],
    });
    daemon = startDaemon(project);
    await waitFor(() => project.events().find((e) => e.type === 'account_limit' && e.model_family === 'opus'), { timeoutMs: 60_000, what: 'the Opus limit' });
    await waitFor(() => project.state().tickets.due?.failures === 1 && project.state().tickets.cheap?.status === 'failed', { timeoutMs: 60_000, what: 'due counted once, cheap stopped' });
    addTicket('fresh', { created_at: '2030-01-04T00:00:00Z' });
    await waitFor(() => project.state().tickets.fresh?.status === 'review', { timeoutMs: 60_000, what: 'the fresh ticket handed off on sonnet' });
    // `due` was ready for its retry long ago (1 s backoff): a few more polls, it still does not start on opus.
    await waitFor(() => Date.now() - Date.parse(project.state().tickets.due.next_retry_at) > 3000, { timeoutMs: 30_000, what: 'due past its retry time' });
    expect(callsFor('due').map((c) => c.model)).toEqual(['sonnet']);
    expect(callsFor('opus').map((c) => c.model)).toEqual(['sonnet', 'opus']);
    expect(callsFor('fresh').map((c) => c.model)).toEqual(['sonnet']);
    expect(attempts('opus')[1]).toMatchObject({ outcome: 'rate_limited', counted: false });
    expect(project.events().filter((e) => e.type === 'paused')).toEqual([]); // nothing paused the whole daemon
    // The account record carries the family's limit; status and explain say who waits for what.
    expect(accountFile().model_limits.opus).toMatchObject({ limit_type: 'seven_day_opus' });
    const status = await runCli(project, ['status']);
    expect(oneLine(status.stdout)).toMatch(/opus attempts wait \(seven_day_opus limit\); other models go on until 20\d\d-/);
    const why = await runCli(project, ['explain', 'due']);
    expect(oneLine(why.stdout)).toMatch(/weekly Opus limit \(seven_day_opus\) on Claude account .* holds opus attempts until/);
    expect(oneLine((await runCli(project, ['explain', 'fresh'])).stdout)).not.toMatch(/Opus limit/);

    // The budget stop: one run, then failed for its budget — never a start with --max-budget-usd 0.
    expect(callsFor('cheap')).toHaveLength(1);
    expect(callsFor('cheap')[0]!.argv).toContain('--max-budget-usd');
    const cheap = project.state().tickets.cheap;
    expect(cheap.status).toBe('failed');
    expect(project.events().find((e) => e.type === 'ticket_failed' && e.ticket === 'cheap').reason).toMatch(/the \$0\.00003 left is below the \$0\.0001 Claude Code needs for --max-budget-usd/);
  });
});
