// One line of a ticket's timeline in words, from its logged event. Known events say what happened with
// their facts (an attempt: model, outcome, duration, tokens, cost, reason); an event this list does not know
// — a status added later, such as verification after merge — is shown generically by its type and reason,
// so the timeline never hides a step. Pure; every value is escaped.
import type { TimelineEvent } from './history.js';
import { dur, esc, safeUrl, usd } from './html.js';

/** Bookkeeping that tells an operator nothing about the ticket's story (it stays in events.jsonl). */
export const QUIET: ReadonlySet<string> = new Set(['spawned', 'commits_seen']);

export function timelineItem(e: TimelineEvent): string {
  const at = typeof e.at === 'string' ? e.at : '';
  const { text, cls } = words(e);
  return `<li class="ev ${cls}"><time datetime="${esc(at)}">${esc(at.slice(0, 19).replace('T', ' '))}</time> ${text}</li>`;
}

const s = (v: unknown) => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));
const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function words(e: TimelineEvent): { text: string; cls: string } {
  switch (e.type) {
    case 'claimed':
      return { text: `claimed → branch <code>${esc(e.branch)}</code>`, cls: 'claim' };
    case 'started':
      return { text: `attempt ${esc(e.attempt)} started on <b>${esc(e.model)}</b> (${esc(n(e.failures))} of ${esc(n(e.max_attempts))} failures used)`, cls: 'start' };
    case 'finished': {
      const tok = (e.tokens ?? {}) as Record<string, unknown>;
      const tokens = n(tok.input) + n(tok.output) + n(tok.cacheRead) + n(tok.cacheCreation);
      const ok = s(e.outcome).startsWith('pr_');
      return {
        text: `attempt ${esc(e.attempt)} <b>${esc(e.outcome)}</b>${e.counted ? ' (counted)' : ''} · ${esc(e.model)} · ${dur(n(e.duration_ms) / 1000)} · ${esc(tokens)} tokens · ${usd(n(e.cost_usd))} — ${esc(e.reason)}`,
        cls: ok ? 'good' : e.counted ? 'bad' : 'neutral',
      };
    }
    case 'pr_opened':
    case 'pr_found': {
      const url = safeUrl(s(e.pr));
      return { text: `handed off: ${url ? `<a class="pr" href="${esc(url)}">${esc(url)}</a>` : esc(e.pr || 'the pushed branch')}${e.type === 'pr_found' ? ' (found without a run)' : ''}`, cls: 'good' };
    }
    case 'followup_started':
      return { text: `follow-up round ${esc(e.round)} on PR #${esc(e.pr)} (${e.kind === 'ci' ? 'failing checks' : 'changes requested'})`, cls: 'start' };
    case 'followup_pushed':
      return { text: `follow-up round ${esc(e.round)} pushed <code>${esc(s(e.head_sha).slice(0, 7))}</code>`, cls: 'good' };
    case 'pr_closed':
      return { text: e.merged ? `merged: ${esc(e.pr)}` : `pull request closed without merging: ${esc(e.pr)}`, cls: e.merged ? 'good' : 'neutral' };
    case 'ticket_failed':
      return { text: `failed after ${esc(e.failures)} counted attempts: ${esc(e.reason)}`, cls: 'bad' };
    case 'retry_scheduled':
      return { text: `retry scheduled for ${esc(e.due)}`, cls: 'neutral' };
    case 'operator_message':
      return { text: `operator message to attempt ${esc(e.attempt)}: <q>${esc(e.text)}</q>`, cls: 'operator' };
    default: {
      // waiting, held, cancelled, released, hold_lifted, retry_requested, interrupted, needs_human, sync_failed…
      // and whatever a later version adds (verifying, reverted): the type and its reason.
      const why = s(e.reason) || s(e.error) || s(e.why);
      const cls = e.type === 'needs_human' || e.type === 'sync_failed' ? 'bad' : 'neutral';
      return { text: `${esc(e.type.replace(/_/g, ' '))}${why ? `: ${esc(why)}` : ''}`, cls };
    }
  }
}
