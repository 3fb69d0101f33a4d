// @ts-nocheck — this function is browser code, served as /assets/console.js (its source text, wrapped in
// a call); the daemon's TypeScript build has no DOM types, and nothing here runs in Node.
//
// The console page's behaviour: follow the live stream (EventSource, resuming from the id the page was
// rendered at), fetch a page's live part again when the stream says something changed (at most every
// 250 ms), put a running agent's current tool call in place on the overview, append a running attempt's
// lines to its transcript (auto-scrolling only while the reader is at the bottom), send the controls as
// same-origin POSTs (the session cookie; the browser adds Origin), and keep the clocks ticking.
export function consoleClient() {
  const body = document.body;
  const page = body.dataset.page;
  const key = body.dataset.key || null;
  const attempt = body.dataset.attempt ? Number(body.dataset.attempt) : null;
  const follow = body.dataset.follow === '1';
  const live = document.getElementById('live');
  const toast = document.getElementById('toast');
  let lastId = Number(body.dataset.eventId || '0');
  let toastTimer = null;

  function say(text, bad) {
    toast.textContent = text;
    toast.className = bad ? 'toast bad' : 'toast';
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { toast.textContent = ''; }, 10000);
  }

  const pending = {};
  function refresh(part) {
    if (pending[part]) return;
    pending[part] = setTimeout(async () => {
      pending[part] = null;
      const el = document.querySelector(`[data-part="${part}"]`);
      if (!el) return;
      try {
        const res = await fetch(location.pathname + '?part=' + part + (attempt !== null ? '&attempt=' + attempt : ''), { cache: 'no-store', credentials: 'same-origin' });
        if (res.ok) {
          el.innerHTML = await res.text();
          tick();
        }
      } catch (e) {
        /* the daemon is restarting: keep the last view */
      }
    }, 250);
  }

  const box = document.getElementById('transcript');
  const jump = document.getElementById('jump');
  let lines = box ? Number(box.dataset.lines || '0') : 0;
  const atBottom = () => box.scrollHeight - box.scrollTop - box.clientHeight < 48;
  if (box) {
    box.scrollTop = box.scrollHeight;
    box.addEventListener('scroll', () => { if (atBottom()) jump.hidden = true; });
    jump.addEventListener('click', () => {
      box.scrollTop = box.scrollHeight;
      jump.hidden = true;
      box.focus();
    });
  }
  function appendLine(d) {
    if (!box || box.dataset.live !== '1' || d.key !== key || d.attempt !== attempt || d.seq <= lines) return;
    lines = d.seq;
    if (!d.html) return;
    const stick = atBottom();
    const none = box.querySelector(':scope > p.none');
    if (none) none.remove();
    box.insertAdjacentHTML('beforeend', d.html);
    if (stick) box.scrollTop = box.scrollHeight;
    else jump.hidden = false;
  }
  function attemptEnded() {
    if (box) box.dataset.live = '0';
    for (const el of document.querySelectorAll('.live-badge, #message-form')) el.remove();
  }

  function connect() {
    const es = new EventSource('/api/v1/stream?last_event_id=' + lastId);
    es.onopen = () => {
      live.textContent = 'live';
      live.className = 'live up';
    };
    es.onerror = () => {
      live.textContent = 'reconnecting…';
      live.className = 'live down';
    };
    const on = (type, fn) => es.addEventListener(type, (e) => {
      lastId = Number(e.lastEventId) || lastId;
      let d = {};
      try {
        d = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      fn(d);
    });
    const changed = (d) => {
      if (page === 'overview') refresh('app');
      else if (page === 'ticket' && (!d.key || d.key === key)) refresh('live');
    };
    on('line', (d) => {
      if (page === 'overview' && d.tool) {
        const el = document.querySelector(`[data-activity-for="${CSS.escape(d.key)}"]`);
        if (el) el.textContent = d.tool;
      }
      if (page === 'ticket') appendLine(d);
    });
    for (const t of ['status', 'pause', 'account', 'fleet', 'daemon', 'message']) on(t, changed);
    on('attempt', (d) => {
      changed(d);
      if (page !== 'ticket' || d.key !== key) return;
      if (d.phase === 'started' && follow && d.attempt !== attempt) location.reload();
      if (d.phase === 'ended' && d.attempt === attempt) attemptEnded();
    });
    on('reset', () => location.reload());
  }

  async function post(path, payload) {
    let res;
    try {
      res = await fetch(path, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload || {}) });
    } catch (e) {
      say('The daemon did not answer: is it still running?', true);
      return false;
    }
    let d = {};
    try {
      d = await res.json();
    } catch (e) {
      /* not JSON */
    }
    if (res.status === 401) {
      say('Not logged in: run `swarm dashboard` and open the link it prints.', true);
      return false;
    }
    say(d.message || 'HTTP ' + res.status, !res.ok);
    return res.ok;
  }

  const CONFIRM = {
    cancel: 'Stop this attempt now? It is not counted, and the ticket is left alone until it is retried.',
    release: 'Release this ticket? It is left alone until its label is applied again or it is retried.',
  };
  document.addEventListener('click', async (e) => {
    const b = e.target.closest('button[data-act]');
    if (!b || b.disabled) return;
    const act = b.dataset.act;
    if (CONFIRM[act] && !confirm(CONFIRM[act])) return;
    b.disabled = true;
    try {
      if (act === 'resume') await post('/api/v1/resume');
      else await post('/api/v1/tickets/' + encodeURIComponent(b.dataset.key) + '/' + act);
    } finally {
      b.disabled = false;
    }
    refresh(page === 'overview' ? 'app' : 'live');
  });
  document.addEventListener('submit', async (e) => {
    const f = e.target.closest('form[data-form]');
    if (!f) return;
    e.preventDefault();
    const btn = f.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      if (f.dataset.form === 'pause') {
        const v = f.elements.for_ms.value;
        await post('/api/v1/pause', v ? { for_ms: Number(v) } : {});
        refresh('app');
      } else if (f.dataset.form === 'message') {
        const ta = f.elements.text;
        if (await post('/api/v1/tickets/' + encodeURIComponent(f.dataset.key) + '/message', { text: ta.value })) ta.value = '';
      }
    } finally {
      btn.disabled = false;
    }
  });

  const fmt = (sec) => {
    const s = Math.max(0, Math.round(sec));
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + String(s % 60).padStart(2, '0') + 's';
    return Math.floor(s / 3600) + 'h ' + String(Math.floor((s % 3600) / 60)).padStart(2, '0') + 'm';
  };
  function tick() {
    const now = Date.now();
    for (const el of document.querySelectorAll('[data-since]')) el.textContent = fmt((now - Date.parse(el.dataset.since)) / 1000);
    for (const el of document.querySelectorAll('[data-until]')) el.textContent = fmt((Date.parse(el.dataset.until) - now) / 1000);
  }
  setInterval(tick, 1000);
  tick();
  connect();
}
