#!/usr/bin/env node
// A stand-in for the `claude` CLI in headless stream-json mode, driven by scenarios (see fake-claude.md).
// It records how it was called, reads the prompt from stdin, then plays the scenario chosen for this
// ticket and attempt: stream-json lines shaped like the real CLI's, git commits/pushes, a PR opened on the
// fake GitHub API, grandchildren, hangs and exits.

import { spawn, execFileSync } from 'node:child_process';
import net from 'node:net';
import { appendFileSync, createReadStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { argvRefusal } from './fake-claude-argv.mjs';

const env = process.env;
const argv = process.argv.slice(2);
const VERSION = '2.1.332';
const flag = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : null;
};

// The real CLI answers --version before it checks any other option (measured on 2.1.332:
// `claude --no-such-flag --version` prints the version).
if (argv.includes('--version') || argv.includes('-v')) {
  process.stdout.write(`${VERSION} (Claude Code)\n`);
  process.exit(0);
}

// 1b. What the real CLI refuses while it parses its options (fake-claude-argv.mjs): rc 1, stderr, nothing else.
const refusal = argvRefusal(argv);
if (refusal !== null) {
  process.stderr.write(`${refusal}\n`);
  process.exit(1);
}
const refuse = (message) => {
  process.stderr.write(`${message}\n`);
  process.exit(1);
};

const ctx = {
  model: flag('--model') ?? 'claude-sonnet-4-5',
  sessionId: flag('--session-id') ?? randomUUID(),
  maxTurns: Number(flag('--max-turns') ?? 60),
  permissionMode: argv.includes('--dangerously-skip-permissions') ? 'bypassPermissions' : (flag('--permission-mode') ?? 'default'),
  cwd: process.cwd(),
  key: env.SWARM_TICKET_NUMBER || env.SWARM_TICKET_ID || 'default',
  attempt: Math.max(1, Number.parseInt(env.SWARM_ATTEMPT ?? '1', 10) || 1),
  turns: 0,
  msg: 0,
  startedAt: Date.now(),
};

// 1. Record the call.
if (env.FAKE_CLAUDE_LOG) {
  const swarmEnv = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('SWARM_')));
  // t0: when this process started, as the kernel recorded it (/proc/self/stat starttime against
  // /proc/uptime, 10 ms resolution): the agent's own start time, without node's own boot time in it.
  const line = { argv, cwd: ctx.cwd, env: swarmEnv, model: flag('--model'), pid: process.pid, ts: new Date().toISOString(), t0: processStartEpochMs() };
  mkdirSync(dirname(env.FAKE_CLAUDE_LOG), { recursive: true });
  appendFileSync(env.FAKE_CLAUDE_LOG, JSON.stringify(line) + '\n');
}

function processStartEpochMs() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    return Math.round(Date.now() - (uptime - ticks / 100) * 1000); // USER_HZ is 100 on Linux
  } catch {
    return Math.round(performance.timeOrigin);
  }
}

// 2. Startup checks the real CLI makes (rc 1, stderr, no stdout).
if (flag('--output-format') === 'stream-json' && !argv.includes('--verbose')) {
  process.stderr.write('Error: When using --print, --output-format=stream-json requires --verbose\n');
  process.exit(1);
}
// --session-id must be a UUID, and may name the new id of a resumed session only with --fork-session
// (2.1.332: "Error: Invalid session ID. Must be a valid UUID."; test/fixtures/claude/session-no-fork.*).
const sessionFlag = flag('--session-id');
if (sessionFlag !== null && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(sessionFlag)) {
  refuse('Error: Invalid session ID. Must be a valid UUID.');
}
if (sessionFlag !== null && ['--resume', '-r', '--continue', '-c'].some((f) => argv.includes(f)) && !argv.includes('--fork-session')) {
  refuse('Error: --session-id with --continue or --resume also needs --fork-session.');
}
if (process.getuid?.() === 0 && ctx.permissionMode === 'bypassPermissions' && env.IS_SANDBOX !== '1' && env.FAKE_CLAUDE_ROOT_CHECK !== '0') {
  process.stderr.write('--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons\n');
  process.exit(1);
}

