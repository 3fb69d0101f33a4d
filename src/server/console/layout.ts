// The console's page shell: one stylesheet and one script, both served by the daemon itself (no CDN, no
// font, no external request of any kind — the Content-Security-Policy says so to the browser too), a skip
// link, the navigation, a live-status indicator and a polite live region for the answers to controls.
import type { ApiResponse } from '../api.js';
import { esc } from './html.js';

/** Everything comes from this server; nothing inline runs; no other origin is ever contacted. */
export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export interface ShellOptions {
  title: string;
  page: 'overview' | 'ticket' | 'history';
  /** The stream id the page was rendered at: the live view continues from there. */
  eventId: number;
  /** The viewer may act (a session, or the bearer token): controls are enabled. */
  canAct: boolean;
  /** Extra data-* attributes for the client (ticket key, attempt…). */
  data?: Record<string, string>;
  main: string;
}

const NAV: [ShellOptions['page'] | 'none', string, string][] = [['overview', '/', 'Overview'], ['history', '/history', 'History']];

export function shell(o: ShellOptions): string {
  const data = Object.entries(o.data ?? {}).map(([k, v]) => ` data-${k}="${esc(v)}"`).join('');
  const nav = NAV.map(([p, href, label]) => `<a href="${href}"${p === o.page ? ' aria-current="page"' : ''}>${label}</a>`).join('');
  const readOnly = o.canAct ? '' : '<p class="note" id="read-only">Read-only view: run <code>swarm dashboard</code> in the repository and open the link it prints to act from this page.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark"><title>${esc(o.title)} · swarm</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="/assets/console.css"></head>
<body data-page="${o.page}" data-event-id="${o.eventId}" data-can-act="${o.canAct ? '1' : '0'}"${data}>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><b class="brand">swarm</b><nav aria-label="Console">${nav}</nav><span id="live" class="live" role="status" aria-live="polite">connecting…</span></header>
${readOnly}<div id="toast" class="toast" role="status" aria-live="polite"></div>
<main id="main">${o.main}</main>
<script src="/assets/console.js" defer></script>
</body></html>
`;
}

/** A page response: the policy that keeps it self-contained, and no referrer leaving the machine. */
export function pageResponse(html: string, status = 200): ApiResponse {
  return { status, contentType: 'text/html; charset=utf-8', body: html, headers: { 'content-security-policy': CSP, 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' } };
}

/** A plain page with one message (a refused login, a missing session): no script, no stylesheet. */
export function messagePage(title: string, message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="color-scheme" content="light dark"><title>${esc(title)} · swarm</title><link rel="icon" href="data:,"></head>
<body><main><h1>${esc(title)}</h1><p>${esc(message)}</p><p>Run <code>swarm dashboard</code> in the repository where the daemon runs: it prints a one-time link that logs this browser in.</p></main></body></html>
`;
}
