// Small HTML helpers every console page shares: escaping (every value from a ticket, an agent or a
// tracker goes through esc), durations, money, and the attempts wording the terminal uses too.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** 42s, 3m 05s, 2h 07m; "–" when unknown. */
export function dur(sec: number | null | undefined): string {
  if (sec === null || sec === undefined || !Number.isFinite(sec)) return '–';
  const s = Math.max(0, Math.round(sec));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function usd(n: number): string {
  return `$${(n || 0).toFixed(2)}`;
}

/** Only http(s) links are ever rendered as links. */
export function safeUrl(u: string | null | undefined): string | null {
  return u && /^https?:\/\//i.test(u) ? u : null;
}

/** The console URL of a ticket page. */
export function ticketHref(key: string): string {
  return `/tickets/${encodeURIComponent(key)}`;
}