// 2b. `--resume <id>`: like the real CLI (test/fixtures/claude/bad-resume.*), a session with no transcript
// under this config dir fails at once — one error_during_execution result, no init, no turn, rc 1. A
// resumed session keeps its id unless --fork-session gives it a new one. The fake's "transcripts" are
// empty files named by session id under $FAKE_CLAUDE_SESSIONS (default: <CLAUDE_CONFIG_DIR or ~/.claude>/fake-sessions).
const sessionsDir = env.FAKE_CLAUDE_SESSIONS || join(env.CLAUDE_CONFIG_DIR || join(env.HOME || '/tmp', '.claude'), 'fake-sessions');
const resumeId = flag('--resume');
if (resumeId !== null) {
  if (!existsSync(join(sessionsDir, resumeId.replace(/[^A-Za-z0-9-]/g, '_')))) {
    const text = `No conversation found with session ID: ${resumeId}`;
    process.stdout.write(JSON.stringify({
      type: 'result', subtype: 'error_during_execution', duration_ms: 0, duration_api_ms: 0, is_error: true, num_turns: 0, stop_reason: null,
      session_id: flag('--session-id') ?? randomUUID(), total_cost_usd: 0, usage: { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 },
      modelUsage: {}, permission_denials: [], uuid: randomUUID(), errors: [text],
    }) + '\n');
    process.stderr.write(text + '\n');
    await new Promise((r) => process.stdout.write('', r));
    process.exit(1);
  }
  if (!argv.includes('--fork-session')) ctx.sessionId = resumeId;
}
mkdirSync(sessionsDir, { recursive: true });
writeFileSync(join(sessionsDir, ctx.sessionId.replace(/[^A-Za-z0-9-]/g, '_')), '');

// 3. The prompt, from stdin: to EOF (text input), or as the first stream-json user message.
// `--input-format stream-json` (measured on the pinned 2.1.328, see src/agent/inbox.ts): every stdin line is a
// user message {"type":"user","message":{"role":"user","content":"…"}}; the session stays open until stdin
// closes; with `--replay-user-messages` each message is echoed on stdout as a `user` line with
// `isReplay: true` when the CLI takes it in — the prompt right after init, a message sent while a tool runs
// just before the next model turn, one sent after the result as a new turn (a second init, the echo, the
// answer and a second result). Closing stdin ends the session once the turn in progress is done.
const streamInput = flag('--input-format') === 'stream-json';
const replay = argv.includes('--replay-user-messages');
if (replay && !streamInput) {
  process.stderr.write('Error: --replay-user-messages requires both --input-format=stream-json and --output-format=stream-json.\n');
  process.exit(1);
}
const inbox = { queue: [], ended: false, wake: null };
let prompt = '';
if (streamInput) {
  prompt = await firstMessage();
} else {
  const chunks = [];
  if (!process.stdin.isTTY) for await (const c of process.stdin) chunks.push(c);
  prompt = Buffer.concat(chunks).toString('utf8');
}
if (env.FAKE_CLAUDE_PROMPT_DIR) {
  const name = `${env.SWARM_TICKET_ID || ctx.key}-${ctx.attempt}`.replace(/[^A-Za-z0-9._-]/g, '_');
  mkdirSync(env.FAKE_CLAUDE_PROMPT_DIR, { recursive: true });
  // Whole or not at all (temp + rename): a test may read it the moment it appears.
  writeFileSync(join(env.FAKE_CLAUDE_PROMPT_DIR, `.${name}.txt.tmp`), prompt);
  renameSync(join(env.FAKE_CLAUDE_PROMPT_DIR, `.${name}.txt.tmp`), join(env.FAKE_CLAUDE_PROMPT_DIR, `${name}.txt`));
}

/** Read stdin lines in the background; resolve with the first user message's text (the prompt). */
function firstMessage() {
  return new Promise((resolveFirst) => {
    let buf = '';
    let first = true;
    const take = (line) => {
      if (!line.trim()) return;
      let msg;
      try { msg = JSON.parse(line); } catch { return; }
      const content = msg?.message?.content;
      const text = typeof content === 'string' ? content : Array.isArray(content) ? content.map((b) => b?.text ?? '').join('') : '';
      if (first) { first = false; resolveFirst(text); return; }
      inbox.queue.push(text);
      inbox.wake?.();
    };
    process.stdin.on('data', (c) => {
      buf += c;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) { take(buf.slice(0, i)); buf = buf.slice(i + 1); }
    });
    process.stdin.on('end', () => {
      take(buf);
      inbox.ended = true;
      if (first) { first = false; resolveFirst(''); }
      inbox.wake?.();
    });
  });
}

/** Echo the messages taken in (replay) and note them in $FAKE_CLAUDE_INBOX_LOG. */
async function takeInbox() {
  const taken = inbox.queue.splice(0);
  for (const text of taken) {
    if (replay) await line({ type: 'user', message: { role: 'user', content: text }, session_id: ctx.sessionId, parent_tool_use_id: null, uuid: uuid(), timestamp: new Date().toISOString(), isReplay: true });
    if (env.FAKE_CLAUDE_INBOX_LOG) appendFileSync(env.FAKE_CLAUDE_INBOX_LOG, JSON.stringify({ key: ctx.key, attempt: ctx.attempt, text }) + '\n');
  }
  return taken;
}

