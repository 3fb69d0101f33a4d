// GET /: the console's overview. The dispatch controls (pause for a while, resume) sit above the live part
// (#app, dashboard.ts's renderBody), which the browser fetches again (`/?part=app`) whenever the stream
// reports a change; a running agent's current tool call is updated in place from the stream's lines.
import type { Snapshot } from '../../report/status.js';
import { renderBody } from '../dashboard.js';
import { shell } from './layout.js';

const PAUSE_CHOICES: [string, string][] = [['1800000', '30 minutes'], ['3600000', '1 hour'], ['7200000', '2 hours'], ['14400000', '4 hours'], ['43200000', '12 hours'], ['', 'until resumed']];

export function overviewPage(s: Snapshot, o: { eventId: number; canAct: boolean; tool?: (key: string) => string | null }): string {
  const dis = o.canAct ? '' : ' disabled';
  const controls = `<section class="controls" aria-label="Dispatch controls">
<form id="pause-form" data-form="pause"><label for="pause-for">Pause dispatch for</label>
<select id="pause-for" name="for_ms"${dis}>${PAUSE_CHOICES.map(([v, l]) => `<option value="${v}"${v === '3600000' ? ' selected' : ''}>${l}</option>`).join('')}</select>
<button type="submit" id="pause-button"${dis}>Pause</button></form>
<button type="button" id="resume-button" data-act="resume"${dis}>Resume</button>
<span class="hint">Running agents continue while dispatch is paused.</span></section>`;
  return shell({ title: 'Overview', page: 'overview', eventId: o.eventId, canAct: o.canAct, main: `${controls}\n<div id="app" data-part="app">${renderBody(s, { canAct: o.canAct, tool: o.tool })}</div>` });
}

/** The live part alone, for the browser's refresh. */
export function overviewPart(s: Snapshot, canAct: boolean, tool?: (key: string) => string | null): string {
  return renderBody(s, { canAct, tool });
}
