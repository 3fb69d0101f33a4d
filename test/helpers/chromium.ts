// Headless Chromium (the system's /usr/bin/chromium, driven by playwright-core; see browser.ts) for tests
// that must see a page as a browser renders it, its scripts run: the DOM after the page's own code had a
// moment to work (the console keeps a live stream open, so "network idle" never comes), and screenshots.
import { CHROMIUM, launchBrowser } from './browser.js';

export { CHROMIUM };

/** The DOM of `url` after the page's scripts ran for `waitMs`. */
export async function renderedDom(url: string, waitMs = 1000): Promise<string> {
  const tb = await launchBrowser();
  try {
    const page = await (await tb.context()).newPage();
    await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
    await page.waitForTimeout(waitMs);
    return await page.content();
  } finally {
    await tb.close();
  }
}

/** A screenshot of `url` at the given window size. */
export async function screenshot(url: string, file: string, size = { width: 1280, height: 800 }): Promise<void> {
  const tb = await launchBrowser();
  try {
    const page = await (await tb.context({ viewport: size })).newPage();
    await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: file });
  } finally {
    await tb.close();
  }
}

/** The console's live part of a dumped DOM (the overview's #app, up to the script tag). */
export function appHtml(dom: string): string {
  const start = dom.indexOf('<div id="app"');
  const end = dom.indexOf('<script', start);
  if (start < 0 || end < 0) throw new Error(`no dashboard app in the page:\n${dom.slice(0, 500)}`);
  return dom.slice(start, end);
}