/** After the scenario: answer what arrives in new turns until stdin closes (the runner closes it at a result). */
async function drainSession() {
  for (;;) {
    if (inbox.queue.length > 0) {
      await line(initLine());
      const taken = await takeInbox();
      const answer = `Noted: ${taken.join(' / ').slice(0, 200)}`;
      await line(assistantLine([{ type: 'text', text: answer }]));
      await line(resultLine({ text: answer }));
      continue;
    }
    if (inbox.ended) return;
    await new Promise((r) => { inbox.wake = r; });
    inbox.wake = null;
  }
}

// ---------- output ----------
const out = (data) =>
  new Promise((res) => {
    if (process.stdout.write(data)) res();
    else process.stdout.once('drain', res);
  });
const line = (obj) => out(JSON.stringify(obj) + '\n');
const flush = () => new Promise((res) => process.stdout.write('', () => res()));
const uuid = () => randomUUID();
const fail = async (msg) => {
  process.stderr.write(`fake-claude: ${msg}\n`);
  await flush();
  process.exit(1);
};

const usageOf = (input, output) => ({
  input_tokens: input, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: output,
  server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 }, service_tier: 'standard',
});

function initLine(o = {}) {
  return {
    type: 'system', subtype: 'init', cwd: ctx.cwd, session_id: ctx.sessionId,
    tools: ['Task', 'Bash', 'Edit', 'Read', 'Write', 'Glob', 'Grep', 'WebFetch'], mcp_servers: [], model: ctx.model,
    permissionMode: ctx.permissionMode, slash_commands: [], apiKeySource: 'none', claude_code_version: VERSION,
    output_style: 'default', agents: [], skills: [], plugins: [], uuid: uuid(), ...o,
  };
}

function assistantLine(content, o = {}) {
  ctx.turns++;
  return {
    type: 'assistant',
    message: { id: `msg_fake_${String(++ctx.msg).padStart(4, '0')}`, type: 'message', role: 'assistant', model: ctx.model, content,
      stop_reason: null, stop_sequence: null, usage: usageOf(12, 1), context_management: null },
    parent_tool_use_id: null, session_id: ctx.sessionId, uuid: uuid(), timestamp: new Date().toISOString(), ...o,
  };
}

function syntheticLine(p) {
  return {
    type: 'assistant',
    message: { id: uuid(), model: '<synthetic>', role: 'assistant', stop_reason: 'stop_sequence', stop_sequence: '', type: 'message',
      usage: usageOf(0, 0), content: [{ type: 'text', text: p.text }], context_management: null },
    parent_tool_use_id: null, session_id: ctx.sessionId, uuid: uuid(), timestamp: new Date().toISOString(),
    error: p.error, request_id: 'req_fake_err_0', is_api_error_message: true, api_error_status: p.status ?? null,
    ...(p.apiError ? { api_error: p.apiError } : {}), ...(p.apiErrorParams ? { api_error_params: p.apiErrorParams } : {}),
    ...(p.apiErrorType ? { api_error_type: p.apiErrorType } : {}),
  };
}

function resultLine(p = {}) {
  const isError = p.isError ?? false;
  const cost = p.cost ?? (isError ? 0 : 0.01);
  const [input, output] = cost > 0 ? [p.inputTokens ?? 1200, p.outputTokens ?? 300] : [0, 0];
  const modelUsage = cost > 0 || input > 0
    ? { [ctx.model]: { inputTokens: input, outputTokens: output, cacheReadInputTokens: 0, cacheCreationInputTokens: 0,
        webSearchRequests: 0, costUSD: cost, contextWindow: 200000, maxOutputTokens: 64000 } }
    : {};
  return {
    type: 'result', subtype: p.subtype ?? 'success', is_error: isError, duration_ms: Date.now() - ctx.startedAt,
    duration_api_ms: 0, num_turns: p.numTurns ?? Math.max(1, ctx.turns), ...(p.text === null ? {} : { result: p.text ?? 'Done.' }),
    stop_reason: p.stopReason ?? 'end_turn', session_id: ctx.sessionId, total_cost_usd: cost, usage: usageOf(input, output),
    modelUsage, permission_denials: p.permissionDenials ?? [], terminal_reason: p.terminalReason ?? 'completed',
    api_error_status: p.apiErrorStatus ?? null, ...(p.apiErrorType ? { api_error_type: p.apiErrorType } : {}),
    ...(p.apiError ? { api_error: p.apiError } : {}), ...(p.errors ? { errors: p.errors } : {}), uuid: uuid(),
  };
}

