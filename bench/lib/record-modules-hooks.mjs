// Loader hooks (run on the loader thread) for record-modules.mjs: log each loaded URL, change nothing.
import { appendFileSync } from 'node:fs';

let file = null;
export function initialize(data) {
  file = data?.file ?? null;
}
export async function load(url, context, next) {
  if (file) appendFileSync(file, url + '\n');
  return next(url, context);
}
