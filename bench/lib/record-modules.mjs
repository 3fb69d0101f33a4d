// Preload for the CLI-start check: `node --import <this file> bin/swarm.js status` appends the URL of every
// module the ESM loader loads (ESM, and CommonJS entered through import, e.g. nunjucks) to
// $SWARM_BENCH_MODULES_FILE via a load hook, plus every CommonJS module in require's cache at exit.
import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';

const file = process.env.SWARM_BENCH_MODULES_FILE;
if (file) {
  register('./record-modules-hooks.mjs', import.meta.url, { data: { file } });
  const Module = createRequire(import.meta.url)('node:module');
  process.on('exit', () => {
    const keys = Object.keys(Module._cache ?? {});
    if (keys.length > 0) appendFileSync(file, keys.map((k) => `cjs:${k}`).join('\n') + '\n');
  });
}
