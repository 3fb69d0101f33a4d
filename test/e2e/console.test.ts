// Issue #27 acceptance, in one world: a real daemon (bin/swarm.js) on a local-tracker project with the
// fake claude, 30 days of seeded history, notification routes to fake receivers, and Debian's headless
// Chromium driven by playwright-core. The cases run in order and share the daemon and the browser:
//   1. a fake agent streaming a tool call every 200 ms: the ticket page shows each within 1 s (measured in
//      the browser), the overview shows the current tool call;
//   2. Pause / Resume, Cancel and Retry from the pages;
//   4. no session → 401, another origin → 403, the one-time URL works once;
//   5. the charts from 30 days of history (screenshot kept), no request outside 127.0.0.1, no console error,
//      readable at 375 px, dark mode, page weight;
//   7. the terminal: "1 of 3 failures used" after an auth pause, a 30-character id whole at 200 columns,
//      release holds a labelled ticket for 3 polls, retry refuses a handed-off ticket, `agnet:` warned once.
// (3 — a message into the real Claude Code — is console-message.test.ts; 6 is notify-routes.test.ts, and the
// routes here prove the daemon's wiring: a failure reaches the json and Slack routes, not a reverted-only one.)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { makeProject, ROOT, runCli, startDaemon, waitFor, killLeftovers, isAlive, type Daemon, type Project } from '../helpers/daemon.js';
import { launchBrowser, seedHistory, type TestBrowser } from '../helpers/browser.js';
import { startWebhook, type FakeWebhook } from '../helpers/webhook.js';

const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const LONG = '30s';
let project: Project;
let daemon: Daemon;
let url: string;
let tb: TestBrowser;
let ctx: BrowserContext;
let page: Page;
let hook: FakeWebhook;
let slack: FakeWebhook;
let revertedOnly: FakeWebhook;

