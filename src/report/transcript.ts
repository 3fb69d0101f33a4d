// An agent transcript (Claude Code stream-json, `.swarm/runs/<ticket>/<n>.jsonl`) rendered for humans:
// assistant text, tool calls with short inputs, tool results truncated, API retries and limits, and the
// final summary with turns, cost, duration and tokens. Pure: events in, lines out.
import { parseLine } from '../agent/stream.js';
import { describeEvent } from '../agent/describe.js';
import { operatorText } from '../agent/inbox.js';
import type { StreamEvent } from '../agent/types.js';
import { plain, type Paint } from './status.js';
import { terminalSafe } from '../util/terminal.js';

export interface TranscriptOptions {
  paint?: Paint;
  /** Lines of a tool result to show (default 6). */
  resultLines?: number;
  /** Characters of a tool call's input to show (default 120). */
  inputChars?: number;
}

const ARG_KEYS = ['command', 'file_path', 'path', 'pattern', 'url', 'query', 'description', 'prompt'];

/** One stream event → rendered lines, safe for a terminal (the agent's text carries no escape sequences). */
export function renderEvent(ev: StreamEvent, opts: TranscriptOptions = {}): string[] {
  const p = opts.paint ?? plain;
  return eventLines(ev, opts, p).map((l) => terminalSafe(l, p.sgr));
}

function eventLines(ev: StreamEvent, opts: TranscriptOptions, p: Paint): string[] {
  const maxLines = opts.resultLines ?? 6;
  const inputChars = opts.inputChars ?? 120;
  switch (ev.type) {
    case 'init':
      return [p.dim(`── session ${ev.sessionId || '?'} · model ${ev.model || '?'}${ev.version ? ` · Claude Code ${ev.version}` : ''}`)];
    case 'assistant': {
      if (ev.synthetic) return [p.red(`! API error: ${oneLine(ev.text || ev.error || 'unknown', 300)}`)];
      const out: string[] = [];
      if (ev.text.trim()) out.push(...ev.text.trim().split('\n').map((l) => `  ${l}`));
      for (const t of ev.toolUses) out.push(p.cyan(`→ ${t.name}`) + ` ${shortInput(t.input, inputChars)}`);
      return out;
    }
    case 'user': {
      const out: string[] = [];
      if (ev.raw.isReplay === true) {
        // The CLI's echo of what it was sent on stdin: the prompt, and the operator's messages.
        const op = operatorText(ev);
        const content = (ev.raw.message as { content?: unknown } | undefined)?.content;
        return op !== null ? [p.yellow(`» operator: ${oneLine(op, 600)}`)] : [p.dim(`» prompt (${typeof content === 'string' ? content.length : 0} characters)`)];
      }
      for (const r of ev.toolResults) {
        const lines = r.content.replace(/\s+$/, '').split('\n');
        const shown = lines.slice(0, maxLines).map((l) => oneLine(l, 200));
        const mark = r.isError ? p.red('  ✗ ') : p.dim('  ← ');
        if (shown.length === 0 || (shown.length === 1 && shown[0] === '')) out.push(`${mark}${p.dim('(no output)')}`);
        else shown.forEach((l, i) => out.push(`${i === 0 ? mark : '    '}${r.isError ? p.red(l) : p.dim(l)}`));
        if (lines.length > maxLines) out.push(p.dim(`    … ${lines.length - maxLines} more line(s)`));
      }
      return out;
    }
    case 'api_retry':
      return [p.yellow(`! API retry ${ev.attempt}: ${ev.error}${ev.errorStatus ? ` (HTTP ${ev.errorStatus})` : ''}, next try in ${Math.round(ev.retryDelayMs / 1000)}s`)];
    case 'rate_limit':
      if (ev.status !== 'rejected') return [];
      return [p.yellow(`! ${ev.isUsingOverage ? 'on paid extra usage: ' : ''}rate limited (${ev.rateLimitType ?? 'unknown limit'})${ev.resetsAt ? `, resets ${new Date(ev.resetsAt * 1000).toISOString()}` : ''}`)];
    case 'result': {
      const tokens = ev.usage.input + ev.usage.output + ev.usage.cacheRead + ev.usage.cacheCreation;
      const head = `══ result: ${ev.subtype}${ev.isError ? ' (error)' : ''} · ${ev.numTurns} turn(s) · $${ev.totalCostUsd.toFixed(4)} · ${seconds(ev.durationMs)} · ${tokens} tokens (in ${ev.usage.input}, out ${ev.usage.output})`;
      const out = [ev.isError ? p.red(p.bold(head)) : p.green(p.bold(head))];
      if (ev.result.trim()) out.push(...ev.result.trim().split('\n').map((l) => `  ${l}`));
      for (const e of ev.errors) out.push(p.red(`  error: ${oneLine(e, 300)}`));
      if (ev.permissionDenials > 0) out.push(p.yellow(`  ${ev.permissionDenials} permission denial(s)`));
      return out;
    }
    case 'other': {
      if (ev.name === 'swarm_transcript_cut') {
        // The marker transcript-cap.ts writes where agent.transcript_max cut the middle out.
        const mb = (v: unknown) => `${((typeof v === 'number' ? v : 0) / 1024 / 1024).toFixed(1)} MB`;
        return [p.yellow(`✂ ${mb(ev.raw.omitted_bytes)} of output cut here (agent.transcript_max keeps the first ${mb(ev.raw.kept_head_bytes)} and the last ${mb(ev.raw.kept_tail_bytes)})`)];
      }
      const d = describeEvent(ev);
      return d ? [p.dim(`· ${d}`)] : [];
    }
  }
}

/** One raw line → rendered lines (an unparseable non-empty line is shown dimmed, not dropped). */
export function renderLine(line: string, opts: TranscriptOptions = {}): string[] {
  const ev = parseLine(line);
  if (ev) return renderEvent(ev, opts);
  const p = opts.paint ?? plain;
  return line.trim() ? [terminalSafe(p.dim(`? ${oneLine(line, 200)}`), p.sgr)] : [];
}

export function renderTranscript(text: string, opts: TranscriptOptions = {}): string {
  const out: string[] = [];
  for (const line of text.split('\n')) out.push(...renderLine(line, opts));
  return out.length ? out.join('\n') + '\n' : '';
}

function shortInput(input: unknown, max: number): string {
  if (input && typeof input === 'object' && !Array.isArray(input)) {
    const o = input as Record<string, unknown>;
    for (const k of ARG_KEYS) if (typeof o[k] === 'string' && (o[k] as string).trim()) return oneLine(o[k] as string, max);
  }
  if (input === null || input === undefined) return '';
  return oneLine(JSON.stringify(input), max);
}

function oneLine(s: string, max: number): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
