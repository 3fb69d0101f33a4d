// An agent transcript (Claude Code stream-json) as HTML for the console: assistant text, tool calls with
// their inputs folded, tool results truncated (the rest folded), errors highlighted, the prompt folded and
// the operator's messages marked. One renderer for the page (a whole run file) and the live stream (one
// line at a time), so a line looks the same either way. Pure; every value from the agent is escaped.
import { operatorText } from '../../agent/inbox.js';
import { StreamParser } from '../../agent/stream.js';
import type { StreamEvent } from '../../agent/types.js';
import { esc } from './html.js';

const SHOWN_RESULT_LINES = 8;
const MAX_RESULT_CHARS = 6000;
const MAX_INPUT_CHARS = 4000;
const ARG_KEYS = ['command', 'file_path', 'path', 'pattern', 'url', 'query', 'description', 'prompt'];

export type LineKind = 'session' | 'prompt' | 'operator' | 'text' | 'tool' | 'tool_result' | 'error' | 'result' | 'notice' | 'other';

export function lineKind(ev: StreamEvent): LineKind {
  switch (ev.type) {
    case 'init':
      return 'session';
    case 'assistant':
      return ev.synthetic ? 'error' : ev.toolUses.length > 0 ? 'tool' : 'text';
    case 'user':
      if (ev.raw.isReplay === true) return operatorText(ev) !== null ? 'operator' : 'prompt';
      return ev.toolResults.some((r) => r.isError) ? 'error' : 'tool_result';
    case 'result':
      return ev.isError ? 'error' : 'result';
    case 'api_retry':
    case 'rate_limit':
      return 'notice';
    default:
      return 'other';
  }
}

/** One stream event → an HTML block ('' for lines not worth showing). */
export function eventHtml(ev: StreamEvent): string {
  switch (ev.type) {
    case 'init':
      return block('session', `session ${esc(ev.sessionId || '?')} · model ${esc(ev.model || '?')}${ev.version ? ` · Claude Code ${esc(ev.version)}` : ''}`);
    case 'assistant': {
      if (ev.synthetic) return block('error', `API error: ${esc(ev.text || ev.error || 'unknown')}`);
      const parts: string[] = [];
      if (ev.text.trim()) parts.push(`<div class="say">${esc(ev.text.trim())}</div>`);
      for (const t of ev.toolUses) {
        const input = JSON.stringify(t.input ?? null, null, 2) ?? '';
        parts.push(`<details class="call"><summary><span class="tool">${esc(t.name)}</span> <code>${esc(clip(shortInput(t.input), 160))}</code></summary><pre>${esc(clip(input, MAX_INPUT_CHARS))}</pre></details>`);
      }
      return parts.length ? block(ev.toolUses.length ? 'tool' : 'text', parts.join('')) : '';
    }
    case 'user': {
      if (ev.raw.isReplay === true) {
        const op = operatorText(ev);
        if (op !== null) return block('operator', `<b>operator:</b> ${esc(op)}`);
        const content = (ev.raw.message as { content?: unknown } | undefined)?.content;
        const text = typeof content === 'string' ? content : '';
        return block('prompt', `<details><summary>prompt (${text.length} characters)</summary><pre>${esc(clip(text, 20_000))}</pre></details>`);
      }
      return ev.toolResults.map((r) => block(r.isError ? 'error' : 'tool_result', resultHtml(r.content, r.isError))).join('');
    }
    case 'api_retry':
      return block('notice', `API retry ${ev.attempt}: ${esc(ev.error)}${ev.errorStatus ? ` (HTTP ${ev.errorStatus})` : ''}, next try in ${Math.round(ev.retryDelayMs / 1000)}s`);
    case 'rate_limit':
      return ev.status === 'rejected' ? block('error', `rate limited (${esc(ev.rateLimitType ?? 'unknown limit')})${ev.resetsAt ? `, resets ${new Date(ev.resetsAt * 1000).toISOString()}` : ''}`) : '';
    case 'result': {
      const tokens = ev.usage.input + ev.usage.output + ev.usage.cacheRead + ev.usage.cacheCreation;
      const head = `result: ${esc(ev.subtype)}${ev.isError ? ' (error)' : ''} · ${ev.numTurns} turn(s) · $${ev.totalCostUsd.toFixed(4)} · ${Math.round(ev.durationMs / 1000)}s · ${tokens} tokens`;
      const errors = ev.errors.map((e) => `<div class="err">${esc(clip(e, 600))}</div>`).join('');
      return block(ev.isError ? 'error' : 'result', `<b>${head}</b>${ev.result.trim() ? `<div class="say">${esc(ev.result.trim())}</div>` : ''}${errors}`);
    }
    default:
      return '';
  }
}

/** A whole run file → HTML blocks, and how many parsed lines it held (the live stream continues from there). */
export function transcriptHtml(text: string | Buffer, complete: boolean): { html: string; lines: number } {
  const parser = new StreamParser();
  const out: string[] = [];
  let lines = 0;
  const take = (evs: StreamEvent[]) => {
    for (const ev of evs) {
      lines++;
      out.push(eventHtml(ev));
    }
  };
  take(parser.push(typeof text === 'string' ? Buffer.from(text) : text));
  if (complete) take(parser.end()); // a running attempt's torn last line is not a line yet
  return { html: out.join(''), lines };
}

function block(kind: LineKind, inner: string): string {
  return `<div class="ln ${kind}">${inner}</div>`;
}

function resultHtml(content: string, isError: boolean): string {
  const text = clip(content.replace(/\s+$/, ''), MAX_RESULT_CHARS);
  const lines = text.split('\n');
  const mark = isError ? '✗' : '←';
  if (text === '') return `${mark} <i>(no output)</i>`;
  const head = `<pre>${esc(lines.slice(0, SHOWN_RESULT_LINES).join('\n'))}</pre>`;
  if (lines.length <= SHOWN_RESULT_LINES) return `${mark} ${head}`;
  return `${mark} ${head}<details><summary>${lines.length - SHOWN_RESULT_LINES} more line(s)</summary><pre>${esc(lines.slice(SHOWN_RESULT_LINES).join('\n'))}</pre></details>`;
}

function shortInput(input: unknown): string {
  if (input && typeof input === 'object' && !Array.isArray(input)) {
    const o = input as Record<string, unknown>;
    for (const k of ARG_KEYS) if (typeof o[k] === 'string' && (o[k] as string).trim()) return (o[k] as string).replace(/\s+/g, ' ').trim();
  }
  return input === null || input === undefined ? '' : JSON.stringify(input);
}

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
