import { describe, expect, it } from 'vitest';
import { parseLine, StreamParser } from '../../src/agent/stream.js';
import { describeEvent } from '../../src/agent/describe.js';
import type { StreamEvent } from '../../src/agent/types.js';

// Lines modelled on real `claude -p --output-format stream-json --verbose` output (2.1.x).
const SID = '60bbaad4-cc44-4912-b573-da5ca3596c71';
const init = { type: 'system', subtype: 'init', cwd: '/w', session_id: SID, tools: ['Bash', 'Read'], mcp_servers: [], model: 'claude-sonnet-5-5', permissionMode: 'bypassPermissions', claude_code_version: '2.1.328' };
const msg = (id: string, content: unknown[], model = 'claude-sonnet-5-5') => ({
  type: 'assistant', message: { id, type: 'message', role: 'assistant', model, content, stop_reason: null, usage: { input_tokens: 12, output_tokens: 1 } },
  parent_tool_use_id: null, session_id: SID,
});
const text = (id: string, t: string) => msg(id, [{ type: 'text', text: t }]);
const tool = (id: string, name: string, input: unknown) => msg(id, [{ type: 'tool_use', id: 'toolu_0', name, input }]);
const toolResult = (content: unknown, isError = false) => ({
  type: 'user', message: { role: 'user', content: [{ tool_use_id: 'toolu_0', type: 'tool_result', content, is_error: isError }] }, session_id: SID,
});
const retry = (status: number | null, error: string, attempt = 1) => ({ type: 'system', subtype: 'api_retry', attempt, max_retries: 10, retry_delay_ms: 594, error_status: status, error, session_id: SID });
const rateEvent = (status: string, resetsAt = 1795272379, rateLimitType = 'five_hour') => ({ type: 'rate_limit_event', rate_limit_info: { status, resetsAt, rateLimitType, isUsingOverage: false }, session_id: SID });
const usageLimitLine = {
  type: 'assistant', message: { id: 'x', model: '<synthetic>', role: 'assistant', content: [{ type: 'text', text: "You've hit your 5-hour limit · resets 8:46am (America/Chicago)" }] },
  session_id: SID, error: 'rate_limit', is_api_error_message: true, api_error_status: 429, api_error: 'usage_limit_reached',
  api_error_params: { rate_limit_info: { status: 'rejected', resetsAt: 1795272379, rateLimitType: 'five_hour' } }, api_error_type: 'rate_limit_error',
};
const result = {
  duration_api_ms: 66, stop_reason: 'end_turn', session_id: SID, total_cost_usd: 0.000188,
  usage: { input_tokens: 24, cache_creation_input_tokens: 5, cache_read_input_tokens: 7, output_tokens: 14, server_tool_use: { web_search_requests: 0 } },
  modelUsage: { 'claude-sonnet-5-5': { inputTokens: 24, outputTokens: 14, cacheReadInputTokens: 7, cacheCreationInputTokens: 5, costUSD: 0.000188 } },
  permission_denials: [{ tool_name: 'Bash', tool_use_id: 't', tool_input: {} }], terminal_reason: 'completed', is_error: false, num_turns: 2,
  subtype: 'success', api_error_status: null, result: 'Done: f.txt written.', type: 'result', duration_ms: 1234,
};

const lines = (...objs: unknown[]): string => objs.map((o) => JSON.stringify(o)).join('\n') + '\n';
const noRaw = (evs: StreamEvent[]) => evs.map(({ raw: _raw, ...rest }) => rest);
const parseAll = (buf: Buffer | string): StreamEvent[] => {
  const p = new StreamParser();
  return [...p.push(buf), ...p.end()];
};

/** Rebuild every object with its keys in reverse order (type last). */
function reverseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverseKeys(x)]));
  return v;
}

