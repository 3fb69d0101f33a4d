// Claude Code loads every CLAUDE.md / CLAUDE.local.md (and .claude/ settings) from its working directory up
// to `/` as trusted memory. A file an agent writes above its worktree would reach every later agent outside
// any fence, so before each attempt swarm looks at the worktree's ancestors: inside swarm's own folders
// (`.swarm/`, the workspace root) such a file is never the operator's; above them (the checkout, its
// parents) it must be committed to the repository (in the checkout) or be as it was when the operator
// started swarm or last ran `swarm resume`. Anything else stops dispatch with an alert. `~/.claude` (the
// operator's own Claude folder) is theirs and not looked at.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { gitAt, gitTry } from '../workspace/git.js';

export const MEMORY_NAMES = ['CLAUDE.md', 'CLAUDE.local.md', '.claude'];
/**
 * What Claude Code takes from a `.claude/` folder: memory, rules, settings (hooks, permissions), commands,
 * agents, skills. Caches and session files other tools keep there are not memory and may change freely.
 */
const CLAUDE_DIR_ENTRIES = ['CLAUDE.md', 'CLAUDE.local.md', 'rules', 'settings.json', 'settings.local.json', 'commands', 'agents', 'skills', 'hooks', 'output-styles'];
const MAX_ENTRIES = 500;
const MAX_HASHED_BYTES = 4 * 1024 * 1024;

export interface MemoryGuardOptions {
  repoDir: string;
  swarmDir: string;
  workspaceRoot: string;
  home: string;
}

const within = (outer: string, inner: string) => {
  const r = relative(outer, inner);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
};

/** What is at `path` (null: nothing): file bytes, link targets and folder trees, by content. */
export function fingerprint(path: string): string | null {
  const h = createHash('sha256');
  let entries = 0;
  const walk = (p: string, rel: string): boolean => {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return false;
    }
    if (++entries > MAX_ENTRIES) {
      h.update(`\0truncated`);
      return true;
    }
    if (st.isSymbolicLink()) h.update(`\0L${rel}\0${safe(() => readlinkSync(p), '?')}`);
    else if (st.isFile()) h.update(`\0F${rel}\0${st.size}\0${st.size <= MAX_HASHED_BYTES ? createHash('sha256').update(safe(() => readFileSync(p), Buffer.alloc(0))).digest('hex') : st.mtimeMs}`);
    else if (st.isDirectory()) {
      h.update(`\0D${rel}`);
      for (const name of safe(() => readdirSync(p).sort(), [] as string[])) walk(join(p, name), `${rel}/${name}`);
    } else h.update(`\0O${rel}`);
    return true;
  };
  return walk(path, '') ? h.digest('hex') : null;
}

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

export class MemoryGuard {
  private baseline = new Map<string, string | null>();

  constructor(private o: MemoryGuardOptions) {}

  /** Folders swarm owns: nothing there is ever the operator's memory. */
  private owned(dir: string): boolean {
    return within(this.o.swarmDir, dir) || within(this.o.workspaceRoot, dir);
  }

  private candidates(from: string): string[] {
    const out: string[] = [];
    for (let dir = from; ; dir = dirname(dir)) {
      for (const name of MEMORY_NAMES) {
        const p = join(dir, name);
        if (p !== join(this.o.home, '.claude')) out.push(p);
      }
      if (dirname(dir) === dir) break;
    }
    return out;
  }

  /** The folder options changed (a reload moved workspace.root). */
  setOptions(o: MemoryGuardOptions): void {
    this.o = o;
  }

  /** Take what is above the worktrees now as the operator's (daemon start, `swarm resume`). */
  accept(): void {
    this.baseline.clear();
    for (const p of this.candidates(this.o.workspaceRoot)) if (!this.owned(dirname(p))) this.baseline.set(p, this.print(p));
  }

  /** Before an attempt in `worktree`: null when its ancestors are clean, else the alert (one sentence). */
  async check(worktree: string): Promise<string | null> {
    for (const p of this.candidates(dirname(worktree))) {
      if (this.owned(dirname(p))) {
        if (fingerprint(p) !== null) return `${p} is inside swarm's own folders, where nothing is the operator's — an agent may have planted it, and Claude Code would load it into every later agent's memory; delete it, then run \`swarm resume\``;
        continue;
      }
      const before = this.baseline.has(p) ? this.baseline.get(p)! : null;
      const after = this.print(p);
      if (after === before) continue;
      if (dirname(p) === this.o.repoDir && (await this.committed(p))) continue;
      return `${p} ${after === null ? 'was removed' : before === null ? 'appeared' : 'changed'} above the worktrees since swarm started and is not committed — Claude Code loads it into every agent's memory; if the change is yours, commit it or run \`swarm resume\` to accept it, otherwise undo it and run \`swarm resume\``;
    }
    return null;
  }

  /** The operator's side: a file as it is; of a `.claude/` folder, only what Claude Code loads from it. */
  private print(p: string): string | null {
    if (basename(p) !== '.claude') return fingerprint(p);
    const parts = CLAUDE_DIR_ENTRIES.map((name) => `${name}:${fingerprint(join(p, name)) ?? '-'}`);
    return parts.every((x) => x.endsWith(':-')) ? null : parts.join('\n');
  }

  /** Tracked and identical to HEAD (or absent from both): the repository's own memory. */
  private async committed(p: string): Promise<boolean> {
    const out = await gitTry(gitAt(this.o.repoDir), ['status', '--porcelain', '--ignored=matching', '--untracked-files=all', '--', relative(this.o.repoDir, p)]);
    return out === '';
  }
}
