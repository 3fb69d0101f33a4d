// What under workspace.root is swarm's to touch: only `<root>/<repo-id>/` (this repository's namespace,
// marked by `.swarm-namespace.json`), and in it only worktree directories swarm marked before creating them.
// A worktree's marker is `<root>/<repo-id>/.swarm-owned/<dir>.json`, written (atomically) BEFORE
// `git worktree add` and removed only after the directory is gone — beside the worktree, not in it, so the
// agent never sees (or commits) it and `git worktree add` still gets the empty folder it needs. A
// directory without a marker (someone else's, or a stray) is never removed by gc or the start-up sweep.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WorkspaceError } from '../errors.js';
import { removeOrphanTemps, unlinkQuiet, writeFileAtomic } from '../util/atomic-file.js';

export const NAMESPACE_MARKER = '.swarm-namespace.json';
export const OWNED_DIR = '.swarm-owned';

/** `<root>/<repo-id>/.swarm-namespace.json` */
export interface NamespaceMarker {
  swarm: 'worktrees';
  version: 1;
  repo_id: string;
  /** The repository as last seen (informational: the id, not the path, is what counts). */
  repo: string;
  created_at: string;
}

/** `<root>/<repo-id>/.swarm-owned/<dir>.json` */
export interface WorktreeMarker {
  swarm: 'worktree';
  version: 1;
  repo_id: string;
  /** The worktree directory's name (inside the namespace). */
  dir: string;
  branch: string;
  created_at: string;
  /** The swarm process that created it (informational). */
  pid: number;
}

export class Ownership {
  constructor(
    /** `<root>/<repo-id>` */
    readonly home: string,
    readonly repoId: string,
    private readonly repoDir: string,
  ) {}

  /** Create the namespace folder and its marker; refuse a folder another repository marked as its own. */
  ensureNamespace(): void {
    fs.mkdirSync(this.home, { recursive: true });
    const file = path.join(this.home, NAMESPACE_MARKER);
    const existing = readJson(file);
    if (existing === null) {
      const marker: NamespaceMarker = { swarm: 'worktrees', version: 1, repo_id: this.repoId, repo: this.repoDir, created_at: new Date().toISOString() };
      writeFileAtomic(file, `${JSON.stringify(marker, null, 2)}\n`);
      fs.mkdirSync(path.join(this.home, OWNED_DIR), { recursive: true });
      return;
    }
    if (existing.repo_id !== this.repoId) {
      throw new WorkspaceError('EPATH', `${this.home} belongs to another repository (its ${NAMESPACE_MARKER} names ${JSON.stringify(existing.repo_id)}, this one is ${this.repoId}); refusing to use it`);
    }
    fs.mkdirSync(path.join(this.home, OWNED_DIR), { recursive: true });
  }

  markerFile(dir: string): string {
    return path.join(this.home, OWNED_DIR, `${path.basename(dir)}.json`);
  }

  /** Record that swarm is about to create `dir` (directly inside the namespace) for `branch`. */
  mark(dir: string, branch: string): void {
    this.ensureNamespace();
    const marker: WorktreeMarker = { swarm: 'worktree', version: 1, repo_id: this.repoId, dir: path.basename(dir), branch, created_at: new Date().toISOString(), pid: process.pid };
    writeFileAtomic(this.markerFile(dir), `${JSON.stringify(marker, null, 2)}\n`);
  }

  /** The marker of `dir` when swarm created it for this repository (dir directly inside the namespace), else null. */
  owns(dir: string): WorktreeMarker | null {
    if (path.dirname(path.resolve(dir)) !== path.resolve(this.home) && !sameDir(path.dirname(dir), this.home)) return null;
    const m = readJson(this.markerFile(dir));
    if (!m || m.swarm !== 'worktree' || m.repo_id !== this.repoId || m.dir !== path.basename(dir)) return null;
    return m as unknown as WorktreeMarker;
  }

  unmark(dir: string): void {
    unlinkQuiet(this.markerFile(dir));
  }

  /** Marker temp files a writer killed mid-write left behind (its pid gone): removed. */
  sweepTemps(): void {
    removeOrphanTemps(path.join(this.home, OWNED_DIR));
  }

  /** Directory names that carry a marker (whether or not the directory exists). */
  markedNames(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(path.join(this.home, OWNED_DIR));
    } catch {
      return [];
    }
    return names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length)).filter((n) => this.owns(path.join(this.home, n)) !== null);
  }
}

function sameDir(a: string, b: string): boolean {
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return false;
  }
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
