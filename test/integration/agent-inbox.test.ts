// Operator messages into a live session (src/agent/inbox.ts), through the real runner: the prompt goes in
// as the first stream-json message, stdin stays open, a message sent while the agent works is taken in at
// its next turn (echoed on stdout, so it is in the transcript), and stdin is closed at the result once
// nothing is pending, so the agent exits by itself. Proved on the fake claude and on the real pinned binary
// against the fake Messages API (which records what the model was sent).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { buildClaudeArgs } from '../../src/agent/args.js';
import { Inbox, OPERATOR_PREFIX, operatorText } from '../../src/agent/inbox.js';
import { runAgent } from '../../src/agent/runner.js';
import type { StreamEvent } from '../../src/agent/types.js';
import { parseLine } from '../../src/agent/stream.js';
import { startFakeAnthropic, type FakeAnthropic } from '../helpers/fake-anthropic.js';
import { claudeBinary, claudeEnv, makeSandbox, type Sandbox } from '../helpers/real-claude.js';

const FAKE = resolve(fileURLToPath(import.meta.url), '../../helpers/fake-claude.mjs');
const STREAM_ARGS = ['-p', '--output-format', 'stream-json', '--verbose', '--model', 'sonnet', '--max-turns', '5', '--input-format', 'stream-json', '--replay-user-messages'];

let api: FakeAnthropic | null = null;
let box: Sandbox | null = null;
afterEach(async () => {
  await api?.close();
  box?.remove();
  api = null;
  box = null;
});

const replayed = (file: string) =>
  readFileSync(file, 'utf8').split('\n').map((l) => parseLine(l)).filter((e): e is StreamEvent => e !== null && e.type === 'user' && e.raw.isReplay === true);

describe('Inbox (unit)', () => {
  const result = { type: 'result', raw: {} } as unknown as StreamEvent;
  const echo = { type: 'user', toolResults: [], raw: { isReplay: true } } as unknown as StreamEvent;
  it('writes the prompt first, closes stdin at a result once every message was echoed', () => {
    const stdin = new PassThrough();
    const inbox = new Inbox();
    inbox.open(stdin, 'do the task');
    expect(JSON.parse(String(stdin.read()))).toEqual({ type: 'user', message: { role: 'user', content: 'do the task' } });
    inbox.observe(echo);
    expect(inbox.send('also add a test')).toEqual({ ok: true });
    expect(String(stdin.read())).toContain(JSON.stringify(OPERATOR_PREFIX + 'also add a test'));
    inbox.observe(result); // the message is not in yet: the session stays open for its turn
    expect(inbox.isOpen).toBe(true);
    inbox.observe(echo);
    inbox.observe(result);
    expect(inbox.isOpen).toBe(false);
    expect(stdin.writableEnded).toBe(true);
    expect(inbox.send('too late')).toEqual({ ok: false, message: 'the agent has already finished its session' });
  });

  it('a CLI that never echoes is closed at its first result; a pending message waits at most the grace', async () => {
    const quiet = new Inbox();
    quiet.open(new PassThrough(), 'p');
    quiet.send('hello');
    quiet.observe(result);
    expect(quiet.isOpen).toBe(false);
    const slow = new Inbox(50);
    slow.open(new PassThrough(), 'p');
    slow.observe(echo);
    slow.send('hello');
    slow.observe(result);
    expect(slow.isOpen).toBe(true);
    await new Promise((r) => setTimeout(r, 120));
    expect(slow.isOpen).toBe(false);
    expect(new Inbox().send('x')).toMatchObject({ ok: false });
    expect(slow.send('   ')).toEqual({ ok: false, message: 'the message is empty' });
  });
});