/** "8:46am" / "4pm" / "Nov 25, 5:46am" in this machine's zone, like the CLI's reset text. */
function resetText(epochS, weekly) {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const d = new Date(epochS * 1000);
  const time = d.toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit', hour12: true, timeZone: tz })
    .replace(/:00 /, ' ').replace(/ ([AP])M$/, (_m, ap) => ap.toLowerCase() + 'm');
  const day = d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: tz });
  return `${weekly ? `${day}, ` : ''}${time} (${tz})`;
}

// ---------- git / GitHub ----------
const gitEnv = {
  ...env,
  GIT_AUTHOR_NAME: env.GIT_AUTHOR_NAME ?? 'fake-claude', GIT_AUTHOR_EMAIL: env.GIT_AUTHOR_EMAIL ?? 'fake-claude@example.invalid',
  GIT_COMMITTER_NAME: env.GIT_COMMITTER_NAME ?? 'fake-claude', GIT_COMMITTER_EMAIL: env.GIT_COMMITTER_EMAIL ?? 'fake-claude@example.invalid',
};
async function git(...args) {
  try {
    return execFileSync('git', args, { cwd: ctx.cwd, env: gitEnv, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  } catch (e) {
    return fail(`git ${args.join(' ')} failed: ${e.stderr?.toString().trim() || e.message}`);
  }
}

async function openPr(p) {
  const api = (env.FAKE_GITHUB_API ?? '').replace(/\/+$/, '');
  const repo = env.SWARM_REPO ?? '';
  if (!api || !repo.includes('/')) return fail('openPr needs FAKE_GITHUB_API and SWARM_REPO=owner/name');
  const ref = env.SWARM_TICKET_NUMBER ? `#${env.SWARM_TICKET_NUMBER}` : (env.SWARM_TICKET_ID ?? '');
  const body = {
    title: p.title ?? `Fix ${ref}`.trim(), head: env.SWARM_BRANCH, base: env.SWARM_BASE_BRANCH,
    body: p.body ?? `Closes ${ref}`, draft: p.draft ?? false,
  };
  const headers = { 'content-type': 'application/json', accept: 'application/vnd.github+json' };
  if (env.FAKE_GITHUB_TOKEN) headers.authorization = `Bearer ${env.FAKE_GITHUB_TOKEN}`;
  let res;
  try {
    res = await fetch(`${api}/repos/${repo}/pulls`, { method: 'POST', headers, body: JSON.stringify(body) });
  } catch (e) {
    return fail(`openPr: ${e.message}`);
  }
  if (!res.ok) return fail(`openPr: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

// ---------- scenarios ----------
const defaultCommit = () => ({
  file: 'fake-claude-change.txt',
  content: `change by fake claude for ${ctx.key}, attempt ${ctx.attempt}, ${new Date().toISOString()}\n`,
  message: env.SWARM_TICKET_NUMBER ? `Fix #${env.SWARM_TICKET_NUMBER}` : `Fix ${env.SWARM_TICKET_ID ?? ctx.key}`,
});
const bash = (command) => ({ toolUse: { name: 'Bash', input: { command, description: 'Run a command' } } });

const SHORTHANDS = {
  success: (p) => [{ init: true }, { text: p.text ?? 'Done.' }, { result: { text: p.text ?? 'Done.', cost: p.cost } }],
  no_changes: () => [{ init: true }, { text: 'I looked into it; nothing needs to change.' },
    { result: { text: 'I looked into it; nothing needs to change.' } }],
  commit_only: (p) => [{ init: true }, { text: "I'll make the change." }, bash('git commit -am "…"'),
    { commit: { ...defaultCommit(), ...p } }, { toolResult: { content: 'committed' } },
    { text: 'Committed the change.' }, { result: { text: 'Committed the change.', cost: p.cost } }],
  commit_and_pr: (p) => [{ init: true }, { text: "I'll make the change and open a pull request." }, bash('git commit -am "…"'),
    { commit: { ...defaultCommit(), ...p } }, { toolResult: { content: 'committed' } }, bash('git push -u origin HEAD'),
    { push: true }, bash('gh pr create'), { openPr: { title: p.title, body: p.body } },
    { toolResult: { content: 'pull request opened' } }, { text: 'Opened a pull request.' },
    { result: { text: 'Opened a pull request.', cost: p.cost } }],
  // The figures the pinned CLI reports for a subscription login's usage window, shaped like its real
  // allowed_warning line (top-level utilization, plus one entry per window under unifiedWindows).
  rate_window: (p) => {
    const resetsAt = p.resetsAt ?? Math.floor(Date.now() / 1000) + (p.resetsIn ?? 3600);
    const type = p.limitType ?? 'five_hour';
    const status = p.status ?? 'allowed_warning';
    const utilization = p.utilization ?? 0.9;
    return [{ emit: { type: 'rate_limit_event', rate_limit_info: { status, resetsAt, rateLimitType: type, utilization, isUsingOverage: false,
      unifiedWindows: { [type]: { utilization, resetsAt, status } } }, uuid: uuid(), session_id: ctx.sessionId } }];
  },
  // Paid extra usage carrying the run past a spent window: the line 2.1.332 prints for a 200 answer with
  // `anthropic-ratelimit-unified-status: rejected` + `-overage-status: allowed` (test/fixtures/claude/overage.*).
  // Nothing else, so it composes before another shorthand (the run then goes on normally).
  overage: (p) => {
    const resetsAt = p.resetsAt ?? Math.floor(Date.now() / 1000) + (p.resetsIn ?? 3600);
    return [{ emit: { type: 'rate_limit_event', rate_limit_info: { status: 'rejected', resetsAt, rateLimitType: p.limitType ?? 'five_hour',
      overageStatus: p.overageStatus ?? 'allowed', isUsingOverage: true }, uuid: uuid(), session_id: ctx.sessionId } }];
  },
  // A refusal to start: the zeroed error_during_execution result with startup_failure_reason that a
  // stream-json run writes before exiting (no init, no request), the message on stderr, rc 1. Shaped like
  // 2.1.332's config_file_invalid (test/fixtures/claude/config-invalid.*); `reason` may be any value of the
  // CLI's startup_failure_reason enum (org_config_refused, org_config_required_unavailable, …).
  startup_failure: (p) => {
    const reason = p.reason ?? 'config_file_invalid';
    const path = p.path ?? join(env.CLAUDE_CONFIG_DIR || join(env.HOME || '/tmp', '.claude'), '.claude.json');
    const text = p.text ?? (reason === 'config_file_invalid'
      ? `Configuration error in ${path}: JSON Parse error: Expected '}'\nNo backup of this file was found.\nFix the JSON in ${path}, or move the file aside to start with default settings.`
      : reason === 'org_config_refused'
        ? 'Your organization requires its policy settings before Claude Code starts, and Anthropic refused them for this sign-in. Sign in again, or ask an admin to allow Claude Code for this account.'
        : `Claude Code could not start (${reason}).`);
    return [{ stderr: text },
      { emit: { type: 'result', subtype: 'error_during_execution', duration_ms: 0, duration_api_ms: 0, is_error: true, num_turns: 0, stop_reason: null,
        session_id: ctx.sessionId, total_cost_usd: 0, usage: usageOf(0, 0), modelUsage: {}, permission_denials: [], uuid: uuid(), errors: [text],
        startup_failure_reason: reason,
        ...(reason === 'config_file_invalid' ? { invalid_config_file: { path, is_global: true, backup_searched: true } } : {}), result_index: 0 } },
      { exit: 1 }];
  },
  // A login or account error of one of the CLI's api_retry kinds (its schema's enum: authentication_failed,
  // oauth_org_not_allowed, account_on_hold, verification_required, billing_error, cloud_credential_error, …):
  // init, `retries` api_retry lines with that kind, then (unless killed first) the synthetic error and the
  // is_error result, rc 1 — as auth_401 does for authentication_failed, and as 2.1.332 ends
  // org-not-allowed / verification (test/fixtures/claude/). `sleepMs` between retries (the CLI's back-off).
  auth_kind: (p) => {
    const error = p.error ?? 'account_on_hold';
    const status = p.status === undefined ? (error === 'cloud_credential_error' ? null : 403) : p.status;
    const text = p.text ?? {
      account_on_hold: "Your account is on hold and can't use Claude Code. View details or appeal: https://claude.ai/restricted",
      oauth_org_not_allowed: 'Your organization has disabled Claude subscription access for Claude Code · Use an Anthropic API key instead, or ask your admin to enable access',
      verification_required: 'API Error: Verify your organization to keep using Claude Code: https://claude.ai/verify',
      cloud_credential_error: 'API Error: Could not load AWS credentials · Check or refresh your AWS credentials and try again.',
    }[error] ?? `API Error: ${error}`;
    const retries = [];
    for (let i = 0; i < (p.retries ?? 1); i++) {
      retries.push({ apiRetry: { attempt: i + 1, maxRetries: 10, status, error } });
      if (p.sleepMs) retries.push({ sleep: p.sleepMs });
    }
    return [{ init: true }, ...retries,
      { syntheticError: { text, error, status } },
      { result: { isError: true, text, terminalReason: 'api_error', apiErrorStatus: status, stopReason: 'stop_sequence', cost: 0 } },
      { exit: 1 }];
  },
  usage_limit: (p) => {
    const resetsAt = p.resetsAt ?? Math.floor(Date.now() / 1000) + (p.resetsIn ?? 3600);
    const type = p.limitType ?? 'five_hour';
    const info = { status: 'rejected', resetsAt, rateLimitType: type, isUsingOverage: false };
    // Texts as 2.1.332 prints them: "5-hour", "weekly" (with the date), and for a model-family weekly limit
    // "You've hit your Opus limit · resets 7:19pm (UTC)" — no date (test/fixtures/claude/usage-opus.*).
    const words = { seven_day: 'weekly', seven_day_opus: 'Opus', seven_day_sonnet: 'Sonnet' }[type] ?? '5-hour';
    const text = `You've hit your ${words} limit · resets ${resetText(resetsAt, type === 'seven_day')}`;
    return [{ init: { apiKeySource: 'none' } },
      { emit: { type: 'rate_limit_event', rate_limit_info: { ...info, unifiedWindows: { [type]: { utilization: 1, resetsAt, status: 'rejected' } } },
        uuid: uuid(), session_id: ctx.sessionId } },
      { syntheticError: { text, error: 'rate_limit', status: 429, apiError: 'usage_limit_reached', apiErrorType: 'rate_limit_error',
        apiErrorParams: { rate_limit_info: info } } },
      { result: { isError: true, text, terminalReason: 'api_error', apiErrorStatus: 429, apiErrorType: 'rate_limit_error',
        apiError: 'usage_limit_reached', stopReason: 'stop_sequence', cost: 0 } },
      { exit: 1 }];
  },
  auth_401: (p) => {
    const text = p.text ?? 'Invalid API key · Fix external API key';
    const retries = Array.from({ length: p.retries ?? 2 }, (_, i) => ({ apiRetry: { attempt: i + 1, maxRetries: p.retries ?? 2 } }));
    return [{ init: true }, ...retries,
      { syntheticError: { text, error: 'authentication_failed', status: 401, apiErrorType: 'authentication_error' } },
      { result: { isError: true, text, terminalReason: 'api_error', apiErrorStatus: 401, apiErrorType: 'authentication_error',
        stopReason: 'stop_sequence', cost: 0 } },
      { exit: 1 }];
  },
  max_turns: () => [{ init: true }, { text: 'I will create the file.' }, bash('echo hello > f.txt'),
    { toolResult: { content: '(Bash completed with no output)' } },
    { result: { isError: true, subtype: 'error_max_turns', terminalReason: 'max_turns', stopReason: 'tool_use', text: null, cost: 0.01,
      errors: [`Reached maximum number of turns (${ctx.maxTurns})`] } },
    { exit: 1 }],
  crash_before_turn: (p) => [...(p.init === false ? [] : [{ init: true }]),
    { stderr: p.text ?? 'Error: fake-claude crashed before the first turn' }, { exit: p.code ?? 1 }],
};

function expand(step) {
  if (typeof step === 'string') {
    if (!SHORTHANDS[step]) throw new Error(`unknown scenario shorthand "${step}"`);
    return SHORTHANDS[step]({});
  }
  const keys = Object.keys(step ?? {});
  if (keys.length === 1 && SHORTHANDS[keys[0]]) return SHORTHANDS[keys[0]](step[keys[0]] === true ? {} : step[keys[0]] ?? {});
  return [step];
}

function chooseScenario() {
  const parse = (s) => { try { return JSON.parse(s); } catch { return s; } };
  if (env.FAKE_CLAUDE_SCENARIO) return parse(env.FAKE_CLAUDE_SCENARIO);
  if (!env.FAKE_CLAUDE_SCENARIOS) return 'success';
  const map = JSON.parse(readFileSync(env.FAKE_CLAUDE_SCENARIOS, 'utf8'));
  const key = [env.SWARM_TICKET_NUMBER, env.SWARM_TICKET_ID].find((k) => k && Object.hasOwn(map, k)) ?? 'default';
  const entry = map[key] ?? 'success';
  const perAttempt = Array.isArray(entry) ? entry : [entry];
  if (perAttempt.length === 0) return 'success';
  return perAttempt[Math.min(ctx.attempt, perAttempt.length) - 1];
}

const baseDir = env.FAKE_CLAUDE_SCENARIOS ? dirname(resolve(env.FAKE_CLAUDE_SCENARIOS)) : ctx.cwd;
const pathOf = (p) => (isAbsolute(p) ? p : resolve(baseDir, p));

async function run(steps) {
  for (const raw of steps) {
    for (const s of expand(raw)) await runStep(s);
  }
}

async function runStep(s) {
  if ('emit' in s) return typeof s.emit === 'string' ? out(s.emit.endsWith('\n') ? s.emit : s.emit + '\n') : line(s.emit);
  if ('write' in s) return out(s.write);
  if ('init' in s) {
    await line(initLine(s.init === true ? {} : s.init));
    if (replay && !ctx.promptEchoed) {
      ctx.promptEchoed = true;
      await line({ type: 'user', message: { role: 'user', content: prompt }, session_id: ctx.sessionId, parent_tool_use_id: null, uuid: uuid(), timestamp: new Date().toISOString(), isReplay: true });
    }
    return;
  }
  // A model turn: messages the operator sent meanwhile are taken in first (echoed before the request).
  if (streamInput && ('text' in s || 'toolUse' in s) && inbox.queue.length > 0) await takeInbox();
  if ('text' in s) return line(assistantLine([{ type: 'text', text: s.text }]));
  if ('toolUse' in s) {
    ctx.toolId = `toolu_fake_${uuid().slice(0, 8)}`;
    return line(assistantLine([{ type: 'tool_use', id: ctx.toolId, name: s.toolUse.name ?? 'Bash', input: s.toolUse.input ?? {} }]));
  }
  if ('toolResult' in s) {
    return line({ type: 'user', message: { role: 'user', content: [{ tool_use_id: ctx.toolId ?? 'toolu_fake_0', type: 'tool_result',
      content: s.toolResult.content ?? '', is_error: s.toolResult.isError ?? false }] }, parent_tool_use_id: null,
      session_id: ctx.sessionId, uuid: uuid(), timestamp: new Date().toISOString() });
  }
  if ('apiRetry' in s) {
    const p = s.apiRetry === true ? {} : s.apiRetry;
    return line({ type: 'system', subtype: 'api_retry', attempt: p.attempt ?? 1, max_retries: p.maxRetries ?? 10,
      retry_delay_ms: p.delayMs ?? 600, error_status: 'status' in p ? p.status : 401, error: p.error ?? 'authentication_failed',
      session_id: ctx.sessionId, uuid: uuid() });
  }
  if ('syntheticError' in s) return line(syntheticLine(s.syntheticError));
  if ('usageLimitUntil' in s) {
    // A usage window that is exhausted until a wall-clock time: every session before it hits the limit.
    if (Date.now() >= s.usageLimitUntil) return;
    return run([{ usage_limit: { resetsAt: Math.ceil(s.usageLimitUntil / 1000), limitType: s.limitType } }]);
  }
  if ('result' in s) {
    ctx.results = (ctx.results ?? 0) + 1;
    return line(resultLine(s.result === true ? {} : s.result));
  }
  if ('ticks' in s) {
    // Tool calls stamped with the wall clock when printed, every `everyMs`: a test measures how soon each appears elsewhere.
    const p = s.ticks === true ? {} : s.ticks;
    for (let i = 1; i <= (p.count ?? 10); i++) {
      await sleep(p.everyMs ?? 200);
      ctx.toolId = `toolu_fake_${uuid().slice(0, 8)}`;
      await line(assistantLine([{ type: 'tool_use', id: ctx.toolId, name: 'Bash', input: { command: `echo tick ${i} at ${Date.now()}`, description: 'Tick' } }]));
      await runStep({ toolResult: { content: `tick ${i}` } });
    }
    return;
  }
  if ('emitFile' in s) {
    for await (const chunk of createReadStream(pathOf(s.emitFile))) await out(chunk);
    return;
  }
  if ('repeat' in s) {
    for (let i = 0; i < s.repeat; i++) await run(s.steps ?? []);
    return;
  }
  if ('sleep' in s) return sleep(s.sleep);
  if ('commit' in s) {
    const c = { ...defaultCommit(), ...(s.commit === true ? {} : s.commit) };
    const file = resolve(ctx.cwd, c.file);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, c.content);
    await git('add', '--', file);
    await git('commit', '-q', '-m', c.message);
    return;
  }
  if ('push' in s) return void (await git('push', '-q', '-u', 'origin', 'HEAD'));
  if ('openPr' in s) return void (await openPr(s.openPr === true ? {} : s.openPr ?? {}));
  if ('spawnSleep' in s) {
    const child = spawn('sleep', [String(s.spawnSleep)], { stdio: s.holdStdout ? ['ignore', 'inherit', 'inherit'] : 'ignore' });
    child.unref();
    if (s.pidFile) {
      // Whole or absent: tests poll for the file and read the number at once.
      writeFileSync(`${pathOf(s.pidFile)}.tmp`, String(child.pid));
      renameSync(`${pathOf(s.pidFile)}.tmp`, pathOf(s.pidFile));
    }
    return;
  }
  if ('envDump' in s) return writeFileSync(pathOf(s.envDump), JSON.stringify(process.env, null, 2));
  if ('probe' in s) return probe(s.probe);
  if ('stderr' in s) return void process.stderr.write(s.stderr.endsWith('\n') ? s.stderr : s.stderr + '\n');
  if ('ignoreTerm' in s) return void process.on('SIGTERM', () => {}); // only SIGKILL stops us now
  if ('hang' in s) {
    setInterval(() => {}, 1 << 30);
    return new Promise(() => {});
  }
  if ('exit' in s) {
    await flush();
    process.exit(s.exit);
  }
  return fail(`unknown step ${JSON.stringify(s)}`);
}

// ---------- probe: what a hostile agent would try (results as JSON, for containment tests) ----------
const home = (p) => (p.startsWith('~/') ? join(env.HOME ?? '/', p.slice(2)) : p);
const outcome = (fn) => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return `error ${e.code ?? e.status ?? e.message}`;
  }
};

