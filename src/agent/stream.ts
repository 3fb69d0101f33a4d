// Owns Claude Code's stream-json: one NDJSON line → one typed StreamEvent (validated at the edge, unknown
// types kept as `other`), and StreamParser, which splits raw stdout bytes into lines and keeps a running
// StreamSummary in O(1) memory for the classifier and `swarm status`.
import type { StreamEvent, StreamSummary, TokenUsage } from './types.js';
import { utilizationOf } from './window.js';
import { describeEvent } from './describe.js';
import { arr, isObj, num, numOrNull, obj, str, strOrNull, type Obj } from '../util/json.js';

type ResultEvent = Extract<StreamEvent, { type: 'result' }>;
type AssistantEvent = Extract<StreamEvent, { type: 'assistant' }>;

/** Parse one stream-json line. Blank, non-JSON and non-object lines give null; never throws. */
export function parseLine(line: string): StreamEvent | null {
  let i = 0;
  while (i < line.length && line.charCodeAt(i) <= 32) i++;
  // Cheap reject before JSON.parse: garbage lines would otherwise cost a thrown exception each.
  if (i >= line.length || line.charCodeAt(i) !== 0x7b /* { */) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  return isObj(raw) ? toEvent(raw) : null;
}

/** Map an already-parsed stream-json object to its typed event (key order never matters). */
export function toEvent(raw: Obj): StreamEvent {
  const type = str(raw.type);
  const subtype = str(raw.subtype);
  switch (type) {
    case 'system':
      if (subtype === 'init') {
        return { type: 'init', sessionId: str(raw.session_id), model: str(raw.model), version: str(raw.claude_code_version), raw };
      }
      if (subtype === 'api_retry') {
        return {
          type: 'api_retry', attempt: num(raw.attempt), retryDelayMs: num(raw.retry_delay_ms),
          errorStatus: numOrNull(raw.error_status), error: str(raw.error, 'unknown'), raw,
        };
      }
      break;
    case 'assistant':
      return toAssistant(raw);
    case 'user':
      return toUser(raw);
    case 'rate_limit_event': {
      const info = obj(raw.rate_limit_info);
      // isUsingOverage: the CLI sets it when the window is rejected and overage allows the answer (status
      // "rejected" + overageStatus "allowed"): a successful run on paid extra usage, not a stop.
      return {
        type: 'rate_limit', status: str(info.status), resetsAt: numOrNull(info.resetsAt), rateLimitType: strOrNull(info.rateLimitType),
        utilization: utilizationOf(info), overageStatus: strOrNull(info.overageStatus), isUsingOverage: info.isUsingOverage === true, raw,
      };
    }
    case 'result':
      return toResult(raw);
  }
  return { type: 'other', name: subtype ? `${type}/${subtype}` : type, raw };
}

function toAssistant(raw: Obj): AssistantEvent {
  const msg = obj(raw.message);
  const model = str(msg.model);
  const texts: string[] = [];
  const toolUses: { name: string; input: unknown }[] = [];
  if (typeof msg.content === 'string') texts.push(msg.content);
  for (const b of arr(msg.content)) {
    if (!isObj(b)) continue;
    if (b.type === 'text' && typeof b.text === 'string') texts.push(b.text);
    else if (b.type === 'tool_use') toolUses.push({ name: str(b.name, 'tool'), input: b.input ?? null });
  }
  const info = obj(obj(raw.api_error_params).rate_limit_info);
  return {
    type: 'assistant', model, text: texts.join('\n'), toolUses, synthetic: model === '<synthetic>',
    error: strOrNull(raw.error), apiErrorStatus: numOrNull(raw.api_error_status), apiError: strOrNull(raw.api_error),
    resetsAt: numOrNull(info.resetsAt), raw,
  };
}

/** Tool result content is a string or a list of blocks (MCP tools): keep the text. */
function contentText(v: unknown): string {
  if (typeof v === 'string') return v;
  const parts: string[] = [];
  for (const b of arr(v)) if (isObj(b) && typeof b.text === 'string') parts.push(b.text);
  return parts.join('\n');
}

