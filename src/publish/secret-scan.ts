// Scans the commits swarm is about to publish: every added line of every new commit (not only the branch's
// final diff — a token added in one commit and deleted in the next is still pushed), and every commit
// message. A finding names the commit, the file and the line, and what kind of secret it is; never the value.
// The patch is read per commit and parsed by its hunk counts, so file content that looks like a patch
// header (or holds control bytes) cannot hide a line from the scan.
import { secretIn } from '../util/secret-patterns.js';
import type { GitRunner } from '../workspace/git.js';

export interface Finding {
  commit: string;
  /** Path in the commit, or "(commit message)". */
  file: string;
  /** 1-based line in the new version of the file (in the message for a message). */
  line: number;
  kind: string;
}

/** At most this many new commits, and this much patch text, are read; more is refused as unscannable. */
export const MAX_COMMITS = 1000;
export const MAX_PATCH_BYTES = 64 * 1024 * 1024;

export function scanMessage(message: string, commit: string, known: readonly string[]): Finding[] {
  const found: Finding[] = [];
  message.split('\n').forEach((text, i) => {
    const kind = secretIn(text, known);
    if (kind) found.push({ commit, file: '(commit message)', line: i + 1, kind });
  });
  return found;
}

/** Added lines of a `git diff-tree -p --unified=0` patch → findings. Pure. */
export function scanPatch(patch: string, commit: string, known: readonly string[]): Finding[] {
  const found: Finding[] = [];
  let file = '';
  let line = 0;
  let oldLeft = 0;
  let newLeft = 0;
  for (const text of patch.split('\n')) {
    if (oldLeft > 0 || newLeft > 0) {
      // Inside a hunk: the counts say what each line is, whatever it looks like.
      if (text.startsWith('+') && newLeft > 0) {
        const kind = secretIn(text.slice(1), known);
        if (kind) found.push({ commit, file: file || '(unknown file)', line, kind });
        line++;
        newLeft--;
      } else if (text.startsWith('-') && oldLeft > 0) {
        oldLeft--;
      } else if (!text.startsWith('\\')) {
        // Not a hunk line after all (a malformed patch): scan it rather than trust it.
        const kind = secretIn(text, known);
        if (kind) found.push({ commit, file: file || '(unknown file)', line, kind });
        oldLeft = newLeft = 0;
      }
      continue;
    }
    const hunk = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(text);
    if (hunk) {
      oldLeft = hunk[1] === undefined ? 1 : Number(hunk[1]);
      line = Number(hunk[2]);
      newLeft = hunk[3] === undefined ? 1 : Number(hunk[3]);
      continue;
    }
    if (text.startsWith('diff --git ')) file = '';
    else if (text.startsWith('+++ ')) {
      const path = text.slice(4);
      file = path === '/dev/null' ? '' : path.replace(/^"?b\//, '').replace(/"$/, '');
    }
    // Headers (paths, modes, renames): a secret in a file name is pushed too.
    const kind = secretIn(text, known);
    if (kind) found.push({ commit, file: file || '(file name)', line: 0, kind });
  }
  return found;
}

const PATCH_ARGS = ['-p', '-m', '--first-parent', '--root', '-r', '--text', '--no-ext-diff', '--no-textconv', '--no-color', '--unified=0', '--no-renames', '--no-commit-id'];

/**
 * Findings in the commits reachable from `head` and from none of `not` (the remote refs that already have
 * their history), binary files read as text. Throws when git fails or the change is too big to read whole.
 */
export async function scanCommits(git: GitRunner, head: string, not: readonly string[], known: readonly string[]): Promise<Finding[]> {
  const list = (await git.raw(['rev-list', `--max-count=${MAX_COMMITS + 1}`, head, '--not', ...not, '--'])).split('\n').map((l) => l.trim()).filter(Boolean);
  if (list.length > MAX_COMMITS) throw new Error(`over ${MAX_COMMITS} new commits: too many to scan for secrets`);
  const found: Finding[] = [];
  let bytes = 0;
  for (const commit of list) {
    const message = await git.raw(['show', '-s', '--format=%B', commit]);
    const patch = await git.raw(['diff-tree', ...PATCH_ARGS, commit]);
    bytes += patch.length + message.length;
    if (bytes > MAX_PATCH_BYTES) throw new Error(`the new commits are over ${MAX_PATCH_BYTES / 1024 / 1024} MB of patch text: too big to scan for secrets`);
    found.push(...scanMessage(message, commit, known), ...scanPatch(patch, commit, known));
  }
  return found;
}

/** One sentence for the sticky comment: where, and what kind — the value masked. */
export function describeFindings(findings: readonly Finding[], limit = 5): string {
  const shown = findings.slice(0, limit).map((f) => `${f.kind} in ${f.file} line ${f.line} (commit ${f.commit.slice(0, 7)})`);
  const more = findings.length > limit ? `, and ${findings.length - limit} more` : '';
  return `${shown.join('; ')}${more}`;
}
