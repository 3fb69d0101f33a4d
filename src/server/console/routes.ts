// The console's GET routes: the overview (/), a ticket's page (/tickets/<id>), the history (/history), the
// live parts the browser fetches again (?part=…), and the two assets (/assets/console.css and .js). Who may
// see them is auth.ts's decision; whether the page offers working controls depends on the caller.
import type { ApiRequest, ApiResponse } from '../api.js';
import type { Snapshot } from '../../report/status.js';
import type { TicketState } from '../../core/types.js';
import type { EventBus } from './bus.js';
import type { History } from './history.js';
import { consoleClient } from './client.js';
import { CONSOLE_CSS } from './style.js';
import { historyPage } from './history-page.js';
import { messagePage, pageResponse } from './layout.js';
import { overviewPage, overviewPart } from './overview.js';
import { ticketLive, ticketPage, type TicketView } from './ticket-page.js';

export interface ConsoleContext {
  snapshot(): Snapshot;
  ticket(id: string): { ticket: TicketState; running: boolean } | null;
  maxAttempts(): number;
  history: History;
  bus: EventBus;
  /** A running agent's current tool call (the live feed's). */
  currentTool?: (key: string) => string | null;
  runsDir: string;
  now: () => number;
}

export const CLIENT_JS = `(${consoleClient.toString()})();\n`;
const HTML = 'text/html; charset=utf-8';

export async function consolePage(req: ApiRequest, c: ConsoleContext): Promise<ApiResponse | null> {
  const { path } = req;
  const part = req.query?.get('part') ?? null;
  const canAct = req.caller !== null && req.caller !== undefined;
  const eventId = c.bus.lastId;
  if (path === '/assets/console.css') return asset('text/css; charset=utf-8', CONSOLE_CSS);
  if (path === '/assets/console.js') return asset('text/javascript; charset=utf-8', CLIENT_JS);
  if (path === '/' || path === '/index.html') {
    return part === 'app' ? fragment(overviewPart(c.snapshot(), canAct, c.currentTool)) : pageResponse(overviewPage(c.snapshot(), { eventId, canAct, tool: c.currentTool }));
  }
  if (path === '/history') return pageResponse(historyPage(c.history, { eventId, canAct, now: c.now() }));
  const m = /^\/tickets\/([^/]+)$/.exec(path);
  if (!m) return null;
  let id: string;
  try {
    id = decodeURIComponent(m[1]!);
  } catch {
    return pageResponse(messagePage('Not found', 'malformed ticket id in the URL'), 400);
  }
  const found = c.ticket(id);
  if (!found) return pageResponse(messagePage('Not known to swarm', `ticket ${id} is not known to swarm: it was never claimed (\`swarm explain ${id}\` says why)`), 404);
  c.history.refresh();
  const view: TicketView = { ticket: found.ticket, running: found.running, timeline: c.history.timeline(found.ticket.key), maxAttempts: c.maxAttempts(), runsDir: c.runsDir };
  const n = Number(req.query?.get('attempt') ?? NaN);
  const attempt = Number.isInteger(n) && n > 0 ? n : null;
  if (part === 'live') return fragment(ticketLive(view, canAct, attempt ?? found.ticket.attempts.find((a) => a.outcome === 'running')?.number ?? found.ticket.attempts.at(-1)?.number ?? null));
  return pageResponse(ticketPage(view, { eventId, canAct, attempt }));
}

function asset(contentType: string, body: string): ApiResponse {
  return { status: 200, contentType, body, headers: { 'cache-control': 'no-cache' } };
}

function fragment(html: string): ApiResponse {
  return { status: 200, contentType: HTML, body: html };
}
