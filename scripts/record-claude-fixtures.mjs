#!/usr/bin/env node
// Re-records test/fixtures/claude/*: the real Claude Code binary (pinned dev dependency) run against
// the fake Messages API on 127.0.0.1, one scenario per failure/success shape swarm must classify.
//   node scripts/record-claude-fixtures.mjs            # all scenarios
//   node scripts/record-claude-fixtures.mjs e401 ok    # only these
// Temp paths are replaced by /tmp/swarm-fixture; everything else is kept verbatim.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { overageHeaders, startFakeAnthropic, usageLimitStep } from '../test/helpers/fake-anthropic.mjs';
import { claudeArgs, claudeBinary, claudeEnv, makeSandbox, runClaude, scrubPaths } from '../test/helpers/real-claude.mjs';

const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'claude');
const COMMIT_CMD = 'echo hello > hello.txt && git add hello.txt && git commit -q -m "Add hello.txt"';
const bashStep = (command, description) => ({ preamble: 'I will make the change.', toolUse: { name: 'Bash', input: { command, description } } });
const err = (status, type, message, extra = {}) => ({ error: { status, type, message }, ...extra });
const nowS = () => Math.floor(Date.now() / 1000);

/** @typedef {{ name: string, about: string, steps?: (ctx: any) => any[], auth?: 'api-key'|'oauth', maxRetries?: number,
 *   apiTimeoutMs?: number, maxTurns?: number, permissionMode?: string, extraArgs?: string[], closedPort?: boolean,
 *   resetEpochS?: () => number, limitType?: string, model?: string, before?: (sb: any) => void }} Scenario */
