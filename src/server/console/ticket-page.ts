// GET /tickets/<id>: one ticket's whole story on one page — its status and the controls that apply to it,
// a timeline from the events log (claim, each attempt with model, outcome, duration, tokens, cost and
// reason, PR, follow-up rounds, merge, and any status added later, shown generically), every attempt, and
// the readable transcript of one attempt (?attempt=N; default: the running or latest one). A running
// attempt's transcript continues live from the stream, from the line the page was rendered at.
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, relative, resolve, isAbsolute } from 'node:path';
import type { AttemptRecord, TicketState } from '../../core/types.js';
import { attemptWords } from '../../report/status.js';
import type { TimelineEvent } from './history.js';
import { transcriptHtml } from './transcript-html.js';
import { dur, esc, safeUrl, ticketHref, usd } from './html.js';
import { shell } from './layout.js';
import { QUIET, timelineItem } from './timeline.js';

const MAX_TRANSCRIPT_BYTES = 4 * 1024 * 1024;

export interface TicketView {
  ticket: TicketState;
  running: boolean;
  timeline: TimelineEvent[];
  maxAttempts: number;
  runsDir: string;
}

export function ticketPage(v: TicketView, o: { eventId: number; canAct: boolean; attempt: number | null }): string {
  const t = v.ticket;
  const shown = pickAttempt(t, o.attempt);
  const transcript = shown ? transcriptSection(v, shown) : '<p class="none">no attempt has run yet</p>';
  const data: Record<string, string> = { key: t.key };
  if (shown) Object.assign(data, { attempt: String(shown.number), follow: o.attempt === null ? '1' : '0' });
  const live = v.running ? t.attempts.find((a) => a.outcome === 'running') : undefined;
  const dis = o.canAct ? '' : ' disabled';
  // Outside the live part, so a refresh never wipes what the operator is typing.
  const message = live
    ? `<form id="message-form" class="message" data-form="message" data-key="${esc(t.key)}"><label for="message-text">Message to the agent (attempt ${esc(live.number)})</label>` +
      `<textarea id="message-text" name="text" rows="3" maxlength="8000" required${dis}></textarea><button type="submit"${dis}>Send message</button>` +
      '<span class="hint">Delivered into the live session at its next turn; recorded in the transcript and the events log.</span></form>'
    : '';
  const main = `<div id="ticket-live" data-part="live">${ticketLive(v, o.canAct, shown?.number ?? null)}</div>${message}${transcript}`;
  return shell({ title: `${t.identifier} ${t.title}`, page: 'ticket', eventId: o.eventId, canAct: o.canAct, data, main });
}

/** The parts that change with the ticket's status (fetched again on its stream events). */
export function ticketLive(v: TicketView, canAct: boolean, shownAttempt: number | null): string {
  const t = v.ticket;
  const live = t.attempts.find((a) => a.outcome === 'running');
  const dis = canAct ? '' : ' disabled';
  const btn = (kind: string, label: string, what: string) => `<button type="button" class="act ${kind}" data-act="${kind}" data-key="${esc(t.key)}" aria-label="${esc(what)}"${dis}>${label}</button>`;
  const controls: string[] = [];
  if (v.running && live) controls.push(btn('cancel', 'Cancel attempt', `Cancel attempt ${live.number} of ${t.identifier} (not counted)`));
  if (t.status === 'claimed' || t.status === 'running' || t.status === 'retry_wait') controls.push(btn('release', 'Release', `Release ${t.identifier} and leave it alone`));
  if (t.status === 'failed' || t.status === 'released') controls.push(btn('retry', 'Retry', `Retry ${t.identifier} with a fresh attempt count`));
  const url = safeUrl(t.url);
  const pr = t.pr ? safeUrl(t.pr.url) : null;
  const facts = [
    `<span class="st st-${esc(t.status)}">${esc(t.status)}</span>`,
    live ? esc(attemptWords(live.number, t.failures, v.maxAttempts)) : `${esc(t.failures)} of ${esc(v.maxAttempts)} failures used`,
    `branch <code>${esc(t.branch || '–')}</code>`,
    pr ? `<a class="pr" href="${esc(pr)}">pull request #${esc(t.pr!.number)}</a>` : t.pr ? esc(t.pr.url) : '',
    `cost ${usd(t.cost_usd)}`,
    url ? `<a href="${esc(url)}">on the tracker</a>` : '',
  ].filter(Boolean);
  const hold = t.status === 'released' && t.hold ? `<div class="banner pause" role="status">${esc(t.hold.reason)}</div>` : '';
  return `<h1><span class="ticket">${esc(t.identifier)}</span> ${esc(t.title)}</h1><p class="facts">${facts.join(' · ')}</p>${hold}` +
    `<p class="now">${esc(t.last_event || '')}</p><div class="controls">${controls.join('')}</div>` +
    `<section aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2>${timelineList(v)}</section>` +
    `<section aria-labelledby="h-attempts"><h2 id="h-attempts">Attempts <span class="n">${t.attempts.length}</span></h2>${attemptsTable(t, shownAttempt)}</section>`;
}

