// The real Claude Code binary (pinned dev dependency), started by swarm's own runner with swarm's own argv,
// against the fake Anthropic Messages API on 127.0.0.1. Proves on the real CLI: the Bash tool really commits
// in the worktree, usage limits carry the served reset epoch, auth failures are cut short at the first
// api_retry, a stalled stream is killed with its whole process group, and max_turns is an agent error.
// Never skipped: if the binary cannot run here, claudeBinary() fails with a message saying why.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildClaudeArgs } from '../../src/agent/args.js';
import { classify } from '../../src/agent/classify.js';
import { resumeFailed } from '../../src/agent/resume.js';
import { isGroupAlive } from '../../src/agent/procs.js';
import { runAgent } from '../../src/agent/runner.js';
import type { Config } from '../../src/config/types.js';
import type { RunRequest, RunResult } from '../../src/agent/types.js';
import { startFakeAnthropic, usageLimitStep, type FakeAnthropic, type FakeStep } from '../helpers/fake-anthropic.js';
import { claudeBinary, claudeEnv, makeSandbox, type ClaudeEnvOptions, type Sandbox } from '../helpers/real-claude.js';

const TEST_TIMEOUT = 150_000;
const COMMIT_CMD = 'echo hello > hello.txt && git add hello.txt && git commit -q -m "Add hello.txt"';

function agentConfig(over: Partial<Config['agent']> = {}): Config['agent'] {
  return {
    command: 'claude', max_concurrent: 1, max_attempts: 3, models: ['sonnet'], max_turns: 5,
    permission_mode: 'bypassPermissions', allowed_tools: [], disallowed_tools: [], mcp_servers: {},
    append_system_prompt: '', env: {}, timeout: 120_000, stall_timeout: 60_000, fast_fail: 10_000,
    retry_backoff: 30_000, max_retry_backoff: 1_800_000, max_cost_usd: null, use_extra_usage: true, transcript_max: 200 * 1024 * 1024,
    account: null, lanes: { urgent: { labels: [] }, background: { labels: [], hours: null, max_concurrent: null } }, pacing: { reserve: null },
    sandbox: { enabled: false, network: { allow: [] }, filesystem: { allow_write: [], allow_read: [] } }, ...over,
  };
}

let bin: string;
let fake: FakeAnthropic | null = null;
let sb: Sandbox | null = null;

beforeAll(() => {
  bin = claudeBinary(); // throws a clear error when the real binary cannot run here
});

afterEach(async () => {
  await fake?.close();
  sb?.remove();
  fake = null;
  sb = null;
});

interface Setup {
  steps: FakeStep[];
  agent?: Partial<Config['agent']>;
  env?: Partial<ClaudeEnvOptions>;
  req?: Partial<RunRequest>;
}

async function run(setup: Setup): Promise<{ res: RunResult; pid: number; base: string; box: Sandbox; api: FakeAnthropic; runFile: string }> {
  const api = (fake = await startFakeAnthropic());
  const box = (sb = makeSandbox('swarm-real-claude-'));
  api.script(setup.steps);
  const agent = agentConfig(setup.agent);
  const base = box.git('rev-parse', 'HEAD').trim();
  const runFile = join(box.root, 'runs', 'T-1', '1.jsonl');
  let pid = 0;
  const res = await runAgent({
    command: bin,
    args: buildClaudeArgs(agent, { model: 'sonnet', mcpConfigPath: null, maxBudgetUsd: null }),
    cwd: box.repo,
    env: claudeEnv({ baseUrl: api.url, configDir: box.configDir, home: box.home, ...setup.env }),
    prompt: 'Make the requested change and commit it.',
    runFile,
    timeoutMs: agent.timeout,
    stallTimeoutMs: agent.stall_timeout,
    killGraceMs: 2_000,
    onSpawn: (p) => {
      pid = p;
    },
    ...setup.req,
  });
  return { res, pid, base, box, api, runFile };
}

const handoffFor = (box: Sandbox, base: string) => ({
  prExists: false,
  commitsAhead: Number(box.git('rev-list', '--count', `${base}..HEAD`).trim()),
  canAutoOpen: true,
});
const opts = { fastFailMs: 10_000, now: Date.now() };

