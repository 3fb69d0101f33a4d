#!/usr/bin/env node
// Thin shim: all behaviour lives in dist/cli.js (built from src/cli.ts by `npm install`/`npm run build`).
import('../dist/cli.js').then((m) => m.main(process.argv)).catch((err) => {
  process.stderr.write(`swarm: could not start (${err && err.message ? err.message : err}). Run \`npm install\` in the swarm checkout to build it.\n`);
  process.exit(1);
});