/** @type {Scenario[]} */
const SCENARIOS = [
  { name: 'ok', about: 'one text reply, no tools, no commits', steps: () => [{ text: 'Nothing to change here.' }] },
  { name: 'tool-commit', about: 'Bash tool_use that writes a file and commits it; the commit exists afterwards (commitsAhead 1)',
    steps: () => [bashStep(COMMIT_CMD, 'Write and commit hello.txt'), { text: 'Committed hello.txt.' }] },
  { name: 'max-turns', about: '--max-turns 1 and a tool call: error_max_turns, rc 1', maxTurns: 1,
    steps: () => [bashStep('echo hello > f.txt', 'Write f.txt'), { text: 'Done.' }] },
  { name: 'budget', about: '--max-budget-usd 0.0001 with a tool call: error_max_budget_usd, rc 1', extraArgs: ['--max-budget-usd', '0.0001'],
    steps: () => [bashStep('echo hello > f.txt', 'Write f.txt'), { text: 'Done.' }] },
  { name: 'e401', about: 'API key rejected: 401 authentication_error (CLAUDE_CODE_MAX_RETRIES=2 so it ends fast)', maxRetries: 2,
    steps: () => [{ ...err(401, 'authentication_error', 'invalid x-api-key'), times: Infinity }] },
  { name: 'oauth401', about: 'OAuth token rejected: 401 with CLAUDE_CODE_OAUTH_TOKEN', auth: 'oauth', maxRetries: 2,
    steps: () => [{ ...err(401, 'authentication_error', 'OAuth token has expired.'), times: Infinity }] },
  { name: 'e403', about: '403 permission_error', maxRetries: 2,
    steps: () => [{ ...err(403, 'permission_error', 'Your API key does not have permission to use the specified resource.'), times: Infinity }] },
  { name: 'billing400', about: '400 invalid_request_error "Your credit balance is too low…"', maxRetries: 2,
    steps: () => [{ ...err(400, 'invalid_request_error', 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.'), times: Infinity }] },
  { name: 'apikey429', about: 'API-key 429 rate_limit_error with retry-after 1 (CLAUDE_CODE_MAX_RETRIES=1): no reset time', maxRetries: 1,
    steps: () => [{ ...err(429, 'rate_limit_error', "This request would exceed your account's rate limit. Please try again later."), headers: { 'retry-after': '1' }, times: Infinity }] },
  { name: 'usage-5h', about: 'subscription usage limit: OAuth token, 429 + unified headers, claim five_hour (reset = recording time + 3 h)',
    auth: 'oauth', maxRetries: 2, limitType: 'five_hour', resetEpochS: () => nowS() + 3 * 3600,
    steps: (ctx) => [{ ...usageLimitStep('five_hour', ctx.resetEpochS), times: Infinity }] },
  { name: 'usage-weekly', about: 'subscription usage limit: OAuth token, 429 + unified headers, claim seven_day (reset = recording time + 4 days)',
    auth: 'oauth', maxRetries: 2, limitType: 'seven_day', resetEpochS: () => nowS() + 4 * 86400,
    steps: (ctx) => [{ ...usageLimitStep('seven_day', ctx.resetEpochS), times: Infinity }] },
  { name: 'e529', about: '529 overloaded_error on every try (CLAUDE_CODE_MAX_RETRIES=2)', maxRetries: 2,
    steps: () => [{ ...err(529, 'overloaded_error', 'Overloaded'), times: Infinity }] },
  { name: 'e500', about: '500 api_error on every try (CLAUDE_CODE_MAX_RETRIES=2)', maxRetries: 2,
    steps: () => [{ ...err(500, 'api_error', 'Internal server error'), times: Infinity }] },
  { name: 'connrefused', about: 'ANTHROPIC_BASE_URL points at a closed port (CLAUDE_CODE_MAX_RETRIES=1)', maxRetries: 1, closedPort: true },
  { name: 'timeout', about: 'the API never answers (not even headers); API_TIMEOUT_MS=3000, CLAUDE_CODE_MAX_RETRIES=1: the CLI times out itself',
    maxRetries: 1, apiTimeoutMs: 3000, steps: () => [{ noResponse: true, times: Infinity }] },
  { name: 'denied', about: '--permission-mode default: a Bash tool_use that writes a file is denied (permission_denials), rc 0, no commit',
    permissionMode: 'default', steps: () => [bashStep('echo hello > f.txt', 'Write f.txt'), { text: 'I could not write the file.' }] },
  { name: 'unknown-flag', about: 'an unknown CLI option: stderr only, no stdout, no result line, rc 1', extraArgs: ['--no-such-flag'] },
  { name: 'bad-resume', about: '--resume with an unknown session uuid: a lone result line error_during_execution, no init, no model turn',
    extraArgs: ['--resume', '99999999-2222-4333-8444-555555555555'] },
  // Added with 2.1.332 (issue 24): what the CLI answers that our fakes never produced before.
  { name: 'overage', about: 'paid extra usage: OAuth token, a normal 200 reply carrying anthropic-ratelimit-unified-status: rejected and -overage-status: allowed (claim five_hour, reset now+3 h): rate_limit_event rejected with isUsingOverage true, and the run succeeds',
    auth: 'oauth', limitType: 'five_hour', resetEpochS: () => nowS() + 3 * 3600,
    steps: (ctx) => [{ text: 'Nothing to change here.', headers: overageHeaders('five_hour', ctx.resetEpochS), times: Infinity }] },
  { name: 'usage-opus', about: 'a model-scoped weekly limit: --model opus, OAuth token, 429 + unified headers with claim seven_day_opus (reset now+2 days)',
    auth: 'oauth', maxRetries: 2, model: 'opus', limitType: 'seven_day_opus', resetEpochS: () => nowS() + 2 * 86400,
    steps: (ctx) => [{ ...usageLimitStep('seven_day_opus', ctx.resetEpochS), times: Infinity }] },
  { name: 'config-invalid', about: 'CLAUDE_CONFIG_DIR/.claude.json is not JSON: a zeroed error_during_execution result with startup_failure_reason config_file_invalid, no init, no request',
    before: (sb) => fs.writeFileSync(path.join(sb.configDir, '.claude.json'), '{ "numStartups": 3,') },
  { name: 'org-not-allowed', about: 'OAuth token, 403 permission_error "OAuth authentication is currently not allowed for this organization.": synthetic error oauth_org_not_allowed',
    auth: 'oauth', maxRetries: 2,
    steps: () => [{ ...err(403, 'permission_error', 'OAuth authentication is currently not allowed for this organization.'), times: Infinity }] },
  { name: 'verification', about: 'OAuth token, 403 permission_error with details.error_code verification_required: synthetic error verification_required',
    auth: 'oauth', maxRetries: 2,
    steps: () => [{ error: { status: 403, type: 'permission_error', message: 'Verify your organization to keep using Claude Code: https://claude.ai/verify',
      details: { error_code: 'verification_required', wording: 'verify_now' } }, times: Infinity }] },
  { name: 'budget-zero', about: '--max-budget-usd 0: refused at start (stderr only, rc 1, no request)', extraArgs: ['--max-budget-usd', '0'] },
  { name: 'session-no-fork', about: '--resume <id> --session-id <uuid> without --fork-session: refused at start (stderr only, rc 1)',
    extraArgs: ['--resume', '99999999-2222-4333-8444-555555555555', '--session-id', '11111111-2222-4333-8444-555555555555'] },
];


async function closedPort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', () => r(undefined)));
  const addr = srv.address();
  await new Promise((r) => srv.close(() => r(undefined)));
  return typeof addr === 'object' && addr ? addr.port : 1;
}

async function record(bin, version, s) {
  const fake = await startFakeAnthropic();
  const sb = makeSandbox('swarm-rec-');
  try {
    const ctx = { resetEpochS: s.resetEpochS?.() };
    fake.script(s.steps?.(ctx) ?? []);
    s.before?.(sb);
    const baseUrl = s.closedPort ? `http://127.0.0.1:${await closedPort()}` : fake.url;
    const env = claudeEnv({ baseUrl, configDir: sb.configDir, home: sb.home, auth: s.auth ?? 'api-key', maxRetries: s.maxRetries, apiTimeoutMs: s.apiTimeoutMs });
    const args = claudeArgs({ model: s.model ?? 'sonnet', maxTurns: s.maxTurns ?? 5, permissionMode: s.permissionMode ?? 'bypassPermissions', extra: s.extraArgs ?? [] });
    const base = sb.git('rev-parse', 'HEAD').trim();
    const recordedAt = Date.now();
    const r = await runClaude({ bin, args, cwd: sb.repo, env, prompt: 'Make the requested change and commit it.', timeoutMs: 180_000 });
    if (r.timedOut) throw new Error(`${s.name}: the CLI did not finish within 180 s`);
    const commitsAhead = Number(sb.git('rev-list', '--count', `${base}..HEAD`).trim());
    const stdout = scrubPaths(r.stdout, sb.root);
    const stderr = scrubPaths(r.stderr, sb.root);
    fs.writeFileSync(path.join(outDir, `${s.name}.stdout.jsonl`), stdout);
    const errFile = path.join(outDir, `${s.name}.stderr.txt`);
    if (stderr) fs.writeFileSync(errFile, stderr);
    else fs.rmSync(errFile, { force: true });
    const meta = {
      scenario: s.name, about: s.about, claudeVersion: version, args, auth: s.auth ?? 'api-key',
      env: { CLAUDE_CODE_MAX_RETRIES: s.maxRetries ?? null, API_TIMEOUT_MS: s.apiTimeoutMs ?? null },
      exitCode: r.exitCode, signal: r.signal, durationMs: r.durationMs, recordedAt, commitsAhead,
      ...(ctx.resetEpochS !== undefined ? { resetEpochS: ctx.resetEpochS, limitType: s.limitType } : {}),
      requests: fake.requests.map((q) => `${q.method} ${q.path}`),
    };
    fs.writeFileSync(path.join(outDir, `${s.name}.meta.json`), JSON.stringify(meta, null, 2) + '\n');
    const lines = stdout.split('\n').filter(Boolean).length;
    console.log(`${s.name.padEnd(14)} rc=${r.exitCode} ${String(r.durationMs).padStart(6)} ms  ${lines} lines  commits=${commitsAhead}${stderr ? '  +stderr' : ''}`);
    if (s.name === 'tool-commit' && commitsAhead !== 1) throw new Error('tool-commit: the commit made by the Bash tool is missing');
  } finally {
    await fake.close();
    sb.remove();
  }
}

const only = process.argv.slice(2);
const unknown = only.filter((n) => !SCENARIOS.some((s) => s.name === n));
if (unknown.length) {
  console.error(`Unknown scenario(s): ${unknown.join(', ')}. Known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const bin = claudeBinary();
const { execFileSync } = await import('node:child_process');
const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
fs.mkdirSync(outDir, { recursive: true });
console.log(`recording with ${bin} (${version}) into ${outDir}`);
const todo = SCENARIOS.filter((s) => only.length === 0 || only.includes(s.name));
// Two at a time: most scenarios wait on CLI retry back-off, not CPU.
for (let i = 0; i < todo.length; i += 2) await Promise.all(todo.slice(i, i + 2).map((s) => record(bin, version, s)));
