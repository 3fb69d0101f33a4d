// `swarm init`: write WORKFLOW.md from templates/ and make sure `.swarm/` is git-ignored.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findRepoRoot, type IO } from './common.js';
import { UsageError } from '../errors.js';

const TEMPLATES = fileURLToPath(new URL('../../templates/', import.meta.url));

export function initCommand(opts: { tracker?: string; force?: boolean }, io: IO): number {
  const kind = opts.tracker ?? 'github';
  if (!['github', 'linear', 'local'].includes(kind)) throw new UsageError(`--tracker must be github, linear or local (got "${kind}")`);
  const repo = findRepoRoot(io.cwd);
  const target = join(repo, 'WORKFLOW.md');
  if (existsSync(target) && !opts.force) throw new UsageError(`${target} already exists; edit it, or run \`swarm init --force\` to overwrite it`);
  writeFileSync(target, readFileSync(join(TEMPLATES, `WORKFLOW.${kind}.md`), 'utf8'));
  io.stdout.write(`wrote ${target} (tracker: ${kind})\n`);
  const gi = join(repo, '.gitignore');
  const current = existsSync(gi) ? readFileSync(gi, 'utf8') : '';
  if (!current.split(/\r?\n/).some((l) => ['.swarm', '.swarm/', '/.swarm', '/.swarm/'].includes(l.trim()))) {
    appendFileSync(gi, `${current && !current.endsWith('\n') ? '\n' : ''}.swarm/\n`);
    io.stdout.write(`added .swarm/ to ${gi}\n`);
  }
  if (kind === 'local') {
    const dir = join(repo, '.swarm', 'tickets');
    mkdirSync(dir, { recursive: true });
    io.stdout.write(`ticket files go in ${dir} (one Markdown file per ticket, front matter: title, labels: [agent], state: open)\n`);
  }
  io.stdout.write('next: review WORKFLOW.md, run `swarm doctor`, then `swarm start`\n');
  return 0;
}