describe('parseLine', () => {
  it('maps each known line type to its typed event', () => {
    const ini = parseLine(JSON.stringify(init));
    expect(ini).toMatchObject({ type: 'init', sessionId: SID, model: 'claude-sonnet-5-5', version: '2.1.328' });
    const a = parseLine(JSON.stringify(msg('m1', [{ type: 'text', text: 'one' }, { type: 'tool_use', name: 'Bash', input: { command: 'ls' } }, { type: 'text', text: 'two' }])));
    expect(a).toMatchObject({ type: 'assistant', text: 'one\ntwo', toolUses: [{ name: 'Bash', input: { command: 'ls' } }], synthetic: false, error: null });
    expect(parseLine(JSON.stringify(toolResult('out', true)))).toMatchObject({ type: 'user', toolResults: [{ content: 'out', isError: true }] });
    expect(parseLine(JSON.stringify(toolResult([{ type: 'text', text: 'pong:hi' }])))).toMatchObject({ toolResults: [{ content: 'pong:hi', isError: false }] });
    expect(parseLine(JSON.stringify(retry(529, 'overloaded', 3)))).toMatchObject({ type: 'api_retry', attempt: 3, retryDelayMs: 594, errorStatus: 529, error: 'overloaded' });
    expect(parseLine(JSON.stringify(rateEvent('rejected')))).toMatchObject({ type: 'rate_limit', status: 'rejected', resetsAt: 1795272379, rateLimitType: 'five_hour' });
    expect(parseLine(JSON.stringify(usageLimitLine))).toMatchObject({
      type: 'assistant', synthetic: true, error: 'rate_limit', apiErrorStatus: 429, apiError: 'usage_limit_reached', resetsAt: 1795272379,
    });
  });

  it('maps the result line, usage and modelUsage', () => {
    const r = parseLine(JSON.stringify({ ...result, errors: ['Reached maximum number of turns (1)', 7] }));
    expect(r).toMatchObject({
      type: 'result', subtype: 'success', isError: false, result: 'Done: f.txt written.', numTurns: 2, durationMs: 1234, totalCostUsd: 0.000188,
      usage: { input: 24, output: 14, cacheRead: 7, cacheCreation: 5 }, terminalReason: 'completed', apiErrorStatus: null,
      errors: ['Reached maximum number of turns (1)'], permissionDenials: 1, sessionId: SID,
    });
    expect(r?.type === 'result' && r.modelUsage['claude-sonnet-5-5']).toEqual({ costUSD: 0.000188, input: 24, output: 14, cacheRead: 7, cacheCreation: 5 });
  });

  it('does not depend on key order', () => {
    for (const o of [init, text('m', 'hi'), tool('m', 'Bash', { command: 'x' }), toolResult('o'), retry(401, 'authentication_failed'), rateEvent('rejected'), usageLimitLine, result]) {
      const a = parseLine(JSON.stringify(o));
      const b = parseLine(JSON.stringify(reverseKeys(o)));
      expect(JSON.stringify(Object.keys(reverseKeys(o) as object)[0])).not.toBe('"type"');
      expect(noRaw([b!])).toEqual(noRaw([a!]));
    }
  });

  it('keeps unknown types as other, with type/subtype as name', () => {
    expect(parseLine('{"type":"stream_event","event":{}}')).toMatchObject({ type: 'other', name: 'stream_event' });
    expect(parseLine('{"subtype":"status","type":"system"}')).toMatchObject({ type: 'other', name: 'system/status' });
    expect(parseLine('{"no_type":1}')).toMatchObject({ type: 'other', name: '' });
  });

  it('returns null for blank, garbage and non-object lines', () => {
    for (const l of ['', '   ', '\r', 'not json', '{"type":"result"', '[1,2]', '"str"', 'null', '42', 'Error: boom {']) expect(parseLine(l)).toBeNull();
  });

  it('turns wrong-typed fields into defaults instead of crashing', () => {
    const r = parseLine(JSON.stringify({ type: 'result', subtype: 5, is_error: 'yes', num_turns: '3', usage: 'lots', modelUsage: [1], errors: 'x', permission_denials: {}, result: null, api_error_status: '429' }));
    expect(r).toMatchObject({ type: 'result', subtype: 'unknown', isError: false, numTurns: 0, usage: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 }, modelUsage: {}, errors: [], permissionDenials: 0, result: '', apiErrorStatus: null });
    expect(parseLine('{"type":"assistant","message":5,"error":7}')).toMatchObject({ type: 'assistant', model: '', text: '', toolUses: [], synthetic: false, error: null });
    expect(parseLine('{"type":"assistant","message":{"content":[null,3,{"type":"tool_use"}]}}')).toMatchObject({ toolUses: [{ name: 'tool', input: null }] });
    expect(parseLine('{"type":"user","message":{"content":"plain"}}')).toMatchObject({ type: 'user', toolResults: [] });
    expect(parseLine('{"type":"rate_limit_event","rate_limit_info":"x"}')).toMatchObject({ type: 'rate_limit', status: '', resetsAt: null, rateLimitType: null });
    expect(parseLine('{"type":"system","subtype":"api_retry","error":null,"error_status":"x"}')).toMatchObject({ errorStatus: null, error: 'unknown' });
  });
});