function ticket(name: string, front: Record<string, unknown>, body = 'Do it.'): void {
  const dir = path.join(project.dir, '.swarm', 'tickets');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.md`), `---\n${JSON.stringify({ labels: ['agent'], ...front })}\n---\n${body}\n`);
}
const events = (type: string, key?: string) => project.events().filter((e) => e.type === type && (key === undefined || e.key === key));
const status = async (cols = 200) => (await runCli(project, ['status'], { env: { COLUMNS: String(cols) } })).stdout;

async function login(c: BrowserContext): Promise<Page> {
  const out = await runCli(project, ['dashboard']);
  expect(out.code, out.stderr).toBe(0);
  const link = /(http:\/\/127\.0\.0\.1:\d+\/login\?token=\S+)/.exec(out.stdout)![1]!;
  const p = await c.newPage();
  const res = await p.goto(link);
  expect(res!.status()).toBe(200);
  expect(new URL(p.url()).pathname).toBe('/'); // redirected to a clean URL
  const cookie = (await c.cookies()).find((k) => k.name === 'swarm_session')!;
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  return Object.assign(p, { loginLink: link });
}

beforeAll(async () => {
  project = await makeProject();
  hook = await startWebhook();
  slack = await startWebhook();
  revertedOnly = await startWebhook();
  seedHistory(path.join(project.swarmDir, 'events.jsonl.1'), Date.now());
  project.writeWorkflow({
    agent: { max_concurrent: 3, max_attempts: 3, stall_timeout: '120s', timeout: '300s' },
    server: { port: 0 },
    notify: {
      routes: [
        { events: ['failed'], url: hook.url, format: 'json' },
        { events: ['needs_human', 'failed'], url: slack.url, format: 'slack' },
        { events: ['reverted'], url: revertedOnly.url, format: 'json' },
      ],
    },
  });
  project.setScenarios({
    ticks: [[{ init: true }, { sleep: 2500 }, { ticks: { count: 100, everyMs: 200 } }, { text: 'done ticking' }, { hang: true }]],
    doomed: ['no_changes'],
    shipped: ['commit_only'],
    default: ['no_changes'],
  });
  ticket('ticks', { title: 'Stream a tool call every 200 ms' });
  ticket('doomed', { title: 'Changes nothing, three times' });
  ticket('shipped', { title: 'Commits and hands off' });
  daemon = startDaemon(project);
  url = (await daemon.waitForOutput(/dashboard and API on (http:\/\/127\.0\.0\.1:\d+\/)/, 60_000))[1]!;
  tb = await launchBrowser();
  ctx = await tb.context({ viewport: { width: 1280, height: 900 } });
  page = await login(ctx);
}, 120_000);

// The daemon belongs to the whole file (test/setup.ts prints only a test's own): its output on a failure.
afterEach((c) => {
  if (c.task.result?.state === 'fail') console.error(`--- daemon stdout (tail):\n${daemon?.stdout.slice(-8000)}\n--- stderr:\n${daemon?.stderr.slice(-4000)}`);
});

afterAll(async () => {
  await tb?.close();
  await daemon?.stop();
  await hook?.close();
  await slack?.close();
  await revertedOnly?.close();
  if (project) killLeftovers(project.base);
  project?.cleanup();
});

describe('the operator console on a running daemon', () => {
  it('1. the ticket page shows each new tool call within 1 s of the agent printing it; the overview shows the current one', async () => {
    await waitFor(() => project.state().tickets.ticks?.status === 'running', { what: 'ticks running' });
    await page.goto(`${url}tickets/ticks`);
    const t0 = await page.evaluate(() => {
      const w = window as unknown as { seen: { text: string; at: number }[] };
      w.seen = [];
      new MutationObserver((muts) => {
        for (const m of muts) for (const n of m.addedNodes) if (n instanceof HTMLElement && n.matches('.ln.tool')) w.seen.push({ text: n.textContent ?? '', at: Date.now() });
      }).observe(document.getElementById('transcript')!, { childList: true });
      return Date.now();
    });
    await page.waitForFunction(() => (window as unknown as { seen: unknown[] }).seen.length >= 8, undefined, { timeout: 30_000 });
    const seen = await page.evaluate(() => (window as unknown as { seen: { text: string; at: number }[] }).seen);
    // Tool calls the agent printed once the page was watching (earlier ones were in the page as rendered).
    const delays = seen.flatMap((s) => {
      const m = /echo tick (\d+) at (\d+)/.exec(s.text);
      expect(m, s.text).not.toBeNull();
      return Number(m![2]) >= t0 ? [s.at - Number(m![2])] : [];
    });
    expect(delays.length).toBeGreaterThanOrEqual(5);
    for (const d of delays) expect(d).toBeLessThan(1000);
    console.log(`tool call → ticket page: ${delays.length} lines, max ${Math.max(...delays)} ms, median ${[...delays].sort((a, b) => a - b)[Math.floor(delays.length / 2)]} ms`);
    // Auto-scroll follows the end while the reader is there.
    expect(await page.evaluate(() => { const b = document.getElementById('transcript')!; return b.scrollHeight - b.scrollTop - b.clientHeight; })).toBeLessThan(60);

    await page.goto(url);
    const activity = page.locator('[data-activity-for="ticks"]');
    await expect.poll(async () => activity.textContent(), { timeout: 10_000 }).toMatch(/^Bash: echo tick \d+ at \d+/);
    const first = await activity.textContent();
    await expect.poll(async () => activity.textContent(), { timeout: 5_000 }).not.toBe(first); // updated live, in place
  }, 60_000);

  it('2. Pause and Resume from the page; Cancel stops the process group without counting; Retry claims a failed ticket again', async () => {
    await page.goto(url);
    await page.selectOption('#pause-for', '3600000');
    await page.click('#pause-button');
    await page.locator('#pause-banner').waitFor({ timeout: 5_000 });
    expect(await page.locator('#toast').textContent()).toMatch(/dispatch paused until/);
    expect(await status()).toMatch(/PAUSED \(operator\) until \d{4}-\d\d-\d\d \d\d:\d\d UTC \((59m\d\ds|1h00m) left\)/);
    ticket('late', { title: 'Labelled while paused' });
    await new Promise((r) => setTimeout(r, 3500)); // three polls
    expect(events('claimed', 'late')).toHaveLength(0);
    await page.click('#resume-button');
    await page.locator('#pause-banner').waitFor({ state: 'detached', timeout: 5_000 });
    await waitFor(() => events('started', 'late').length === 1, { what: 'late started after Resume' });

    // Cancel the ticking agent from the overview: its whole process group goes, the attempt is not counted.
    const pid = project.state().tickets.ticks.attempts.at(-1).pid as number;
    expect(isAlive(pid)).toBe(true);
    await page.click('button[data-act="cancel"][data-key="ticks"]');
    await waitFor(() => events('finished', 'ticks').length === 1, { what: 'ticks finished after Cancel' });
    const fin = events('finished', 'ticks')[0];
    expect(fin).toMatchObject({ outcome: 'cancelled', counted: false });
    expect(fin.reason).toMatch(/cancelled by an operator/);
    await waitFor(() => !isAlive(pid), { what: 'agent group gone' });
    expect(project.state().tickets.ticks).toMatchObject({ status: 'released', failures: 0 });

    // Retry a failed ticket from its page: it is claimed again.
    await waitFor(() => project.state().tickets.doomed?.status === 'failed', { timeoutMs: 30_000, what: 'doomed failed' });
    const claims = events('claimed', 'doomed').length;
    await page.goto(`${url}tickets/doomed`);
    expect(await page.locator('.words').first().textContent()).toContain('nothing needs to change'); // the agent's last words
    // …which the terminal and the ticket file tell as well.
    await waitFor(() => /last_words: I looked into it; nothing needs to change\./.test(fs.readFileSync(path.join(project.dir, '.swarm', 'tickets', 'doomed.md'), 'utf8')), { what: 'last words in the ticket file' });
    expect(fs.readFileSync(path.join(project.dir, '.swarm', 'tickets', 'doomed.md'), 'utf8')).toMatch(/^swarm:\n {2}status: failed after attempt 3 \(no_changes\)\n/m);
    expect((await runCli(project, ['explain', 'doomed'])).stdout).toContain('Last words of attempt 3: “I looked into it; nothing needs to change.”');
    expect(await status()).toContain('last words: “I looked into it; nothing needs to change.”');
    await page.click('button[data-act="retry"]');
    await waitFor(() => events('claimed', 'doomed').length > claims, { what: 'doomed claimed again' });
    // The failure reached the json route, linking to the ticket's page.
    const note = hook.received.find((r) => r.event === 'ticket_failed');
    expect(note).toMatchObject({ key: 'doomed', url: `${url}tickets/doomed` });
    // …and the Slack route (its mrkdwn link to the page), never the route listening only for reverted.
    expect(slack.texts().filter((t) => t.includes('doomed failed'))).toEqual([expect.stringContaining(`<${url}tickets/doomed|open in the swarm console>`)]);
    expect(revertedOnly.received).toEqual([]);
  }, 90_000);

  it('4. a control POST without a session is 401, from another origin 403; the one-time link works once', async () => {
    const fresh = await tb.context();
    const anon = await fresh.newPage();
    anon.setDefaultTimeout(10_000);
    await anon.goto(url);
    expect(await anon.locator('#read-only').count()).toBe(1);
    expect(await anon.locator('#pause-button').isDisabled()).toBe(true);
    const noSession = await anon.evaluate(async () => (await fetch('/api/v1/pause', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status);
    expect(noSession).toBe(401);
    // The used link: refused with the way to a new one.
    const again = await anon.goto((page as Page & { loginLink: string }).loginLink);
    expect(again!.status()).toBe(401);
    expect(await anon.textContent('body')).toContain('already used');
    await fresh.close();
    // A page on another origin posts a form to the daemon with the logged-in browser's cookie: refused.
    const other = await ctx.newPage();
    await other.route('http://127.0.0.1:9/**', (r) => r.fulfill({ contentType: 'text/html', body: `<form method="post" action="${url}api/v1/pause"><button id="go">go</button></form>` }));
    await other.goto('http://127.0.0.1:9/evil', { timeout: 10_000 });
    const [res] = await Promise.all([other.waitForResponse((r) => r.url() === `${url}api/v1/pause`, { timeout: 10_000 }), other.click('#go', { timeout: 10_000 })]);
    expect(res.status()).toBe(403);
    expect(await res.text()).toMatch(/cross-site request refused \(Origin: http:\/\/127\.0\.0\.1:9\)/);
    expect(project.state().pause).toBeNull();
    await other.close();
  }, 60_000);

  it('5. charts from 30 days of history (screenshot kept), nothing requested beyond 127.0.0.1, no console error, small and readable at 375 px', async () => {
    await page.goto(`${url}history`);
    for (const id of ['cost-per-day', 'outcomes-per-day', 'attempts-per-ticket', 'claim-to-pr', 'account-window']) {
      expect(await page.locator(`#${id} svg`).count(), id).toBe(1);
    }
    expect(await page.locator('#cost-per-day rect').count()).toBeGreaterThan(30);
    expect(await page.locator('#account-window polyline').count()).toBe(1);
    expect(await page.locator('#cost-per-day .legend li').allTextContents()).toEqual(expect.arrayContaining(['sonnet', 'opus']));
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-history.png'), fullPage: true });
    await page.goto(url);
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-overview.png'), fullPage: true });

    // Page weight: the script and the stylesheet together.
    const weight = await page.evaluate(async () => (await Promise.all(['/assets/console.js', '/assets/console.css'].map(async (a) => (await (await fetch(a)).text()).length))).reduce((x, y) => x + y, 0));
    expect(weight).toBeLessThan(150 * 1024);
    console.log(`console page weight: ${weight} bytes of JS and CSS`);

    // A phone: nothing wider than 375 px, on every page.
    const phone = await tb.context({ viewport: { width: 375, height: 740 }, colorScheme: 'dark' });
    const p = await phone.newPage();
    for (const where of ['', 'history', 'tickets/doomed']) {
      await p.goto(`${url}${where}`);
      expect(await p.evaluate(() => document.documentElement.scrollWidth), where || 'overview').toBeLessThanOrEqual(375);
    }
    const bg = await p.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe('rgb(17, 20, 24)'); // prefers-color-scheme: dark
    await p.screenshot({ path: path.join(ARTIFACTS, 'console-phone-dark.png'), fullPage: true });
    await phone.close();

    // Every control is reachable by keyboard and named.
    await page.goto(url);
    const unnamed = await page.evaluate(() => [...document.querySelectorAll('button, select, textarea, a[href]')].filter((el) => {
      const label = el.getAttribute('aria-label') || (el.id && document.querySelector(`label[for="${el.id}"]`)?.textContent) || el.textContent;
      return !label || !label.trim() || (el as HTMLElement).tabIndex < 0;
    }).map((el) => el.outerHTML.slice(0, 80)));
    expect(unnamed).toEqual([]);
    const focused: string[] = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      focused.push(await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName || ''));
    }
    expect(focused).toEqual(expect.arrayContaining(['pause-for', 'pause-button']));

    const outside = tb.watched.requests.filter((u) => !u.startsWith('http://127.0.0.1:'));
    expect(outside).toEqual([]);
    expect(tb.watched.errors.filter((e) => !e.includes('401') && !e.includes('403'))).toEqual([]);
  }, 60_000);

  it('7. the terminal: failures used, whole ids at 200 columns, release holds, retry refuses a handed-off ticket, agnet: warned once', async () => {
    const id = 'fix-the-login-redirect-loop-01';
    project.setScenarios({ [id]: ['auth_401', 'no_changes', [{ init: true }, { text: 'Third try.' }, { hang: true }]], default: ['no_changes'] });
    ticket(id, { title: 'A ticket whose id is thirty characters long' });
    await waitFor(() => project.state().pause?.kind === 'auth', { what: 'auth pause' });
    expect((await runCli(project, ['resume'])).code).toBe(0);
    await waitFor(() => project.state().tickets[id]?.attempts.length === 3 && project.state().tickets[id].status === 'running', { timeoutMs: 30_000, what: 'third attempt running' });
    const text = await status(200);
    expect(text).toMatch(new RegExp(`^  ${id} `, 'm'));
    expect(text).toContain('attempt 3 · 1 of 3 failures used');
    expect(text).not.toMatch(/\b3\/3\b/);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(200);

    // release: the claim is dropped and the still-labelled ticket is left alone for three polls and more.
    const rel = await runCli(project, ['release', id]);
    expect(rel.code, rel.stderr).toBe(0);
    expect(rel.stdout).toMatch(/not picked up again until its label is applied afresh or `swarm retry/);
    const claims = events('claimed', id).length;
    await new Promise((r) => setTimeout(r, 3500));
    expect(events('claimed', id)).toHaveLength(claims);
    expect(daemon.stdout).toMatch(new RegExp(`${id} .*released by an operator \\(swarm release\\): left alone until its label is applied afresh`));
    const explained = await runCli(project, ['explain', id]);
    expect(explained.stdout).toMatch(/✗ hold +released by an operator/);

    // retry refuses a handed-off ticket, with the reason; --force would run it.
    await waitFor(() => project.state().tickets.shipped?.status === 'review', { what: 'shipped handed off' });
    const refused = await runCli(project, ['retry', 'shipped']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ticket shipped is handed off \(branch .*\): a retry would run another agent beside its pull request; `swarm retry shipped --force`/);

    // An unknown key: one warning naming the key it meant, however many polls read the file.
    const wf = fs.readFileSync(project.workflowPath, 'utf8');
    fs.writeFileSync(project.workflowPath, wf.replace('---\n{', '---\n{\n  "agnet": { "max_concurrent": 9 },'));
    await new Promise((r) => setTimeout(r, 3500));
    const warned = daemon.stdout.split('\n').filter((l) => l.includes('unknown key agnet'));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain('did you mean agent?');
  }, 90_000);
});
