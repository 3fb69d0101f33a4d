// `GET /`: a self-contained dashboard page (no external assets). The server renders the first view, and
// the page re-renders itself every 2 s from /api/v1/state with the very same function (shipped to the
// browser through Function#toString), so the server view and the live view cannot drift apart. Fleet mode
// adds the daemons and leases (and a banner while the database is unreachable); the shared Claude account
// and the lane waiting list appear whenever the snapshot carries them.
import type { Snapshot } from '../report/status.js';

/**
 * Snapshot → HTML body. Runs on the server AND in the browser: it must stay self-contained (no imports,
 * no outer helpers, plain ES2022) and escape every value that came from a ticket.
 */
export function renderBody(s: Snapshot): string {
  const esc = (v: unknown): string =>
    String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
  const dur = (sec: number | null): string => {
    if (sec === null || !Number.isFinite(sec)) return '–';
    if (sec < 60) return `${sec}s`;
    if (sec < 3600) return `${Math.floor(sec / 60)}m ${String(sec % 60).padStart(2, '0')}s`;
    return `${Math.floor(sec / 3600)}h ${String(Math.floor((sec % 3600) / 60)).padStart(2, '0')}m`;
  };
  const usd = (n: number): string => `$${(n || 0).toFixed(2)}`;
  const safeUrl = (u: string | null): string | null => (u && /^https?:\/\//i.test(u) ? u : null);
  const table = (title: string, cls: string, head: string[], rows: string[][]): string =>
    `<section class="${cls}"><h2>${esc(title)} <span class="n">${rows.length}</span></h2>` +
    (rows.length === 0
      ? '<p class="none">none</p>'
      : `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`) +
    '</section>';
  const d = s.daemon;
  const out: string[] = [];
  out.push(
    `<header><h1>swarm</h1><span class="daemon ${d.running ? 'up' : 'down'}">${d.running ? `daemon pid ${esc(d.pid)} · heartbeat ${esc(d.heartbeat_age_s ?? '?')}s ago` : 'daemon not running'}${d.draining ? ' · draining (no new work)' : ''}</span>` +
      `<span class="cost">today ${esc(s.totals.date)}: <b id="cost-today">${usd(s.totals.cost_usd)}</b> · ${esc(s.totals.prs)} PRs</span></header>`,
  );
  if (s.pause) {
    const until = s.pause.until ? `until ${esc(s.pause.until)} (${dur(s.pause.remaining_s)} left)` : 'until <code>swarm resume</code>';
    out.push(`<div class="banner pause" id="pause-banner"><b>Dispatch paused</b> (${esc(s.pause.kind)}) ${until}: ${esc(s.pause.reason)}</div>`);
  }
  if (d.sandbox === 'unconfined') out.push('<div class="banner error" id="unconfined-banner"><b>Unconfined</b>: agent.sandbox is off; agents run with your files, logins and network</div>');
  if (d.config_error) out.push(`<div class="banner error">Config error (running on the last good config): ${esc(d.config_error)}</div>`);
  const wh = s.webhooks;
  for (const src of wh ? wh.sources : []) {
    if (src.state === 'silent') {
      out.push(`<div class="banner pause" id="webhooks-${esc(src.source)}"><b>${esc(src.source)} webhooks silent</b> ${src.last_at ? `since ${esc(src.last_at)}` : 'since the daemon started'}: polling back at polling.interval (${dur(wh!.polling_interval_s)})</div>`);
    } else {
      out.push(`<p class="webhooks" id="webhooks-${esc(src.source)}">${esc(src.source)} webhooks ${esc(src.state)}${src.last_age_s !== null ? ` (last verified delivery ${dur(src.last_age_s)} ago)` : ''} · polling every ${dur(wh!.poll_interval_s)}</p>`);
    }
  }
  const f = s.fleet;
  if (f && f.db.status !== 'ok') {
    out.push(`<div class="banner error" id="fleet-db-banner"><b>Fleet database unreachable</b> since ${esc(f.db.since)}: ${esc(f.outage ?? '')} (${esc(f.db.error ?? 'no answer')})</div>`);
  }
  const a = s.account;
  if (a?.pause) out.push(`<div class="banner pause" id="account-pause-banner"><b>Account ${esc(a.name)} paused</b> (${esc(a.pause.limit_type ?? 'usage')} limit) until ${esc(a.pause.until)} (${dur(a.pause.remaining_s)} left): ${esc(a.pause.reason)}</div>`);
  out.push(
    table('Running', 'running', ['ticket', 'title', 'model', 'attempt', 'elapsed', 'last event', 'cost'], s.running.map((r) => [
      `<b class="ticket">${esc(r.ticket)}</b>`, esc(r.title), esc(r.model || '–'), `${esc(r.attempt)}/${esc(r.max_attempts)}`, dur(r.elapsed_s), esc(r.last_event), usd(r.cost_usd),
    ])),
  );
  const lanes = s.retry_queue.some((r) => r.lane);
  out.push(
    table('Queue (retry)', 'queue', ['ticket', 'title', 'due in', ...(lanes ? ['lane'] : []), 'reason'], s.retry_queue.map((r) => [
      `<b class="ticket">${esc(r.ticket)}</b>`, esc(r.title), r.due_in_s === null ? 'after the pause' : dur(r.due_in_s),
      ...(lanes ? [esc(r.lane ?? '')] : []), esc(r.waiting_because ? `${r.reason} · waits: ${r.waiting_because}` : r.reason),
    ])),
  );
  if (s.waiting) {
    out.push(table('Waiting for their lane', 'waiting', ['ticket', 'title', 'lane', 'why'], s.waiting.map((t) => [
      `<b class="ticket">${esc(t.ticket)}</b>`, esc(t.title), `<span class="lane ${esc(t.lane)}">${esc(t.lane)}</span>`, esc(t.waiting_because),
    ])));
  }
  out.push(
    table('Recent pull requests', 'recent', ['ticket', 'title', 'pull request', 'attempts', 'cost'], s.recent.map((r) => {
      const url = safeUrl(r.pr_url);
      return [`<b class="ticket">${esc(r.ticket)}</b>`, esc(r.title), url ? `<a class="pr" href="${esc(url)}">${esc(url)}</a>` : 'handed off (branch)', esc(r.attempts), usd(r.cost_usd)];
    })),
  );
  const watched = s.watched ?? [];
  if (watched.length > 0) {
    out.push(table('Watched pull requests', 'watched', ['ticket', 'pull request', 'checks', 'round', 'state'], watched.map((w) => {
      const url = safeUrl(w.pr_url);
      return [
        `<b class="ticket">${esc(w.ticket)}</b>`, url ? `<a class="pr" href="${esc(url)}">${esc(url)}</a>` : esc(w.pr_url), esc(w.checks ?? 'not watched yet'),
        `${esc(w.rounds)}${w.max_followups === null ? '' : `/${esc(w.max_followups)}`}`, esc(w.state === 'watching' ? w.decision : `${w.state.replace('_', ' ')}: ${w.decision}`),
      ];
    })));
  }
  if (s.failed.length > 0) {
    out.push(table('Failed', 'failed', ['ticket', 'title', 'failures', 'last reason'], s.failed.map((f) => [`<b class="ticket">${esc(f.ticket)}</b>`, esc(f.title), esc(f.failures), esc(f.reason)])));
  }
  if (f) {
    const name = (id: string): string => {
      const m = f.daemons.find((x) => x.id === id);
      return m ? `${m.host} pid ${m.pid}` : id;
    };
    const live = f.daemons.filter((x) => !x.stopped);
    out.push(
      table(`Fleet · ${live.length} daemon(s) · database ${f.db.status}`, 'fleet', ['host', 'pid', 'heartbeat', 'slots', 'leases', 'state'], f.daemons.map((x) => [
        `<b class="daemon-host">${esc(x.host)}</b>${x.self ? ' <span class="self">(this daemon)</span>' : ''}`, esc(x.pid), `${dur(x.heartbeat_age_s)} ago`,
        x.stopped ? '–' : `${esc(x.running)}/${esc(x.max_concurrent)}`, esc(f.leases.filter((l) => l.holder === x.id).length),
        x.stopped ? 'stopped' : x.draining ? 'draining' : 'running',
      ])),
    );
    out.push(
      table('Leases', 'leases', ['ticket', 'held by', 'agent pid', 'expires in'], f.leases.map((l) => [
        `<b class="ticket">${esc(l.ticket)}</b>`, esc(name(l.holder)), esc(l.agent_pid ?? '–'), dur(Math.max(0, l.expires_in_s)),
      ])),
    );
  }
  if (a) {
    const w = a.window;
    const used = w ? (w.overage ? 'spent: runs on paid extra usage' : w.utilization === null ? 'usage not reported' : `${Math.round(w.utilization * 100)}% used`) : 'no figures reported yet';
    const facts = [
      `window: <b id="account-window">${esc(used)}</b>${w ? ` (${esc([w.type, w.status].filter(Boolean).join(', '))})${w.resets_at ? `, resets ${esc(w.resets_at)}` : ''}` : ''}`,
      a.pause ? `paused until ${esc(a.pause.until)}${a.pause.by ? ` by ${esc(a.pause.by)}` : ''}` : 'not paused',
      ...(a.model_limits ?? []).map((l) => `${esc(l.family)} attempts wait until ${esc(l.until)}`),
      a.canary.pending ? `canary: ${a.canary.holder ? `running on ${esc(a.canary.holder)}` : 'the next run goes first'}` : '',
    ].filter(Boolean);
    out.push(
      `<section class="account"><h2>Account ${esc(a.name)} <span class="n">${esc(a.members.length)} daemon(s)</span></h2><p>${facts.join(' · ')}</p>` +
        (a.members.length === 0 ? '' : `<table><thead><tr><th>host</th><th>pid</th><th>repository</th><th>heartbeat</th></tr></thead><tbody>${a.members.map((m) => `<tr><td>${esc(m.host)}</td><td>${esc(m.pid)}</td><td>${esc(m.repo || '–')}</td><td>${dur(m.heartbeat_age_s)} ago</td></tr>`).join('')}</tbody></table>`) +
        '</section>',
    );
  }
  const byOutcome = Object.entries(s.totals.attempts).map(([k, v]) => `${esc(k)} ${esc(v)}`).join(', ') || 'none';
  const t = s.totals.tokens;
  out.push(`<footer>attempts today: ${byOutcome} · tokens ${esc(t.input + t.output + t.cacheRead + t.cacheCreation)} · updated ${esc(s.generated_at)}</footer>`);
  return out.join('\n');
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{display:flex;gap:1.5em;align-items:baseline;padding:.8em 1.2em;background:#1d2330;color:#fff}
header h1{font-size:1.2em;margin:0}.daemon.down{color:#f0a0a0}.cost{margin-left:auto}
.banner{padding:.6em 1.2em}.pause{background:#fff3cd;color:#664d03}.error{background:#f8d7da;color:#58151c}
section{margin:1em 1.2em;background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:.4em .8em}
h2{font-size:1em;margin:.3em 0}.n{color:#6b7280;font-weight:normal}.none{color:#6b7280;margin:.3em 0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25em .5em;border-top:1px solid #eef0f3;vertical-align:top}
th{color:#6b7280;font-weight:600}.failed h2{color:#b42318}a.pr{color:#0b6bcb}footer{margin:1em 1.2em;color:#6b7280}
.self{color:#6b7280}.lane.urgent{color:#b42318;font-weight:600}.lane.background{color:#6b7280}.account p{margin:.3em 0}`;

export function dashboardPage(s: Snapshot): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>swarm</title><style>${STYLE}</style></head>
<body><div id="app">${renderBody(s)}</div>
<script>
const renderBody = ${renderBody.toString()};
async function tick() {
  try {
    const res = await fetch('api/v1/state', { cache: 'no-store' });
    if (res.ok) document.getElementById('app').innerHTML = renderBody(await res.json());
  } catch (e) { /* daemon restarting: keep the last view */ }
}
setInterval(tick, 2000);
</script></body></html>
`;
}
