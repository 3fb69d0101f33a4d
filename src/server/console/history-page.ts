// GET /history: the last 30 days at a glance — cost per day and model, outcomes per day, attempts per
// resolved ticket, the account's usage window over time, and how long tickets took from their first claim
// to a pull request — from the incremental history (history.ts), drawn as SVG on the server (charts.ts).
import type { History } from './history.js';
import { histogram, lineChart, stackedBars } from './charts.js';
import { shell } from './layout.js';
import { esc, usd } from './html.js';

const DAYS = 30;
/** Outcomes keep their colour from day to day: hand-offs green, counted failures red and orange, pauses purple, ours grey. */
const OUTCOME_COLOUR: Record<string, number> = {
  pr_opened: 2, pr_auto_opened: 5, no_changes: 1, agent_error: 3, timed_out: 6, stalled: 6, infra_failed: 0, rate_limited: 4, auth_failed: 4, cancelled: 7, interrupted: 7,
};

export function historyPage(h: History, o: { eventId: number; canAct: boolean; now: number }): string {
  h.refresh();
  const days = h.days(DAYS);
  const short = (date: string) => date.slice(5); // MM-DD
  const cost = stackedBars('cost-per-day', `Cost per day and model (last ${DAYS} days)`, days.map((d) => ({ label: short(d.date), values: d.cost })), (v) => (v >= 10 ? `$${Math.round(v)}` : `$${v.toFixed(2)}`));
  const outcomes = stackedBars('outcomes-per-day', `Outcomes per day (last ${DAYS} days)`, days.map((d) => ({ label: short(d.date), values: d.outcomes })), (v) => String(Math.round(v)), (s) => OUTCOME_COLOUR[s]);
  const resolved = h.resolved(DAYS);
  const attempts = histogram('attempts-per-ticket', `Attempts per resolved ticket (${resolved.length} handed off in ${DAYS} days)`, [1, 2, 3, 4].map((n) => ({ label: String(n), count: resolved.filter((r) => r.attempts === n).length })).concat([{ label: '5+', count: resolved.filter((r) => r.attempts >= 5).length }]));
  const span = DAYS * 86_400_000;
  const samples = h.window(span).map((s) => ({ at: s.at, value: s.value * 100 }));
  const window = lineChart('account-window', `Claude account usage window (% used, last ${DAYS} days)`, samples, o.now - span, o.now, 100, (v) => `${Math.round(v)}%`, (at) => new Date(at).toISOString().slice(5, 10));
  const timed = resolved.filter((r) => r.hours !== null).map((r) => r.hours!);
  const buckets: [string, number][] = [['<15m', 0.25], ['<1h', 1], ['<4h', 4], ['<12h', 12], ['<1d', 24], ['≥1d', Infinity]];
  let lower = 0;
  const toPr = histogram('claim-to-pr', `Time from first claim to pull request (${timed.length} tickets)`, buckets.map(([label, upper]) => {
    const count = timed.filter((x) => x >= lower && x < upper).length;
    lower = upper;
    return { label, count };
  }));
  const total = days.reduce((a, d) => a + Object.values(d.cost).reduce((x, y) => x + y, 0), 0);
  const runs = days.reduce((a, d) => a + Object.values(d.outcomes).reduce((x, y) => x + y, 0), 0);
  const summary = `<p class="summary">Last ${DAYS} days: <b>${usd(total)}</b> · ${esc(runs)} attempts · <b>${esc(resolved.length)}</b> tickets handed off${timed.length ? ` · median claim→PR ${esc(median(timed).toFixed(1))} h` : ''}</p>`;
  const main = `<h1>History</h1>${summary}<div class="charts">${cost}${outcomes}${attempts}${toPr}${window}</div>`;
  return shell({ title: 'History', page: 'history', eventId: o.eventId, canAct: o.canAct, main });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
