// Headless Chromium (the system's /usr/bin/chromium) for tests that must see a page as a browser renders
// it, scripts run: `--dump-dom` after a virtual-time budget prints the DOM the page's own code produced.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const CHROMIUM = '/usr/bin/chromium';

export function chromium(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-chromium-'));
  const base = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`];
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, [...base, ...args], { timeout: 90_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      fs.rmSync(profile, { recursive: true, force: true });
      if (err) reject(new Error(`chromium failed: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** The DOM after the page's scripts ran for `budgetMs` of virtual time. */
export async function renderedDom(url: string, budgetMs = 3000): Promise<string> {
  return (await chromium([`--virtual-time-budget=${budgetMs}`, '--dump-dom', url])).stdout;
}

/** The dashboard's rendered part of a dumped DOM (the page's script, which quotes every class name, left out). */
export function appHtml(dom: string): string {
  const start = dom.indexOf('<div id="app">');
  const end = dom.indexOf('<script', start);
  if (start < 0 || end < 0) throw new Error(`no dashboard app in the page:\n${dom.slice(0, 500)}`);
  return dom.slice(start, end);
}
