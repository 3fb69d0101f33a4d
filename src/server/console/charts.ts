// Charts as server-rendered SVG: no library, no script, nothing fetched. Stacked bars (per day, per
// series), a line over time, and a histogram; each is a <figure> whose SVG has a title and description for
// screen readers and whose numbers are also in a folded table. Colours are CSS classes (c0…c7), so the
// stylesheet gives them light and dark variants. Pure: data in, markup out.
import { esc } from './html.js';

export interface Bar {
  label: string;
  /** Series name → value (missing = 0). */
  values: Record<string, number>;
}

const W = 640;
const H = 200;
const PAD = { l: 44, r: 8, t: 10, b: 28 };
const PLOT_W = W - PAD.l - PAD.r;
const PLOT_H = H - PAD.t - PAD.b;

/** A stacked bar chart (one bar per label); `format` prints an axis value; `colour` fixes a series' colour (0…7). */
export function stackedBars(id: string, title: string, bars: Bar[], format: (v: number) => string, colour?: (series: string) => number | undefined): string {
  const series = seriesOf(bars);
  const cls = (s: string, i: number) => `c${(colour?.(s) ?? i) % 8}`;
  const max = niceMax(Math.max(0, ...bars.map((b) => sum(Object.values(b.values)))));
  const bw = PLOT_W / Math.max(1, bars.length);
  const rects: string[] = [];
  bars.forEach((b, i) => {
    let y = PAD.t + PLOT_H;
    series.forEach((s, si) => {
      const v = b.values[s] ?? 0;
      if (v <= 0 || max === 0) return;
      const h = (v / max) * PLOT_H;
      y -= h;
      rects.push(`<rect class="${cls(s, si)}" x="${r(PAD.l + i * bw + bw * 0.12)}" y="${r(y)}" width="${r(bw * 0.76)}" height="${r(h)}"><title>${esc(`${b.label} · ${s}: ${format(v)}`)}</title></rect>`);
    });
  });
  // About eight labels, counted back from the last bar (today) so the newest is always named.
  const every = Math.max(1, Math.ceil(bars.length / 8));
  const xLabels = bars.map((b, i) => ((bars.length - 1 - i) % every === 0 ? `<text class="ax" x="${r(PAD.l + i * bw + bw / 2)}" y="${H - 10}" text-anchor="middle">${esc(b.label)}</text>` : '')).join('');
  const desc = `${bars.length} bars; highest ${format(max === 0 ? 0 : Math.max(...bars.map((b) => sum(Object.values(b.values)))))}; series ${series.join(', ') || 'none'}`;
  const rows = bars.filter((b) => sum(Object.values(b.values)) > 0).map((b) => [b.label, ...series.map((s) => format(b.values[s] ?? 0))]);
  return figure(id, title, desc, `${axes(max, format)}${rects.join('')}${xLabels}`, legend(series, cls), dataTable(['', ...series], rows));
}

/** A line over time (x: epoch ms within [from, to]; y within [0, yMax]). */
export function lineChart(id: string, title: string, points: { at: number; value: number }[], from: number, to: number, yMax: number, format: (v: number) => string, xLabel: (at: number) => string): string {
  const x = (at: number) => PAD.l + ((at - from) / Math.max(1, to - from)) * PLOT_W;
  const y = (v: number) => PAD.t + PLOT_H - (Math.min(v, yMax) / yMax) * PLOT_H;
  const path = points.length === 0 ? '' : `<polyline class="line c0" fill="none" points="${points.map((p) => `${r(x(p.at))},${r(y(p.value))}`).join(' ')}"/>`;
  const dots = points.length <= 60 ? points.map((p) => `<circle class="c0" cx="${r(x(p.at))}" cy="${r(y(p.value))}" r="2.5"><title>${esc(`${xLabel(p.at)}: ${format(p.value)}`)}</title></circle>`).join('') : '';
  const anchor = (f: number) => (f === 0 ? 'start' : f === 1 ? 'end' : 'middle');
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<text class="ax" x="${r(PAD.l + f * PLOT_W)}" y="${H - 10}" text-anchor="${anchor(f)}">${esc(xLabel(from + f * (to - from)))}</text>`).join('');
  const desc = points.length === 0 ? 'no samples' : `${points.length} samples; latest ${format(points[points.length - 1]!.value)}; highest ${format(Math.max(...points.map((p) => p.value)))}`;
  const rows = points.slice(-30).map((p) => [xLabel(p.at), format(p.value)]);
  return figure(id, title, desc, `${axes(yMax, format)}${path}${dots}${ticks}`, '', dataTable(['time', 'value'], rows));
}

/** A histogram: one bar per bucket. */
export function histogram(id: string, title: string, buckets: { label: string; count: number }[]): string {
  return stackedBars(id, title, buckets.map((b) => ({ label: b.label, values: { tickets: b.count } })), (v) => String(Math.round(v)));
}

function figure(id: string, title: string, desc: string, inner: string, legendHtml: string, table: string): string {
  return `<figure class="chart" id="${esc(id)}"><figcaption>${esc(title)}</figcaption>` +
    `<svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${esc(id)}-t ${esc(id)}-d" preserveAspectRatio="xMidYMid meet"><title id="${esc(id)}-t">${esc(title)}</title><desc id="${esc(id)}-d">${esc(desc)}</desc>${inner}</svg>` +
    `${legendHtml}${table}</figure>`;
}

function axes(max: number, format: (v: number) => string): string {
  const lines = [0, 0.5, 1].map((f) => {
    const yy = PAD.t + PLOT_H - f * PLOT_H;
    return `<line class="grid" x1="${PAD.l}" x2="${W - PAD.r}" y1="${r(yy)}" y2="${r(yy)}"/><text class="ax" x="${PAD.l - 4}" y="${r(yy + 4)}" text-anchor="end">${esc(format(max * f))}</text>`;
  });
  return lines.join('');
}

function legend(series: string[], cls: (s: string, i: number) => string): string {
  if (series.length <= 1) return '';
  return `<ul class="legend">${series.map((s, i) => `<li><span class="sw ${cls(s, i)}" aria-hidden="true"></span>${esc(s)}</li>`).join('')}</ul>`;
}

function dataTable(head: string[], rows: string[][]): string {
  if (rows.length === 0) return '<p class="none">no data in this period</p>';
  return `<details class="data"><summary>numbers</summary><div class="scroll"><table><thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table></div></details>`;
}

function seriesOf(bars: Bar[]): string[] {
  const totals = new Map<string, number>();
  for (const b of bars) for (const [k, v] of Object.entries(b.values)) totals.set(k, (totals.get(k) ?? 0) + v);
  return [...totals.entries()].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).map(([k]) => k);
}

/** 1, 2, 5 × 10^n at or above `v` (0 stays 0). */
function niceMax(v: number): number {
  if (v <= 0) return 0;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const r = (n: number) => Math.round(n * 10) / 10;
