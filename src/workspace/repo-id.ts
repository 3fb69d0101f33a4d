// Which repository swarm works for, as a short stable id: the name of its folder under workspace.root
// (`<root>/<repo-id>/…`, so repositories sharing one root never see each other's worktrees) and the
// SWARM_REPO_ID every agent carries (so a stray agent is recognised by its repository, never by a path).
//
// The id is `<folder name>-<12 random hex>`, chosen once and kept in the repository's common git folder
// (`<git-common-dir>/swarm-repo-id`): it moves with the repository (a renamed or moved checkout keeps its
// worktrees), every linked worktree of the repository sees the same one, and a second clone of the same
// project gets its own. Created with O_EXCL, so two processes starting at once agree on one id.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WorkspaceError } from '../errors.js';
import { processEnv } from '../config/env.js';
import { writeAll } from '../util/atomic-file.js';

export const REPO_ID_FILE = 'swarm-repo-id';
const ID = /^[a-z0-9][a-z0-9-]{0,39}-[0-9a-f]{12}$/;

export interface RepoIdentity {
  id: string;
  /** The repository's common git folder (absolute). */
  commonDir: string;
}

/** `git rev-parse --git-common-dir` for `repoDir`, absolute. */
export function gitCommonDir(repoDir: string): string {
  const out = execFileSync('git', ['rev-parse', '--git-common-dir'], { cwd: repoDir, encoding: 'utf8', env: { ...processEnv(), LC_ALL: 'C' } }).trim();
  return path.resolve(repoDir, out);
}

export function isRepoId(s: string): boolean {
  return ID.test(s);
}

/** The repository's id, created on first use. */
export function repoIdentity(repoDir: string): RepoIdentity {
  const commonDir = gitCommonDir(repoDir);
  const file = path.join(commonDir, REPO_ID_FILE);
  for (let i = 0; i < 50; i++) {
    const existing = read(file);
    if (existing === '') {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10); // its creator is writing it
      continue;
    }
    if (existing !== null) {
      if (!isRepoId(existing)) {
        throw new WorkspaceError('EPATH', `${file} does not hold a swarm repository id (got ${JSON.stringify(existing.slice(0, 60))}); delete the file and start swarm again`);
      }
      return { id: existing, commonDir };
    }
    const base = topName(repoDir, commonDir).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '') || 'repo';
    const id = `${base}-${randomBytes(6).toString('hex')}`;
    try {
      const fd = fs.openSync(file, 'wx', 0o644);
      try {
        writeAll(fd, Buffer.from(`${id}\n`));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      return { id, commonDir };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new WorkspaceError('EPATH', `cannot create ${file} (${code ?? (err as Error).message}): swarm keeps this repository's id there; make the git folder writable for the user running swarm`);
      // Another process created it first: read theirs.
    }
  }
  throw new WorkspaceError('EPATH', `could not read or create ${file}`);
}

/** The repository folder's name (the main checkout's, for a bare-ish or linked layout). */
function topName(repoDir: string, commonDir: string): string {
  return path.basename(commonDir) === '.git' ? path.basename(path.dirname(commonDir)) : path.basename(repoDir);
}

function read(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
