// The console overview's live part (#app): what `swarm status` shows, as HTML — running agents with their
// current tool call, the queue by lane with each ticket's reason, pauses and the account's usage window,
// failures with the agent's last words, tickets held as untrusted, handed-off PRs, the fleet, today's
// totals — with the controls that can fix what is shown. Rendered on the server from the same snapshot as
// `swarm status` and /api/v1/state (the browser fetches it again when the live stream says something
// changed), so the three cannot disagree. Every value that came from a ticket, an agent or a tracker is escaped.
import { attemptWords, type Snapshot } from '../report/status.js';
import { dur, esc, safeUrl, ticketHref, usd } from './console/html.js';

export interface BodyOptions {
  /** The viewer may act: control buttons are enabled. */
  canAct?: boolean;
  /** A running agent's current tool call, by ticket key (the live feed's). */
  tool?: (key: string) => string | null;
}

export function renderBody(s: Snapshot, opts: BodyOptions = {}): string {
  const can = opts.canAct === true;
  const act = (kind: string, key: string, label: string, what: string) =>
    `<button type="button" class="act ${kind}" data-act="${kind}" data-key="${esc(key)}" aria-label="${esc(what)}"${can ? '' : ' disabled'}>${label}</button>`;
  const link = (ticket: string, key: string) => `<a class="tl" href="${ticketHref(key)}"><b class="ticket">${esc(ticket)}</b></a>`;
  const table = (title: string, cls: string, head: string[], rows: string[][], note = ''): string =>
    `<section class="${cls}" aria-labelledby="h-${cls}"><h2 id="h-${cls}">${esc(title)} <span class="n">${rows.length}</span></h2>${note}` +
    (rows.length === 0
      ? '<p class="none">none</p>'
      : `<div class="scroll"><table><thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table></div>`) +
    '</section>';
  const words = (w: string | null) => (w ? `<q class="words">${esc(w.length > 400 ? `${w.slice(0, 399)}…` : w)}</q>` : '');
  const d = s.daemon;
  const out: string[] = [];
  out.push(
    `<div class="status"><span class="daemon ${d.running ? 'up' : 'down'}">${d.running ? `daemon pid ${esc(d.pid)} · heartbeat ${esc(d.heartbeat_age_s ?? '?')}s ago` : 'daemon not running'}${d.draining ? ' · draining (no new work)' : ''}</span>` +
      `<span class="cost">today ${esc(s.totals.date)}: <b id="cost-today">${usd(s.totals.cost_usd)}</b> · ${esc(s.totals.prs)} PRs</span></div>`,
  );
  if (s.pause) {
    const until = s.pause.until ? `until ${esc(s.pause.until)} (<span data-until="${esc(s.pause.until)}">${dur(s.pause.remaining_s)}</span> left)` : s.pause.kind === 'disk_full' ? 'until there is room to write again' : 'until <code>swarm resume</code>';
    const kind = s.pause.kind === 'disk_full' ? 'disk full' : s.pause.kind;
    out.push(`<div class="banner ${s.pause.kind === 'disk_full' ? 'error' : 'pause'}" id="pause-banner" role="status"><b>Dispatch paused</b> (${esc(kind)}) ${until}: ${esc(s.pause.reason)}</div>`);
  }
  const vb = s.verification?.base;
  if (vb?.red) {
    out.push(`<div class="banner error" id="base-red-banner"><b>Base ${esc(vb.branch)} is red</b>${vb.since ? ` since ${esc(vb.since)}` : ''} (${vb.charged ? `charged: ${esc(vb.charged)}` : 'nothing of swarm\'s charged'}): ${esc(vb.reason)}${vb.hold ? ` — held: ${esc(vb.hold)}` : ''}</div>`);
  }
  if (d.sandbox === 'unconfined') out.push('<div class="banner error" id="unconfined-banner"><b>Unconfined</b>: agent.sandbox is off; agents run with your files, logins and network</div>');
  if (d.config_error) out.push(`<div class="banner error" id="config-banner">Config error (running on the last good config): ${esc(d.config_error)}</div>`);
  if (d.tracker_error) out.push(`<div class="banner error">The tracker refuses the poll (not retried): ${esc(d.tracker_error.message)}</div>`);
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
    table('Running', 'running', ['ticket', 'title', 'model', 'attempt', 'elapsed', 'current tool call', 'cost', ''], s.running.map((r) => [
      link(r.ticket, r.key), esc(r.title), esc(r.model || '–'), esc(attemptWords(r.attempt, r.failures, r.max_attempts)),
      r.model ? `<span data-since="${esc(new Date(Date.parse(s.generated_at) - r.elapsed_s * 1000).toISOString())}">${dur(r.elapsed_s)}</span>` : 'starting',
      `<span class="activity" data-activity-for="${esc(r.key)}">${esc(opts.tool?.(r.key) ?? (r.last_event || 'no agent output yet'))}</span>`, usd(r.cost_usd),
      act('cancel', r.key, 'Cancel', `Cancel the running attempt of ${r.ticket}`),
    ])),
  );
  const lanes = s.retry_queue.some((r) => r.lane);
  out.push(
    table('Queue (retry)', 'queue', ['ticket', 'title', 'due in', ...(lanes ? ['lane'] : []), 'reason', ''], s.retry_queue.map((r) => [
      link(r.ticket, r.key), esc(r.title), r.due_in_s === null ? 'after the pause' : dur(r.due_in_s),
      ...(lanes ? [`<span class="lane ${esc(r.lane ?? '')}">${esc(r.lane ?? '')}</span>`] : []),
      `${esc(r.waiting_because ? `${r.reason} · waits: ${r.waiting_because}` : r.reason)}${words(r.last_words)}`,
      act('release', r.key, 'Release', `Release ${r.ticket} and leave it alone`),
    ])),
  );
  if (s.waiting) {
    out.push(table('Waiting for their lane', 'waiting', ['ticket', 'title', 'lane', 'why'], s.waiting.map((t) => [
      link(t.ticket, t.key), esc(t.title), `<span class="lane ${esc(t.lane)}">${esc(t.lane)}</span>`, esc(t.waiting_because),
    ])));
  }
  if (s.failed.length > 0) {
    out.push(table('Failed', 'failed', ['ticket', 'title', 'failures', 'last reason', ''], s.failed.map((x) => [
      link(x.ticket, x.key), esc(x.title), esc(x.failures), `${esc(x.reason)}${words(x.last_words)}`, act('retry', x.key, 'Retry', `Retry ${x.ticket} with a fresh attempt count`),
    ])));
  }
  if (s.untrusted.length > 0) {
    out.push(table('Held as untrusted', 'untrusted', ['ticket', 'title', 'why', 'fix'], s.untrusted.map((u) => [link(u.ticket, u.key), esc(u.title), esc(u.reason), esc(u.fix)])));
  }
  if (s.other.length > 0) {
    // Statuses this page has no section for yet (verification after merge, …), shown as they are.
    out.push(table('Other statuses', 'other', ['ticket', 'title', 'status', 'last event'], s.other.map((o) => [link(o.ticket, o.key), esc(o.title), `<span class="st">${esc(o.status)}</span>`, esc(o.last_event)])));
  }
  out.push(
    table('Recent pull requests', 'recent', ['ticket', 'title', 'pull request', 'attempts', 'cost'], s.recent.map((r) => {
      const url = safeUrl(r.pr_url);
      return [link(r.ticket, r.key), esc(r.title), url ? `<a class="pr" href="${esc(url)}">${esc(url)}</a>` : 'handed off (branch)', esc(r.attempts), usd(r.cost_usd)];
    })),
  );
  const watched = s.watched ?? [];
  if (watched.length > 0) {
    out.push(table('Watched pull requests', 'watched', ['ticket', 'pull request', 'checks', 'round', 'state'], watched.map((w) => {
      const url = safeUrl(w.pr_url);
      return [
        link(w.ticket, w.key), url ? `<a class="pr" href="${esc(url)}">${esc(url)}</a>` : esc(w.pr_url), esc(w.checks ?? 'not watched yet'),
        `${esc(w.rounds)}${w.max_followups === null ? '' : `/${esc(w.max_followups)}`}`, esc(w.state === 'watching' ? w.decision : `${w.state.replace('_', ' ')}: ${w.decision}`),
      ];
    })));
  }
  const ver = s.verification;
  if (ver && ver.tickets.length > 0) {
    const perMerge = ver.cost_per_verified_merge[0];
    out.push(table(`Verification after merge${perMerge ? ` · $${perMerge.per_merge_usd.toFixed(2)} per verified merge (${perMerge.date})` : ''}`, 'verification', ['ticket', 'state', 'merge', 'what verification saw', 'revert'], ver.tickets.map((v) => {
      const url = safeUrl(v.revert);
      return [`<b class="ticket">${esc(v.ticket)}</b>`, `<span class="vstate ${esc(v.state)}">${esc(v.state.replace('_', ' '))}</span>`, `<code>${esc(v.merge_sha.slice(0, 7))}</code>`, esc(v.detail), url ? `<a class="pr" href="${esc(url)}">${esc(url)}</a>` : esc(v.revert ?? '–')];
    })));
  }
  if (a) out.push(accountSection(a));
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
  const byOutcome = Object.entries(s.totals.attempts).map(([k, v]) => `${esc(k)} ${esc(v)}`).join(', ') || 'none';
  const t = s.totals.tokens;
  out.push(`<footer>attempts today: ${byOutcome} · tokens ${esc(t.input + t.output + t.cacheRead + t.cacheCreation)} · updated ${esc(s.generated_at)}</footer>`);
  return out.join('\n');
}

