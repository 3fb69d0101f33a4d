// swarm never force-pushes: every `git push` argv in src/ is a plain push of a named refspec — no --force,
// --force-with-lease, --mirror, --delete, no "+" (forced) or ":" (deleting) refspec. A push added later
// that breaks this fails here (the agent's own pushes are guarded by workspace/push-guard.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(__dirname, '../../src');
const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));

describe('every push swarm makes', () => {
  it('is a plain fast-forward push, never forced', () => {
    const pushes: { where: string; argv: string }[] = [];
    for (const f of files(SRC)) {
      const text = fs.readFileSync(f, 'utf8');
      for (const m of text.matchAll(/\[\s*'push'[^\]]*\]/g)) pushes.push({ where: `${path.relative(SRC, f)}:${text.slice(0, m.index).split('\n').length}`, argv: m[0] });
    }
    expect(pushes.length).toBeGreaterThanOrEqual(2); // pushBranch, pushIfAhead (and any added since)
    for (const p of pushes) {
      expect(p.argv, p.where).not.toMatch(/--force|--force-with-lease|--mirror|--delete|--prune|'-f'|'-d'/);
      expect(p.argv, p.where).not.toMatch(/[`'"]\+/); // a "+src:dst" refspec is a forced update
      expect(p.argv, p.where).not.toMatch(/[`'"]:/); // ":dst" deletes the remote branch
    }
  });
});