describe('StreamParser', () => {
  // Multi-byte characters on purpose: '·' (2 bytes), '—' (3 bytes), '😀' (4 bytes).
  const sample = Buffer.from(
    lines(init, text('m1', 'Plan · step — one 😀'), tool('m1', 'Bash', { command: 'npm test' }), toolResult('ok ✓'), retry(529, 'overloaded'), text('m2', 'Done — 😀'), result),
  );
  const whole = noRaw(parseAll(sample));

  it('parses a whole stream', () => {
    expect(whole.map((e) => e.type)).toEqual(['init', 'assistant', 'assistant', 'user', 'api_retry', 'assistant', 'result']);
  });

  it('gives the same events whatever byte the chunks are split at', () => {
    for (let i = 1; i < sample.length; i++) {
      const p = new StreamParser();
      const evs = [...p.push(sample.subarray(0, i)), ...p.push(sample.subarray(i)), ...p.end()];
      expect(noRaw(evs)).toEqual(whole);
    }
  });

  it('handles one byte at a time (UTF-8 characters split across chunks)', () => {
    const p = new StreamParser();
    const evs: StreamEvent[] = [];
    for (let i = 0; i < sample.length; i++) evs.push(...p.push(sample.subarray(i, i + 1)));
    evs.push(...p.end());
    expect(noRaw(evs)).toEqual(whole);
    expect(p.summary.lastText).toBe('Done — 😀');
  });

  it('copies partial chunks, so a caller reusing its buffer does not corrupt lines', () => {
    const p = new StreamParser();
    const line = Buffer.from(lines(text('m1', 'hello world')));
    const scratch = Buffer.from(line.subarray(0, 20));
    p.push(scratch);
    scratch.fill(0x78);
    const evs = p.push(line.subarray(20));
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({ type: 'assistant', text: 'hello world' });
  });

  it('parses a 5 MB line delivered in 64 KB chunks', () => {
    const big = 'é'.repeat(1_250_000) + 'x'.repeat(2_500_000); // 5 MB of UTF-8
    const buf = Buffer.from(lines(toolResult(big), text('m9', 'after')));
    expect(buf.length).toBeGreaterThan(5_000_000);
    const p = new StreamParser();
    const evs: StreamEvent[] = [];
    for (let i = 0; i < buf.length; i += 65536) evs.push(...p.push(buf.subarray(i, i + 65536)));
    evs.push(...p.end());
    expect(evs).toHaveLength(2);
    expect(evs[0]!.type === 'user' && evs[0]!.toolResults[0]!.content === big).toBe(true);
    expect(p.summary.badLines).toBe(0);
  });

  it('drops a line over the cap, counts it as bad, and carries on', () => {
    const long = lines(toolResult('y'.repeat(5000)));
    const tail = lines(text('m1', 'still here'));
    for (const chunk of [long.length + tail.length, 100, 7]) {
      const p = new StreamParser({ maxLineBytes: 1000 });
      const buf = Buffer.from(long + tail);
      const evs: StreamEvent[] = [];
      for (let i = 0; i < buf.length; i += chunk) evs.push(...p.push(buf.subarray(i, i + chunk)));
      evs.push(...p.end());
      expect(evs.map((e) => e.type)).toEqual(['assistant']);
      expect(p.summary.badLines).toBe(1);
      expect(p.summary.lines).toBe(2);
      expect(p.summary.lastText).toBe('still here');
    }
  });

  it('skips garbage and blank lines, handles CRLF and a last line without newline', () => {
    const p = new StreamParser();
    const evs = [
      ...p.push('warning: something\n\n' + JSON.stringify(init) + '\r\n{broken\n  \n'),
      ...p.push(JSON.stringify(result)),
    ];
    expect(evs.map((e) => e.type)).toEqual(['init']);
    expect(p.end().map((e) => e.type)).toEqual(['result']);
    expect(p.summary).toMatchObject({ lines: 4, badLines: 2, sessionId: SID });
    expect(p.summary.bytes).toBe(Buffer.byteLength('warning: something\n\n' + JSON.stringify(init) + '\r\n{broken\n  \n' + JSON.stringify(result)));
  });

  it('keeps the summary up to date', () => {
    const p = new StreamParser({ maxApiRetries: 3 });
    p.push(lines(init));
    expect(p.summary).toMatchObject({ sessionId: SID, model: 'claude-sonnet-5-5', sawModelTurn: false, lastActivity: 'started (claude-sonnet-5-5)' });
    p.push(lines(text('m1', 'first block')));
    expect(p.summary).toMatchObject({ sawModelTurn: true, lastText: 'first block', lastActivity: 'writing' });
    p.push(lines(text('m1', 'second block')));
    expect(p.summary.lastText).toBe('first block\nsecond block');
    p.push(lines(tool('m1', 'Bash', { command: 'npm test', description: 'Run tests' })));
    expect(p.summary.lastActivity).toBe('Bash: npm test');
    p.push(lines(text('m2', 'new message')));
    expect(p.summary.lastText).toBe('new message');
    for (let i = 1; i <= 5; i++) p.push(lines(retry(529, 'overloaded', i)));
    expect(p.summary.apiRetries).toHaveLength(3);
    expect(p.summary.lastActivity).toBe('retrying API (overloaded)');
    p.push(lines(rateEvent('allowed_warning')));
    expect(p.summary.rateLimit).toBeNull();
    p.push(lines(rateEvent('rejected', 1795607175, 'seven_day')));
    expect(p.summary.rateLimit).toEqual({ resetsAt: 1795607175, rateLimitType: 'seven_day' });
    p.push(lines(result));
    expect(p.summary.result).toMatchObject({ subtype: 'success', numTurns: 2 });
    expect(p.summary.lastActivity).toBe('result: success');
    expect(p.summary.lines).toBe(13);
  });

  it('trims lastText to the cap and keeps the end', () => {
    const p = new StreamParser({ maxTextChars: 100 });
    p.push(lines(text('m1', 'a'.repeat(500) + 'THE END')));
    expect(p.summary.lastText).toHaveLength(100);
    expect(p.summary.lastText.endsWith('THE END')).toBe(true);
  });

  it('a synthetic error line is not a model turn; usage_limit_reached sets rateLimit', () => {
    const p = new StreamParser();
    p.push(lines(init, usageLimitLine));
    expect(p.summary.sawModelTurn).toBe(false);
    expect(p.summary.lastText).toBe('');
    expect(p.summary.rateLimit).toEqual({ resetsAt: 1795272379, rateLimitType: 'five_hour' });
    expect(p.summary.syntheticError).toEqual({ error: 'rate_limit', apiErrorStatus: 429, apiError: 'usage_limit_reached', text: "You've hit your 5-hour limit · resets 8:46am (America/Chicago)" });
    expect(p.summary.lastActivity.startsWith("API error: You've hit your 5-hour limit")).toBe(true);
  });

  it('summary.window is the newest rate_limit_event of any status, with utilization; rateLimit stays rejected-only', () => {
    // Real lines from the pinned CLI (reference claude-samples/claude-oauth429*.stdout.jsonl and a warning).
    const warning = { type: 'rate_limit_event', rate_limit_info: { status: 'allowed_warning', resetsAt: 1795268780, rateLimitType: 'five_hour', utilization: 0.93, isUsingOverage: false, unifiedWindows: { five_hour: { utilization: 0.93, resetsAt: 1795268780, status: 'allowed_warning' }, seven_day: { utilization: 0.4, resetsAt: 1795700780, status: 'allowed' } } }, session_id: SID };
    const rejected = { type: 'rate_limit_event', rate_limit_info: { status: 'rejected', resetsAt: 1795607175, rateLimitType: 'seven_day', isUsingOverage: false, unifiedWindows: { seven_day: { utilization: 1, resetsAt: 1795607175, status: 'rejected' } } }, session_id: SID };
    const p = new StreamParser();
    p.push(lines(init));
    expect(p.summary.window).toBeNull();
    p.push(lines(warning));
    expect(p.summary.window).toEqual({ status: 'allowed_warning', utilization: 0.93, rateLimitType: 'five_hour', resetsAt: 1795268780, overage: false });
    expect(p.summary.rateLimit).toBeNull();
    p.push(lines(rejected)); // no top-level utilization: read from its own window
    expect(p.summary.window).toEqual({ status: 'rejected', utilization: 1, rateLimitType: 'seven_day', resetsAt: 1795607175, overage: false });
    expect(p.summary.rateLimit).toEqual({ resetsAt: 1795607175, rateLimitType: 'seven_day' });
    p.push(lines(rateEvent('allowed', 1795300000))); // no utilization anywhere: null, and the newest wins
    expect(p.summary.window).toEqual({ status: 'allowed', utilization: null, rateLimitType: 'five_hour', resetsAt: 1795300000, overage: false });
    expect(p.summary.rateLimit).toEqual({ resetsAt: 1795607175, rateLimitType: 'seven_day' });
    expect(parseLine(JSON.stringify({ type: 'rate_limit_event', rate_limit_info: { status: 'allowed', utilization: 'high', rateLimitType: 'x', unifiedWindows: { x: { utilization: -1 } } } }))).toMatchObject({ utilization: null });
  });

  it('a synthetic usage-limit line sets rateLimit but not window (only rate_limit_event reports the window)', () => {
    const p = new StreamParser();
    p.push(lines(usageLimitLine));
    expect(p.summary.window).toBeNull();
  });

  it('a synthetic auth error sets syntheticError but not rateLimit', () => {
    const p = new StreamParser();
    p.push(lines({ ...usageLimitLine, error: 'authentication_failed', api_error_status: 401, api_error: undefined, api_error_params: undefined, message: { ...usageLimitLine.message, content: [{ type: 'text', text: 'Invalid API key · Fix external API key' }] } }));
    expect(p.summary.rateLimit).toBeNull();
    expect(p.summary.syntheticError).toMatchObject({ error: 'authentication_failed', apiErrorStatus: 401, apiError: null });
  });
});