function toUser(raw: Obj): StreamEvent {
  const toolResults: { content: string; isError: boolean }[] = [];
  for (const b of arr(obj(raw.message).content)) {
    if (isObj(b) && b.type === 'tool_result') toolResults.push({ content: contentText(b.content), isError: b.is_error === true });
  }
  return { type: 'user', toolResults, raw };
}

function toUsage(u: Obj): TokenUsage {
  return {
    input: num(u.input_tokens), output: num(u.output_tokens),
    cacheRead: num(u.cache_read_input_tokens), cacheCreation: num(u.cache_creation_input_tokens),
  };
}

function toResult(raw: Obj): ResultEvent {
  const modelUsage: ResultEvent['modelUsage'] = {};
  for (const [name, v] of Object.entries(obj(raw.modelUsage))) {
    if (!isObj(v) || name === '__proto__') continue;
    modelUsage[name] = {
      costUSD: num(v.costUSD), input: num(v.inputTokens), output: num(v.outputTokens),
      cacheRead: num(v.cacheReadInputTokens), cacheCreation: num(v.cacheCreationInputTokens),
    };
  }
  const errors: string[] = [];
  for (const e of arr(raw.errors)) {
    if (typeof e === 'string') errors.push(e);
    else if (isObj(e) && typeof e.message === 'string') errors.push(e.message);
  }
  return {
    type: 'result', subtype: str(raw.subtype, 'unknown'), isError: raw.is_error === true, result: str(raw.result),
    numTurns: num(raw.num_turns), durationMs: num(raw.duration_ms), totalCostUsd: num(raw.total_cost_usd),
    usage: toUsage(obj(raw.usage)), modelUsage, terminalReason: strOrNull(raw.terminal_reason),
    apiErrorStatus: numOrNull(raw.api_error_status), apiErrorType: strOrNull(raw.api_error_type), apiError: strOrNull(raw.api_error),
    errors, permissionDenials: arr(raw.permission_denials).length, sessionId: str(raw.session_id),
    startupFailureReason: strOrNull(raw.startup_failure_reason), invalidConfigPath: strOrNull(obj(raw.invalid_config_file).path), raw,
  };
}

export function emptySummary(): StreamSummary {
  return {
    sessionId: null, model: null, sawModelTurn: false, lines: 0, bytes: 0, badLines: 0, lastText: '',
    apiRetries: [], rateLimit: null, window: null, syntheticError: null, result: null, lastActivity: '',
  };
}

export interface StreamParserOptions {
  /** A line longer than this is dropped and counted in badLines (default 64 MiB). */
  maxLineBytes?: number;
  /** summary.lastText keeps at most this many characters (default 4096). */
  maxTextChars?: number;
  /** summary.apiRetries keeps the newest N (default 20). */
  maxApiRetries?: number;
}

/**
 * Incremental NDJSON splitter + summary. Splits on 0x0A bytes (never inside a UTF-8 sequence), keeps a
 * partial line as a list of Buffers joined once when its newline arrives, so multi-MB lines stay linear.
 */
export class StreamParser {
  readonly summary: StreamSummary = emptySummary();
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private dropping = false;
  private lastTextMsgId = '';
  private readonly maxLineBytes: number;
  private readonly maxTextChars: number;
  private readonly maxApiRetries: number;

  constructor(opts: StreamParserOptions = {}) {
    this.maxLineBytes = opts.maxLineBytes ?? 64 * 1024 * 1024;
    this.maxTextChars = opts.maxTextChars ?? 4096;
    this.maxApiRetries = opts.maxApiRetries ?? 20;
  }

