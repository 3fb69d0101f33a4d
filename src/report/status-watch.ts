// The PR follow-through part of the status snapshot: each handed-off ticket whose PR swarm watches (or
// just followed up on), with its head's check state as last seen, the follow-up round and what the
// watcher decided. Pure, and as light as status.ts (type imports only).
import type { ViewedState } from '../core/types.js';

export interface WatchedPr {
  ticket: string;
  key: string;
  pr_url: string;
  /** watching | following_up | needs_human */
  state: 'watching' | 'following_up' | 'needs_human';
  head_sha: string | null;
  /** "3 passed, 1 failing"; null before the first watch */
  checks: string | null;
  rounds: number;
  max_followups: number | null;
  decision: string;
  watched_at: string | null;
}

export function watchedSnapshot(state: ViewedState): WatchedPr[] {
  const max = (state.daemon ?? state.configured)?.max_followups ?? null;
  const out: WatchedPr[] = [];
  for (const t of Object.values(state.tickets)) {
    const f = t.followup ?? null;
    const following = f?.pending != null && (t.status === 'claimed' || t.status === 'running' || t.status === 'retry_wait');
    // Only what the watcher has looked at (a code host without PR watching leaves `followup` unset).
    if (!t.pr || !f || (t.status !== 'review' && !following)) continue;
    const stopped = f?.stopped && (f.stopped.why === 'needs_human' || f.stopped.why === 'human_push') ? f.stopped : null;
    out.push({
      ticket: t.identifier, key: t.key, pr_url: t.pr.url,
      state: following ? 'following_up' : stopped || f?.seen?.human ? 'needs_human' : 'watching',
      head_sha: f?.seen?.head_sha ?? null, checks: f?.seen?.checks ?? null, rounds: f?.rounds ?? 0, max_followups: max,
      decision: following ? `follow-up round ${f!.pending!.round} (${f!.pending!.kind === 'ci' ? 'failing checks' : 'changes requested'})` : stopped ? `needs a human: ${stopped.detail}` : f?.seen?.decision ?? 'not watched yet',
      watched_at: f?.seen?.at ?? null,
    });
  }
  return out.sort((a, b) => a.key.localeCompare(b.key, 'en', { numeric: true }));
}

/** The "Watched PRs" block of `swarm status`, every line within `width` columns (columns keep their padding). */
export function renderWatched(list: WatchedPr[], width: number, look: { bold: (s: string) => string; dim: (s: string) => string; warn: (s: string) => string }): string[] {
  const out = [look.bold(`Watched PRs (${list.length})`)];
  for (const w of list) {
    const round = `${w.rounds}${w.max_followups !== null ? `/${w.max_followups}` : ''} follow-ups`;
    const line = fit(width, `  ${w.ticket.padEnd(8)} `, `${w.pr_url} · ${w.checks ?? 'not watched yet'} · ${round}`);
    out.push(w.state === 'needs_human' ? look.warn(line) : line);
    out.push(look.dim(fit(width, '           ', w.decision)));
  }
  return out;
}

/** `prefix` then `text` flattened to one line, clipped with "…" to `width` columns. */
function fit(width: number, prefix: string, text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const room = Math.max(1, width - prefix.length);
  return prefix + (flat.length > room ? `${flat.slice(0, room - 1)}…` : flat);
}