describe('real Claude Code run by swarm (fake Anthropic API)', () => {
  it('runs a Bash tool that commits in the repo → pr_auto_opened', async () => {
    const { res, pid, base, box, api, runFile } = await run({
      steps: [
        { preamble: 'I will make the change.', toolUse: { name: 'Bash', input: { command: COMMIT_CMD, description: 'Write and commit hello.txt' } } },
        { text: 'Committed hello.txt.' },
      ],
    });
    expect(res.spawnError).toBeNull();
    expect(res.exitCode).toBe(0);
    expect(res.summary.result?.isError).toBe(false);
    // The tool really ran: the file and the commit exist.
    expect(readFileSync(join(box.repo, 'hello.txt'), 'utf8')).toBe('hello\n');
    expect(box.git('log', '-1', '--format=%s').trim()).toBe('Add hello.txt');
    const handoff = handoffFor(box, base);
    expect(handoff.commitsAhead).toBe(1);
    // Two model turns: the follow-up request carried the tool_result.
    const msgs = api.messageRequests();
    expect(msgs).toHaveLength(2);
    expect(JSON.stringify(msgs[1]!.body)).toContain('tool_result');
    expect(msgs.every((m) => m.auth === 'api-key')).toBe(true);
    // The raw stream was kept line for line.
    expect(readFileSync(runFile, 'utf8').split('\n').filter(Boolean)).toHaveLength(res.summary.lines);
    expect(isGroupAlive(pid)).toBe(false);
    const c = classify(res, handoff, opts);
    expect(c.outcome).toBe('pr_auto_opened');
    expect(c.counted).toBe(false);
  }, TEST_TIMEOUT);

  it('a subscription usage limit → rate_limited with the served reset epoch', async () => {
    const resetEpochS = Math.floor(Date.now() / 1000) + 3 * 3600;
    const { res, base, box, api } = await run({
      steps: [{ ...usageLimitStep('five_hour', resetEpochS), times: Infinity }],
      env: { auth: 'oauth' },
    });
    expect(api.messageRequests().every((m) => m.auth === 'bearer')).toBe(true);
    expect(res.exitCode).toBe(1);
    expect(res.summary.rateLimit).toEqual({ resetsAt: resetEpochS, rateLimitType: 'five_hour' });
    const c = classify(res, handoffFor(box, base), opts);
    expect(c).toMatchObject({ outcome: 'rate_limited', counted: false, resetAt: resetEpochS * 1000, limitType: 'five_hour' });
  }, TEST_TIMEOUT);

  it('401 is cut short at the first authentication api_retry → auth_failed', async () => {
    const ac = new AbortController();
    const { res, pid, base, box, api } = await run({
      // No CLAUDE_CODE_MAX_RETRIES: left alone the CLI retries a 401 ten times (about 3 minutes).
      steps: [{ error: { status: 401, type: 'authentication_error', message: 'invalid x-api-key' }, times: Infinity }],
      req: {
        signal: ac.signal,
        onEvent: (ev) => {
          if (ev.type === 'api_retry' && (ev.error === 'authentication_failed' || ev.error === 'billing_error')) ac.abort('auth');
        },
      },
    });
    expect(res.killedFor).toBe('auth');
    expect(res.summary.apiRetries[0]).toMatchObject({ errorStatus: 401, error: 'authentication_failed' });
    expect(res.summary.result).toBeNull(); // killed before the CLI gave up by itself
    expect(res.durationMs).toBeLessThan(30_000); // behavioural bound: far from the 3-minute retry ladder
    expect(api.messageRequests().length).toBeLessThan(5);
    expect(isGroupAlive(pid)).toBe(false);
    const c = classify(res, handoffFor(box, base), opts);
    expect(c).toMatchObject({ outcome: 'auth_failed', counted: false });
  }, TEST_TIMEOUT);

  it('a stream that stalls after message_start → stalled, process group gone', async () => {
    const { res, pid, base, box, api } = await run({
      steps: [{ stall: true, times: Infinity }],
      req: { stallTimeoutMs: 3_000 },
    });
    expect(api.messageRequests().length).toBeGreaterThanOrEqual(1); // the stall was really served
    expect(res.summary.sessionId).not.toBeNull(); // init arrived, then silence
    expect(res.summary.result).toBeNull();
    expect(res.killedFor).toBe('stall');
    expect(pid).toBeGreaterThan(0);
    expect(isGroupAlive(pid)).toBe(false);
    const c = classify(res, handoffFor(box, base), opts);
    expect(c).toMatchObject({ outcome: 'stalled', counted: true });
  }, TEST_TIMEOUT);

  it('max_turns reached → agent_error', async () => {
    const { res, base, box } = await run({
      steps: [
        { preamble: 'Writing.', toolUse: { name: 'Bash', input: { command: 'echo hello > f.txt', description: 'Write f.txt' } } },
        { text: 'Done.' },
      ],
      agent: { max_turns: 1 },
    });
    expect(res.exitCode).toBe(1);
    expect(res.summary.result).toMatchObject({ subtype: 'error_max_turns', isError: true });
    expect(existsSync(join(box.repo, 'f.txt'))).toBe(true); // the one allowed turn did run the tool
    const c = classify(res, handoffFor(box, base), opts);
    expect(c).toMatchObject({ outcome: 'agent_error', counted: true });
    expect(c.reason).toContain('max_turns');
  }, TEST_TIMEOUT);

  it('--resume: an unknown session id → resumeFailed (never counted by the classifier); a known one resumes', async () => {
    const SESSION = '11111111-2222-4333-8444-555555555555';
    const agent = agentConfig();
    const first = await run({
      steps: [{ text: 'First attempt done.' }],
      req: { args: buildClaudeArgs(agent, { model: 'sonnet', mcpConfigPath: null, maxBudgetUsd: null, sessionId: SESSION }) },
    });
    expect(first.res.summary.sessionId).toBe(SESSION);
    expect(resumeFailed(first.res)).toBe(false);
    const again = (resume: string, sessionId?: string) =>
      runAgent({
        command: bin,
        args: buildClaudeArgs(agent, { model: 'sonnet', mcpConfigPath: null, maxBudgetUsd: null, resume, sessionId }),
        cwd: first.box.repo,
        env: claudeEnv({ baseUrl: first.api.url, configDir: first.box.configDir, home: first.box.home }),
        prompt: 'The check failed: fix it.',
        runFile: join(first.box.root, 'runs', 'T-1', '2.jsonl'),
        timeoutMs: agent.timeout,
        stallTimeoutMs: agent.stall_timeout,
        killGraceMs: 2_000,
      });

    const before = first.api.messageRequests().length;
    const unknown = await again('99999999-2222-4333-8444-555555555555');
    expect(unknown.exitCode).toBe(1);
    expect(unknown.summary.sawModelTurn).toBe(false);
    expect(unknown.summary.result).toMatchObject({ subtype: 'error_during_execution', isError: true, numTurns: 0 });
    expect(unknown.summary.result!.errors.join('\n')).toContain('No conversation found with session ID: 99999999-2222-4333-8444-555555555555');
    expect(unknown.stderrTail).toContain('No conversation found with session ID');
    expect(first.api.messageRequests().length).toBe(before); // nothing reached the API
    expect(resumeFailed(unknown)).toBe(true);
    // The zeroed refusal before any model turn is never the ticket's fault (issue 24); the caller starts fresh.
    expect(classify(unknown, handoffFor(first.box, first.base), opts)).toMatchObject({ outcome: 'infra_failed', counted: false, rule: 'zeroed_result' });

    // The known session resumes under a new id (--fork-session): the model sees the first conversation.
    const FORK = '33333333-2222-4333-8444-555555555555';
    first.api.script([{ text: 'Fixed it.' }]);
    const resumed = await again(SESSION, FORK);
    expect(resumed.exitCode).toBe(0);
    expect(resumed.summary.sessionId).toBe(FORK);
    expect(resumeFailed(resumed)).toBe(false);
    const last = first.api.messageRequests().at(-1)!;
    expect(JSON.stringify(last.body)).toContain('First attempt done.');
    expect(JSON.stringify(last.body)).toContain('The check failed: fix it.');
  }, TEST_TIMEOUT);
});