describe('runAgent with an inbox', () => {
  it('fake claude: a message sent while a tool runs is taken in at the next turn; the agent exits at its result', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inbox-fake-'));
    const inboxLog = join(dir, 'inbox.jsonl');
    const runFile = join(dir, 'runs', '1.jsonl');
    const inbox = new Inbox();
    let sent = false;
    const res = await runAgent({
      command: FAKE,
      args: STREAM_ARGS,
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin', SWARM_TICKET_ID: 'T-1', SWARM_ATTEMPT: '1', FAKE_CLAUDE_INBOX_LOG: inboxLog,
        FAKE_CLAUDE_SCENARIO: JSON.stringify([{ init: true }, { toolUse: { name: 'Bash', input: { command: 'make' } } }, { sleep: 600 }, { toolResult: { content: 'built' } }, { text: 'Built it.' }, { result: { text: 'Built it.' } }]),
      },
      prompt: 'Build the thing.',
      runFile,
      timeoutMs: 30_000,
      stallTimeoutMs: 20_000,
      inbox,
      onEvent: (ev) => {
        if (!sent && ev.type === 'assistant' && ev.toolUses.length > 0) sent = inbox.send('please also run the linter').ok;
      },
    });
    expect(sent).toBe(true);
    expect(res.exitCode).toBe(0);
    expect(res.killedFor).toBeNull();
    expect(res.summary.result?.result).toBe('Built it.');
    const echoes = replayed(runFile);
    expect(echoes.map((e) => (e.raw.message as { content: string }).content)).toEqual(['Build the thing.', OPERATOR_PREFIX + 'please also run the linter']);
    expect(echoes.map(operatorText)).toEqual([null, 'please also run the linter']);
    expect(readFileSync(inboxLog, 'utf8')).toContain('please also run the linter');
    expect(inbox.isOpen).toBe(false);
  }, 60_000);

  it('real Claude Code: the next request to the Messages API carries the operator text; the session then ends by itself', async () => {
    const bin = claudeBinary();
    api = await startFakeAnthropic();
    box = makeSandbox('swarm-inbox-');
    api.script([{ preamble: 'Running a slow command.', toolUse: { name: 'Bash', input: { command: 'sleep 2; echo slept', description: 'Sleep' } } }, { text: 'All done.' }]);
    const inbox = new Inbox();
    const runFile = join(box.root, 'runs', '1.jsonl');
    let sentAt = -1;
    const res = await runAgent({
      command: bin,
      args: buildClaudeArgs({ max_turns: 5, permission_mode: 'bypassPermissions', append_system_prompt: '', allowed_tools: [], disallowed_tools: [] } as never, { model: 'sonnet', mcpConfigPath: null, maxBudgetUsd: null, streamInput: true }),
      cwd: box.repo,
      env: claudeEnv({ baseUrl: api.url, configDir: box.configDir, home: box.home }),
      prompt: 'Do the task.',
      runFile,
      timeoutMs: 90_000,
      stallTimeoutMs: 60_000,
      killGraceMs: 2_000,
      inbox,
      onEvent: (ev) => {
        if (sentAt < 0 && ev.type === 'assistant' && ev.toolUses.length > 0) {
          sentAt = api!.messageRequests().length;
          expect(inbox.send('OPERATOR-7c1: please also add a test')).toEqual({ ok: true });
        }
      },
    });
    expect(res.exitCode).toBe(0);
    expect(res.killedFor).toBeNull();
    const reqs = api.messageRequests();
    expect(sentAt).toBe(1);
    // The request right after the send carries the text (2.1.328 surfaces a mid-turn message inside the turn).
    const next = JSON.stringify((reqs[sentAt]!.body as { messages: unknown[] }).messages);
    expect(next).toContain('OPERATOR-7c1: please also add a test');
    expect(JSON.stringify((reqs[0]!.body as { messages: unknown[] }).messages)).not.toContain('OPERATOR-7c1');
    expect(replayed(runFile).map(operatorText)).toEqual([null, 'OPERATOR-7c1: please also add a test']);
    expect(res.summary.result?.isError).toBe(false);
  }, 120_000);
});