/** The shared Claude account: its usage window as a gauge with the reset countdown, its pause and canary, its daemons. */
function accountSection(a: NonNullable<Snapshot['account']>): string {
  const w = a.window;
  const used = w ? (w.overage ? 'spent: runs on paid extra usage' : w.utilization === null ? 'usage not reported' : `${Math.round(w.utilization * 100)}% used`) : 'no figures reported yet';
  const gauge = w && w.utilization !== null
    ? `<meter id="account-gauge" min="0" max="1" low="0.6" high="0.85" optimum="0" value="${esc(w.utilization)}" aria-label="usage window ${esc(used)}">${esc(used)}</meter>`
    : '';
  const reset = w?.resets_at ? `, resets ${esc(w.resets_at)} (in <span data-until="${esc(w.resets_at)}">…</span>)` : '';
  const facts = [
    `window: <b id="account-window">${esc(used)}</b>${w ? ` (${esc([w.type, w.status].filter(Boolean).join(', '))})${reset}` : ''}`,
    a.pause ? `paused until ${esc(a.pause.until)}${a.pause.by ? ` by ${esc(a.pause.by)}` : ''}` : 'not paused',
    ...(a.model_limits ?? []).map((l) => `${esc(l.family)} attempts wait until ${esc(l.until)}`),
    a.canary.pending ? `canary: ${a.canary.holder ? `running on ${esc(a.canary.holder)}` : 'the next run goes first'}` : '',
  ].filter(Boolean);
  const members = a.members.length === 0 ? '' : `<div class="scroll"><table><thead><tr><th scope="col">host</th><th scope="col">pid</th><th scope="col">repository</th><th scope="col">heartbeat</th></tr></thead><tbody>${a.members.map((m) => `<tr><td>${esc(m.host)}</td><td>${esc(m.pid)}</td><td>${esc(m.repo || '–')}</td><td>${dur(m.heartbeat_age_s)} ago</td></tr>`).join('')}</tbody></table></div>`;
  return `<section class="account" aria-labelledby="h-account"><h2 id="h-account">Account ${esc(a.name)} <span class="n">${esc(a.members.length)} daemon(s)</span></h2>${gauge}<p>${facts.join(' · ')}</p>${members}</section>`;
}
