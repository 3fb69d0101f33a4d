// A kill -9 between writeFileAtomic()'s temp file and its rename leaves `<file>.<pid>.<hex>.tmp` behind
// (a seeded crash e2e found one in the worktree markers' folder): the sweep removes those of writers that
// are gone, and nothing else.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { removeOrphanTemps } from '../../src/util/atomic-file.js';

describe('removeOrphanTemps', () => {
  it("removes a dead writer's temp files, keeps a live writer's and every other file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-temps-'));
    try {
      const dead = spawnSync('true').pid!; // exited: its pid runs nothing of ours now
      const names = [`a.json.${dead}.0123456789ab.tmp`, `b.json.${process.pid}.0123456789ab.tmp`, 'c.json', 'd.tmp', `e.json.${dead}.xyz.tmp`];
      for (const n of names) fs.writeFileSync(path.join(dir, n), '{}');
      expect(removeOrphanTemps(dir)).toEqual([`a.json.${dead}.0123456789ab.tmp`]);
      expect(fs.readdirSync(dir).sort()).toEqual(names.slice(1).sort());
      expect(removeOrphanTemps(path.join(dir, 'missing'))).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
