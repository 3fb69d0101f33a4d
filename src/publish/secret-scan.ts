// Scans the commits swarm is about to publish: every added line of every new commit (not only the branch's
// final diff — a token added in one commit and deleted in the next is still pushed), and every commit
// message. A finding names the commit, the file and the line, and what kind of secret it is; never the value.
import { secretIn } from '../secret-patterns.js';
import type { GitRunner } from '../workspace/git.js';

export interface Finding {
  commit: string;
  /** Path in the commit, or "(commit message)". */
  file: string;
  /** 1-based line in the new version of the file (in the message for a message). */
  line: number;
  kind: string;
}

/** At most this much patch text is read; a bigger change is refused as unscannable. */
export const MAX_PATCH_BYTES = 64 * 1024 * 1024;
const START = '\u0001';
const END = '\u0002';

/** `git log -p` output in the format scanCommits() asks for → findings. Pure. */
export function scanLog(out: string, known: readonly string[]): Finding[] {
  const findings: Finding[] = [];
  for (const record of out.split(START).slice(1)) {
    const endOfMessage = record.indexOf(END);
    const header = endOfMessage < 0 ? record : record.slice(0, endOfMessage);
    const nl = header.indexOf('\n');
    const commit = (nl < 0 ? header : header.slice(0, nl)).trim();
    const message = nl < 0 ? '' : header.slice(nl + 1);
    message.split('\n').forEach((text, i) => {
      const kind = secretIn(text, known);
      if (kind) findings.push({ commit, file: '(commit message)', line: i + 1, kind });
    });
    if (endOfMessage >= 0) scanPatch(record.slice(endOfMessage + 1), commit, known, findings);
  }
  return findings;
}

function scanPatch(patch: string, commit: string, known: readonly string[], findings: Finding[]): void {
  let file = '';
  let line = 0;
  for (const text of patch.split('\n')) {
    if (text.startsWith('+++ ')) {
      const path = text.slice(4);
      file = path === '/dev/null' ? '' : path.replace(/^"?b\//, '').replace(/"$/, '');
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(text);
    if (hunk) {
      line = Number(hunk[1]);
      continue;
    }
    if (text.startsWith('+')) {
      const kind = secretIn(text.slice(1), known);
      if (kind) findings.push({ commit, file: file || '(unknown file)', line, kind });
      line++;
    } else if (text.startsWith(' ')) {
      line++;
    }
  }
}

/**
 * Findings in the commits reachable from `head` and from none of `not` (the remote refs that already have
 * their history), patches of binary files included as text. Throws when git fails or the change is too big
 * to read whole.
 */
export async function scanCommits(git: GitRunner, head: string, not: readonly string[], known: readonly string[]): Promise<Finding[]> {
  const out = await git.raw([
    'log', `--format=${START}%H%n%B${END}`, '-p', '--text', '--no-ext-diff', '--no-textconv', '--no-color', '--unified=0', '--no-renames',
    head, '--not', ...not, '--',
  ]);
  if (Buffer.byteLength(out) > MAX_PATCH_BYTES) throw new Error(`the new commits are over ${MAX_PATCH_BYTES / 1024 / 1024} MB of patch text: too big to scan for secrets`);
  return scanLog(out, known);
}

/** One sentence for the sticky comment: where, and what kind — the value masked. */
export function describeFindings(findings: readonly Finding[], limit = 5): string {
  const shown = findings.slice(0, limit).map((f) => `${f.kind} in ${f.file} line ${f.line} (commit ${f.commit.slice(0, 7)})`);
  const more = findings.length > limit ? `, and ${findings.length - limit} more` : '';
  return `${shown.join('; ')}${more}`;
}