/** Direct TCP, then an HTTP CONNECT through $HTTPS_PROXY (the sandbox's only way out), to "host:port". */
async function tryConnect(target) {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const attempt = (opts, greet) => new Promise((done) => {
    const sock = net.connect(opts);
    const timer = setTimeout(() => { sock.destroy(); done('error timeout'); }, 3000);
    sock.once('error', (e) => { clearTimeout(timer); done(`error ${e.code ?? e.message}`); });
    sock.once('connect', () => {
      if (!greet) { clearTimeout(timer); sock.end(); return done('connected'); }
      sock.write(greet);
      sock.once('data', (d) => { clearTimeout(timer); sock.destroy(); done(d.toString('latin1').split('\r\n')[0]); });
    });
  });
  const direct = await attempt({ host, port }, null);
  const proxyUrl = env.HTTPS_PROXY || env.https_proxy;
  let proxy = 'no proxy';
  if (proxyUrl) {
    const u = new URL(proxyUrl);
    const auth = u.username ? `Proxy-Authorization: Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}\r\n` : '';
    proxy = await attempt({ host: u.hostname, port: Number(u.port) }, `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth}\r\n`);
  }
  return { direct, proxy };
}

async function probe(p) {
  const results = {};
  for (const w of p.write ?? []) results[`write ${w}`] = outcome(() => { mkdirSync(dirname(resolve(ctx.cwd, home(w))), { recursive: true }); writeFileSync(resolve(ctx.cwd, home(w)), 'planted by fake-claude\n'); });
  for (const r of p.read ?? []) results[`read ${r}`] = outcome(() => readFileSync(resolve(ctx.cwd, home(r))));
  for (const g of p.git ?? []) results[`git ${g.join(' ')}`] = outcome(() => execFileSync('git', g, { cwd: ctx.cwd, env: gitEnv, stdio: ['ignore', 'pipe', 'pipe'] }));
  for (const c of p.connect ?? []) results[`connect ${c}`] = await tryConnect(c);
  for (const u of p.unix ?? []) {
    results[`unix ${u}`] = await new Promise((done) => {
      const sock = net.connect({ path: resolve(ctx.cwd, u) });
      sock.once('error', (e) => done(`error ${e.code ?? e.message}`));
      sock.once('connect', () => { sock.destroy(); done('connected'); });
    });
  }
  writeFileSync(pathOf(p.out), JSON.stringify(results, null, 2));
}

try {
  const scenario = chooseScenario();
  await run(Array.isArray(scenario) ? scenario : [scenario]);
  // A session that ended its turn with a result stays open for the operator; one that never produced a
  // result (a crash, a torn stream) exits like the real CLI does.
  if (streamInput && ctx.results > 0) await drainSession();
  await flush();
  process.exit(0);
} catch (e) {
  await fail(e?.message ?? String(e));
}
