// Hostile text on a human's terminal: clipboard writes (OSC 52), hyperlinks (OSC 8), cursor moves and
// erases (CSI), 8-bit C1 controls and bare CRs from a ticket title or an agent's output never reach stdout
// through any renderer (`swarm logs`, `status`, `explain`, the daemon's event lines); tab and newline stay,
// and with colour on only swarm's own SGR codes survive.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { terminalSafe } from '../../src/util/terminal.js';
import { renderTranscript } from '../../src/report/transcript.js';
import { buildSnapshot, renderStatus } from '../../src/report/status.js';
import { explain, renderExplain } from '../../src/report/explain.js';
import { parseWorkflow } from '../../src/config/workflow.js';
import { emptyState } from '../../src/state/empty-state.js';
import { chalkPaint } from '../../src/commands/paint.js';
import { Logger } from '../../src/log/logger.js';

const NOW = Date.parse('2025-03-01T12:00:00.000Z');
const OSC52 = '\u001b]52;c;dG91Y2ggcHduZWQ=\u0007';
const HOSTILE = `A${OSC52}B\u001b]8;;https://evil.example\u001b\\link\u001b]8;;\u001b\\C\u001b[2J\u001b[1;1HD\rE\u009b31mF\u009d0;title\u009cG\u0000\u0008\u007fH\u001b[8mI\u001bcJ\tK`;
const CLEAN = 'ABlinkCDEFGHIJ\tK';
/** Any control character but tab and newline (C0, DEL, C1). */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

describe('terminalSafe', () => {
  it('drops escape sequences with their payload and every other control character but tab and newline', () => {
    expect(terminalSafe(HOSTILE)).toBe(CLEAN);
    expect(terminalSafe('line 1\n\tline 2\n')).toBe('line 1\n\tline 2\n');
    expect(terminalSafe('unterminated \u001b]52;c;AAAA\nnext')).toBe('unterminated \nnext');
    expect(terminalSafe('plain ✓ ünïcode')).toBe('plain ✓ ünïcode');
  });

  it("with colour keeps swarm's own SGR codes and nothing else (no conceal, no background, no cursor)", () => {
    const own = '\u001b[1mbold\u001b[22m \u001b[31mred\u001b[39m \u001b[90mgray\u001b[39m';
    expect(terminalSafe(own, true)).toBe(own);
    expect(terminalSafe(own, false)).toBe('bold red gray');
    expect(terminalSafe('\u001b[8mhidden\u001b[0m \u001b[41mbg\u001b[49m \u001b[2Kx', true)).toBe('hidden\u001b[0m bg x');
  });
});

describe('every human renderer is terminal-safe', () => {
  it('swarm logs: a transcript whose tool result and text carry OSC 52 renders no ESC byte', () => {
    const lines = [
      { type: 'system', subtype: 'init', session_id: `s${OSC52}`, model: 'sonnet' },
      { type: 'assistant', message: { content: [{ type: 'text', text: `hello ${OSC52}world` }, { type: 'tool_use', id: 't1', name: 'Bash', input: { command: `cat x${OSC52}` } }] } },
      { type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: 't1', content: `out ${HOSTILE}`, is_error: false }] } },
      { type: 'result', subtype: 'success', is_error: false, result: `done ${OSC52}`, num_turns: 1, total_cost_usd: 0, duration_ms: 1, usage: {} },
    ].map((l) => JSON.stringify(l));
    for (const paint of [undefined, chalkPaint()]) {
      const text = renderTranscript([...lines, `not json ${OSC52}`].join('\n'), { paint });
      expect(text).toContain('hello world');
      expect(text).toContain('out ABlinkCD EFGHIJ K'); // a tool result is shown as one line (CR and tab → space)
      expect(text).not.toContain(']52;');
      if (!paint) expect(text).not.toContain('\u001b');
      expect(text.replace(/\u001b\[(?:0|1|2|22|31|32|33|36|39|90)?m/g, '')).not.toMatch(CONTROL);
    }
  });

  it('swarm status and swarm explain: hostile titles and reasons print clean', () => {
    const s = emptyState(NOW);
    s.tickets['1'] = {
      key: '1', identifier: '#1', title: `T ${HOSTILE}`, url: '', branch: 'b', worktree: '/w', status: 'failed', failures: 3, next_retry_at: null, retry_reason: null, pr: null, cost_usd: 0,
      claimed_at: null, updated_at: new Date(NOW).toISOString(), last_event: '', rev: 1, synced_rev: 1, cleared: false,
      attempts: [{ number: 1, model: 'sonnet', outcome: 'agent_error', counted: true, reason: `boom ${OSC52}`, summary: '', started_at: '', ended_at: null, duration_ms: 0, cost_usd: 0, tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 }, session_id: null, pid: null, pid_start: null, run_file: '' }],
    };
    const status = renderStatus(buildSnapshot(s, null, NOW), undefined, 160);
    expect(status).toContain('boom');
    expect(status).not.toMatch(CONTROL);
    const config = parseWorkflow('---\ntracker:\n  kind: github\n  repo: acme/widgets\n  token: x\n---\nDo it\n', 'WORKFLOW.md', {}).config;
    const ticket = { key: '1', id: '1', identifier: '#1', number: 1, title: `T ${HOSTILE}`, body: '', url: `https://x/${OSC52}`, labels: ['agent'], priority: 4, state: 'open', open: true, phase: 'todo' as const, created_at: '', updated_at: '', blockers: [], branch_hint: null };
    const report = explain({ ticket, config, state: s, now: NOW, daemon: { running: false, pid: null }, running: new Set(), trust: { trusted: false, reason: `labelled by @m${OSC52}` }, pr: null, codeHost: 'github', branch: 'b' });
    for (const paint of [undefined, chalkPaint()]) {
      const text = renderExplain(report, paint);
      expect(text).toContain(`T ${CLEAN}`);
      expect(text.replace(/\u001b\[(?:0|1|2|22|31|32|33|36|39|90)?m/g, '')).not.toMatch(CONTROL);
    }
  });

  it("the daemon's event lines on stdout carry no escape but its own colours", () => {
    for (const color of [false, true]) {
      const out = new PassThrough();
      let text = '';
      out.on('data', (d) => (text += d));
      const log = new Logger({ eventsFile: null, out, color, now: () => NOW });
      log.event({ type: 'finished', ticket: '#1', key: '1', attempt: 1, outcome: 'agent_error', counted: true, reason: `agent said ${HOSTILE}`, cost_usd: 0, duration_ms: 0 } as never);
      log.warn(`title ${OSC52}`, '#1');
      expect(text).toContain(`agent said ${CLEAN}`);
      expect(text).toContain('title ');
      if (!color) expect(text).not.toContain('\u001b');
      expect(text.replace(/\u001b\[(?:0|1|2|22|31|32|33|36|39|90)?m/g, '')).not.toMatch(CONTROL);
    }
  });
});
