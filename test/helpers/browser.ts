// A real browser for console tests: Debian's headless Chromium (/usr/bin/chromium) driven by playwright-core,
// which never downloads a browser of its own. playwright gives each launch a fresh temporary profile
// (--user-data-dir) and removes it on close; every request the pages make and
// every console error are recorded, so a test can prove nothing left 127.0.0.1 and nothing failed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export interface Watched {
  /** Every URL any page of the browser requested. */
  requests: string[];
  /** Console errors and uncaught page errors. */
  errors: string[];
}

export interface TestBrowser {
  browser: Browser;
  watched: Watched;
  /** A fresh context (no cookies), watched like every other. */
  context(opts?: BrowserContextOptions): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true, // --headless
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const watched: Watched = { requests: [], errors: [] };
  const watch = (page: Page) => {
    page.on('request', (r) => watched.requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') watched.errors.push(`console: ${m.text()} (${page.url()})`);
    });
    page.on('pageerror', (e) => watched.errors.push(`pageerror: ${e.message} (${page.url()})`));
    page.on('dialog', (d) => void d.accept()); // the console confirms cancel and release
  };
  return {
    browser,
    watched,
    async context(opts) {
      const ctx = await browser.newContext(opts);
      ctx.on('page', watch);
      return ctx;
    },
    async close() {
      await browser.close().catch(() => undefined);
    },
  };
}

/**
 * 30 days of history ending `now`, in the shape the daemon logs it (events.jsonl.1, so the live log is
 * untouched): each day a few attempts on two models with costs and outcomes, tickets handed off after one
 * to four attempts, and the account window sampled through the day.
 */
export function seedHistory(file: string, now: number, days = 30): { tickets: number; costUsd: number } {
  const lines: string[] = [];
  let tickets = 0;
  let costUsd = 0;
  const ev = (at: number, o: Record<string, unknown>) => lines.push(JSON.stringify({ at: new Date(at).toISOString(), ...o }));
  for (let d = days - 1; d >= 0; d--) {
    const day = now - d * 86_400_000;
    const perDay = 1 + (d % 3);
    for (let i = 0; i < perDay; i++) {
      const key = `old-${d}-${i}`;
      const t0 = day - 6 * 3_600_000 + i * 3_600_000;
      ev(t0, { type: 'claimed', ticket: key, key, branch: `swarm/${key}`, worktree: '', title: `Old ticket ${key}`, url: '' });
      const attempts = 1 + ((d + i) % 4);
      for (let a = 1; a <= attempts; a++) {
        const model = a >= 3 ? 'opus' : 'sonnet';
        const cost = a >= 3 ? 0.8 : 0.25;
        const ok = a === attempts;
        costUsd += cost;
        ev(t0 + a * 600_000, { type: 'started', ticket: key, key, attempt: a, model, run_file: '', failures: a - 1, max_attempts: 5 });
        ev(t0 + a * 600_000 + 300_000, { type: 'finished', ticket: key, key, attempt: a, model, outcome: ok ? 'pr_opened' : d % 2 ? 'no_changes' : 'agent_error', counted: !ok, reason: ok ? 'opened a PR' : 'changed nothing', summary: '', cost_usd: cost, tokens: { input: 1000, output: 500, cacheRead: 0, cacheCreation: 0 }, session_id: null, duration_ms: 300_000 });
      }
      ev(t0 + attempts * 600_000 + 310_000, { type: 'pr_opened', ticket: key, key, pr: `https://example.invalid/pull/${d}${i}`, number: d * 10 + i });
      tickets++;
    }
    for (let h = 0; h < 24; h += 4) ev(day - 12 * 3_600_000 + h * 3_600_000, { type: 'account_window', status: 'allowed', utilization: ((h + d) % 10) / 10, limit_type: 'five_hour', resets_at: null });
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return { tickets, costUsd };
}