describe('describeEvent', () => {
  const ev = (o: unknown) => parseLine(JSON.stringify(o))!;
  it('says what happened in a few words', () => {
    expect(describeEvent(ev(tool('m', 'Edit', { file_path: 'src/a.ts', old_string: 'x' })))).toBe('Edit: src/a.ts');
    const long = describeEvent(ev(tool('m', 'Bash', { command: 'npm test -- --reporter verbose\n && echo ' + 'z'.repeat(100) })))!;
    expect(long).toHaveLength(60);
    expect(long.startsWith('Bash: npm test -- --reporter verbose && echo')).toBe(true);
    expect(describeEvent(ev(tool('m', 'TodoWrite', { todos: [] })))).toBe('TodoWrite');
    expect(describeEvent(ev(msg('m', [{ type: 'thinking', thinking: '' }])))).toBe('thinking');
    expect(describeEvent(ev(retry(null, 'unknown')))).toBe('retrying API (no response)');
    expect(describeEvent(ev(rateEvent('allowed')))).toBeNull();
    expect(describeEvent(ev(rateEvent('rejected')))).toBe('rate limited (five_hour)');
    expect(describeEvent(ev({ ...result, subtype: 'error_max_turns', is_error: true }))).toBe('result: error_max_turns');
    expect(describeEvent(ev({ ...result, is_error: true, api_error_status: 529 }))).toBe('result: API error 529');
    expect(describeEvent(ev({ type: 'system', subtype: 'model_fallback', fallback_model: 'claude-sonnet-5-5' }))).toBe('fell back to claude-sonnet-5-5');
    expect(describeEvent(ev({ type: 'system', subtype: 'permission_denied', tool_name: 'Bash' }))).toBe('denied: Bash');
    expect(describeEvent(ev({ type: 'stream_event', event: {} }))).toBeNull();
  });
});
