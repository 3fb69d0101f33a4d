// Issue #27 acceptance 3: "Send message" on a running attempt of the real pinned Claude Code binary (inside
// swarm's sandbox and under its supervisor, against the fake Messages API, which records every request) →
// the next request the model gets carries the operator's text; the transcript on the page shows it, live;
// events.jsonl records it. The daemon runs as a real process; the page is driven in headless Chromium with
// a session from `swarm dashboard`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeProject, runCli, startDaemon, waitFor, killLeftovers, type Daemon, type Project } from '../helpers/daemon.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { startFakeAnthropic, type FakeAnthropic } from '../helpers/fake-anthropic.js';
import { claudeBinary } from '../helpers/real-claude.js';

const TEXT = 'OPERATOR-41c: please also add a regression test';
let project: Project;
let daemon: Daemon;
let api: FakeAnthropic;
let tb: TestBrowser;

beforeAll(async () => {
  project = await makeProject();
  api = await startFakeAnthropic();
  // The model runs a slow command first (the operator writes meanwhile), then answers what it was told.
  api.respond((body) => {
    const msgs = JSON.stringify(body?.messages ?? []);
    if (msgs.includes('OPERATOR-41c')) return { text: 'Understood: I will add the regression test too.' };
    if (msgs.includes('tool_result')) return { text: 'Done.' };
    return { preamble: 'Running the slow check first.', toolUse: { name: 'Bash', input: { command: 'sleep 6; echo checked', description: 'Slow check' } } };
  });
  // Inside swarm's sandbox (the default), under the supervisor's lifeline, as a user runs it: stdin reaches
  // the CLI through both wrappers. The agent's environment is the sandbox's allow-list plus agent.env.
  const home = path.join(project.base, 'claude-home');
  fs.mkdirSync(path.join(home, 'config'), { recursive: true });
  project.env.HOME = home;
  project.writeWorkflow({
    agent: {
      command: claudeBinary(), sandbox: 'on', max_concurrent: 1, max_attempts: 1, max_turns: 5, stall_timeout: '60s',
      env: {
        IS_SANDBOX: null, ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: 'sk-ant-api03-fake-key-for-tests', CLAUDE_CONFIG_DIR: path.join(home, 'config'),
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', CLAUDE_CODE_MAX_RETRIES: '1',
      },
    },
    server: { port: 0 },
  });
  const dir = path.join(project.dir, '.swarm', 'tickets');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'steer.md'), `---\n${JSON.stringify({ title: 'A ticket the operator steers', labels: ['agent'] })}\n---\nCheck the thing.\n`);
  daemon = startDaemon(project);
  await daemon.waitForOutput(/dashboard and API on (http:\/\/127\.0\.0\.1:\d+\/)/, 60_000);
  tb = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await tb?.close();
  await daemon?.stop();
  await api?.close();
  if (project) killLeftovers(project.base);
  project?.cleanup();
});

it('3. a message sent from the page reaches the running real Claude Code session at its next request, and the transcript shows it', async () => {
  const out = await runCli(project, ['dashboard']);
  expect(out.code, out.stderr).toBe(0);
  const link = /(http:\/\/\S+\/login\?token=\S+)/.exec(out.stdout)![1]!;
  const ctx = await tb.context();
  const page = await ctx.newPage();
  page.setDefaultTimeout(30_000);
  await page.goto(link);
  await waitFor(() => project.state().tickets.steer?.status === 'running', { timeoutMs: 60_000, what: 'steer running' });
  expect(project.report().config.sandbox).toBe('on');
  await page.goto(new URL('/tickets/steer', link).toString());
  // The slow command is running: the operator writes.
  await page.locator('#transcript .ln.tool').first().waitFor();
  const before = api.messageRequests().length;
  await page.fill('#message-text', TEXT);
  await page.click('#message-form button[type="submit"]');
  await expect.poll(async () => page.locator('#toast').textContent(), { timeout: 10_000 }).toMatch(/delivered to attempt 1 of steer/);

  // The next request the fake API receives carries the text (2.1.328 and 2.1.332 surface a message sent mid-turn inside
  // the turn, with the tool's result: a `system` message "The user sent a new message while you were working").
  await waitFor(() => api.messageRequests().length > before, { timeoutMs: 30_000, what: 'the next model request' });
  const next = api.messageRequests()[before]!;
  const carrying = ((next.body as { messages: { role: string; content: unknown }[] }).messages).filter((m) => JSON.stringify(m.content).includes(TEXT));
  expect(carrying.length).toBe(1);
  console.log(`the operator's text reached the model as a "${carrying[0]!.role}" message: ${JSON.stringify(carrying[0]!.content).slice(0, 160)}`);
  for (const r of api.messageRequests().slice(0, before)) expect(JSON.stringify(r.body)).not.toContain(TEXT);

  // The transcript shows it (live, from the CLI's echo), and the events log records it.
  await page.locator('#transcript .ln.operator', { hasText: TEXT }).waitFor();
  expect(project.events().filter((e) => e.type === 'operator_message')).toMatchObject([{ key: 'steer', attempt: 1, text: TEXT }]);
  // The session ended by itself once the model had answered everything (stdin closed at the result).
  await waitFor(() => project.events().some((e) => e.type === 'finished' && e.key === 'steer'), { timeoutMs: 60_000, what: 'attempt finished' });
  const fin = project.events().find((e) => e.type === 'finished' && e.key === 'steer');
  expect(fin.outcome).not.toMatch(/stalled|timed_out|infra_failed/);
  expect(fs.readFileSync(project.state().tickets.steer.attempts[0].run_file, 'utf8')).toContain(TEXT);
  await ctx.close();
}, 150_000);