  push(chunk: Buffer | string): StreamEvent[] {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.summary.bytes += buf.length;
    const out: StreamEvent[] = [];
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl !== -1; nl = buf.indexOf(0x0a, start)) {
      if (this.dropping) {
        this.dropping = false;
      } else if (this.pendingLen > 0) {
        const len = this.pendingLen + nl - start;
        if (len > this.maxLineBytes) this.countDropped();
        else {
          this.pending.push(buf.subarray(start, nl));
          this.handle(Buffer.concat(this.pending, len).toString('utf8'), out);
        }
      } else if (nl - start > this.maxLineBytes) {
        this.countDropped();
      } else if (nl > start) {
        this.handle(buf.toString('utf8', start, nl), out);
      }
      this.pending = [];
      this.pendingLen = 0;
      start = nl + 1;
    }
    if (start < buf.length && !this.dropping) {
      const rest = buf.length - start;
      if (this.pendingLen + rest > this.maxLineBytes) {
        this.pending = [];
        this.pendingLen = 0;
        this.dropping = true;
        this.countDropped();
      } else {
        // Copy: the caller may reuse its buffer after push() returns.
        this.pending.push(Buffer.from(buf.subarray(start)));
        this.pendingLen += rest;
      }
    }
    return out;
  }

  /** Flush a final line that had no trailing newline. */
  end(): StreamEvent[] {
    const out: StreamEvent[] = [];
    if (!this.dropping && this.pendingLen > 0) this.handle(Buffer.concat(this.pending, this.pendingLen).toString('utf8'), out);
    this.pending = [];
    this.pendingLen = 0;
    this.dropping = false;
    return out;
  }

  private countDropped(): void {
    this.summary.lines++;
    this.summary.badLines++;
  }

  private handle(line: string, out: StreamEvent[]): void {
    const ev = parseLine(line);
    if (ev === null) {
      if (line.trim() === '') return;
      this.summary.lines++;
      this.summary.badLines++;
      return;
    }
    this.summary.lines++;
    this.update(ev);
    out.push(ev);
  }

  private update(ev: StreamEvent): void {
    const s = this.summary;
    switch (ev.type) {
      case 'init':
        if (ev.sessionId) s.sessionId = ev.sessionId;
        if (ev.model) s.model = ev.model;
        break;
      case 'assistant':
        if (!s.sessionId && typeof ev.raw.session_id === 'string') s.sessionId = ev.raw.session_id;
        if (ev.synthetic) this.onSynthetic(ev);
        else {
          s.sawModelTurn = true;
          if (ev.model) s.model = ev.model;
          if (ev.text) {
            // Several lines share one message id (one per content block): join their text.
            const id = str(obj(ev.raw.message).id);
            const text = id && id === this.lastTextMsgId ? `${s.lastText}\n${ev.text}` : ev.text;
            this.lastTextMsgId = id;
            s.lastText = text.length > this.maxTextChars ? `…${text.slice(text.length - this.maxTextChars + 1)}` : text;
          }
        }
        break;
      case 'api_retry':
        s.apiRetries.push({ errorStatus: ev.errorStatus, error: ev.error });
        if (s.apiRetries.length > this.maxApiRetries) s.apiRetries.shift();
        break;
      case 'rate_limit':
        if (ev.status === 'rejected' && !ev.isUsingOverage) s.rateLimit = { resetsAt: ev.resetsAt, rateLimitType: ev.rateLimitType };
        s.window = { status: ev.status, utilization: ev.utilization, rateLimitType: ev.rateLimitType, resetsAt: ev.resetsAt, overage: ev.isUsingOverage };
        break;
      case 'result':
        s.result = ev;
        if (ev.sessionId) s.sessionId = ev.sessionId;
        break;
    }
    const activity = describeEvent(ev);
    if (activity) s.lastActivity = activity;
  }

  private onSynthetic(ev: AssistantEvent): void {
    const s = this.summary;
    const text = ev.text.length > this.maxTextChars ? ev.text.slice(0, this.maxTextChars) : ev.text;
    s.syntheticError = { error: ev.error, apiErrorStatus: ev.apiErrorStatus, apiError: ev.apiError, text };
    if (ev.apiError === 'usage_limit_reached') {
      const type = strOrNull(obj(obj(ev.raw.api_error_params).rate_limit_info).rateLimitType);
      s.rateLimit = {
        resetsAt: ev.resetsAt ?? s.rateLimit?.resetsAt ?? null,
        rateLimitType: type ?? s.rateLimit?.rateLimitType ?? null,
      };
    }
  }
}