function timelineList(v: TicketView): string {
  if (v.timeline.length === 0) return '<p class="none">no events in the log for this ticket (older than the log, or not claimed yet)</p>';
  return `<ol class="timeline">${v.timeline.filter((e) => !QUIET.has(e.type)).map((e) => timelineItem(e)).join('')}</ol>`;
}

function attemptsTable(t: TicketState, shown: number | null): string {
  if (t.attempts.length === 0) return '<p class="none">none yet</p>';
  const head = ['#', 'model', 'outcome', 'duration', 'tokens', 'cost', 'reason'];
  const rows = t.attempts.map((a) => {
    const tokens = a.tokens.input + a.tokens.output + a.tokens.cacheRead + a.tokens.cacheCreation;
    const n = a.number === shown ? `<b aria-current="true">${a.number}</b>` : `<a href="${ticketHref(t.key)}?attempt=${a.number}" aria-label="Transcript of attempt ${a.number}">${a.number}</a>`;
    const outcome = `<span class="oc oc-${esc(a.outcome)}">${esc(a.outcome)}</span>${a.counted ? ' <span class="counted">counted</span>' : ''}`;
    const words = a.summary && a.outcome !== 'pr_opened' && a.outcome !== 'pr_auto_opened' && a.outcome !== 'running' ? `<q class="words">${esc(a.summary.length > 600 ? `${a.summary.slice(0, 599)}…` : a.summary)}</q>` : '';
    return [n, esc(a.model), outcome, a.outcome === 'running' ? 'running' : dur(a.duration_ms / 1000), esc(tokens), usd(a.cost_usd), `${esc(a.reason)}${words}`];
  });
  return `<div class="scroll"><table><thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table></div>`;
}

function transcriptSection(v: TicketView, a: AttemptRecord): string {
  const running = a.outcome === 'running';
  const file = runFileOf(v, a);
  const { html, lines, note } = readTranscript(file, !running);
  return `<section class="transcript-section" aria-labelledby="h-transcript"><h2 id="h-transcript">Attempt ${a.number} transcript${running ? ' <span class="badge live-badge">live</span>' : ''}</h2>` +
    `<p class="hint">${esc(a.model)} · started ${esc(a.started_at)}${a.outcome !== 'running' ? ` · ${esc(a.outcome)}` : ''}</p>${note}` +
    `<div id="transcript" class="transcript" tabindex="0" role="log" aria-label="Transcript of attempt ${a.number}" data-lines="${lines}" data-live="${running ? '1' : '0'}">${html || '<p class="none">no output yet</p>'}</div>` +
    '<button type="button" id="jump" class="jump" hidden>New lines below ↓</button></section>';
}

/** The attempt's run file, only ever inside the runs folder. */
function runFileOf(v: TicketView, a: AttemptRecord): string {
  const fallback = join(v.runsDir, v.ticket.key.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 80) || 'ticket', `${a.number}.jsonl`);
  if (!a.run_file) return fallback;
  const rel = relative(resolve(v.runsDir), resolve(a.run_file));
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? a.run_file : fallback;
}

function readTranscript(file: string, complete: boolean): { html: string; lines: number; note: string } {
  if (!existsSync(file)) return { html: '', lines: 0, note: '' };
  const size = statSync(file).size;
  if (size <= MAX_TRANSCRIPT_BYTES) return { ...transcriptHtml(readFileSync(file), complete), note: '' };
  // A long transcript shows its last part; the lines before it are only counted (chunk by chunk), so the
  // live view continues exactly where the page ends.
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(1 << 20);
    const head = size - MAX_TRANSCRIPT_BYTES;
    let skipped = 0;
    let prev = 0x0a;
    for (let pos = 0; pos < head;) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, head - pos), pos);
      if (n === 0) break;
      for (let i = 0; i < n; i++) {
        if (chunk[i] === 0x7b && prev === 0x0a) skipped++; // a line that starts a JSON object
        prev = chunk[i]!;
      }
      pos += n;
    }
    const tail = Buffer.alloc(MAX_TRANSCRIPT_BYTES);
    const got = readSync(fd, tail, 0, tail.length, head);
    // The tail starts mid-line unless the head ended one: that torn line was counted with the head.
    const cut = prev === 0x0a ? 0 : tail.indexOf(0x0a) + 1;
    const t = transcriptHtml(tail.subarray(cut, got), complete);
    return { html: t.html, lines: skipped + t.lines, note: `<p class="note">The first ${skipped} lines are not shown (${Math.round(size / 1048576)} MB transcript); \`swarm logs\` prints all of it.</p>` };
  } finally {
    closeSync(fd);
  }
}

function pickAttempt(t: TicketState, wanted: number | null): AttemptRecord | null {
  if (wanted !== null) return t.attempts.find((a) => a.number === wanted) ?? null;
  return t.attempts.find((a) => a.outcome === 'running') ?? t.attempts[t.attempts.length - 1] ?? null;
}
