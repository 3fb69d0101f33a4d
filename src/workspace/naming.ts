// Deterministic, hostile-input-proof names for ticket branches and worktree directories,
// and the one check that keeps every workspace path strictly inside workspace.root.
// Ticket text (titles, keys, Linear branch hints) is untrusted: it is sanitized, never rejected. Only the
// operator's branch_prefix may throw, because a bad prefix is a configuration mistake to fix.
import { WorkspaceError } from '../errors.js';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';



export const SLUG_MAX = 40;
export const BRANCH_MAX = 100;
export const DIR_MAX = 80;
const PREFIX_MAX = 50;
const KEY_MAX = 40;
const HASH_LEN = 8;

/** Short stable hash of the original (unsanitized) text: keeps two altered names from colliding. */
export function shortHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, HASH_LEN);
}

/** Lower-case, runs of anything but a-z0-9 → "-", trimmed, at most 40 chars; "" → "ticket". */
export function slugify(title: string): string {
  const slug = String(title ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_MAX)
    .replace(/-+$/g, '');
  return slug === '' ? 'ticket' : slug;
}

/** The rules of `git check-ref-format --branch` (for names we already restricted to printable ASCII). */
export function isValidBranchName(name: string): boolean {
  if (name === '' || name === '@' || name === 'HEAD') return false;
  if (name.startsWith('-') || name.startsWith('/') || name.endsWith('/') || name.endsWith('.')) return false;
  if (name.includes('..') || name.includes('//') || name.includes('@{')) return false;
  // control characters, DEL, space and ~ ^ : ? * [ \
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return false;
  for (const part of name.split('/')) {
    if (part.startsWith('.') || part.endsWith('.lock')) return false;
  }
  return true;
}

/** Why a branch_prefix is unusable, or null when it is fine ("" is fine). */
export function prefixProblem(prefix: string): string | null {
  if (prefix === '') return null;
  if (prefix.length > PREFIX_MAX) return `is longer than ${PREFIX_MAX} characters`;
  if (/[^\x21-\x7e]/.test(prefix)) return 'contains spaces, control or non-ASCII characters';
  if (!isValidBranchName(`${prefix}x`)) return 'would not make a valid git branch name (see `git check-ref-format`)';
  return null;
}

function cleanComponent(part: string): string {
  let s = part
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[.-]+|[.-]+$/g, '');
  while (s.endsWith('.lock')) s = s.slice(0, -'.lock'.length).replace(/[.-]+$/g, '');
  return s;
}

/** A ticket key (e.g. a local file stem) as one ref component; hash-suffixed when it had to change. */
function sanitizeKey(key: string): string {
  const raw = String(key ?? '');
  let s = cleanComponent(raw);
  const altered = s !== raw || s.length > KEY_MAX;
  if (!altered) return s;
  s = s.slice(0, KEY_MAX).replace(/[.-]+$/g, '');
  return s === '' ? `ticket-${shortHash(raw)}` : `${s}-${shortHash(raw)}`;
}

/** A tracker-suggested branch (Linear's branchName) as a ref path; "" when nothing usable is left. */
function sanitizeHint(hint: string): string {
  const s = hint.split('/').map(cleanComponent).filter((p) => p !== '').join('/');
  if (s === '') return '';
  return s === hint ? s : `${s}-${shortHash(hint)}`;
}

export interface BranchTicket {
  key: string;
  number: number;
  title: string;
  branch_hint?: string | null;
}

/**
 * `<prefix><number-or-key>-<slug>`, or `<prefix><hint>` when the tracker suggests a branch. Always a valid
 * git branch name of at most 100 characters. Throws (EPREFIX) only for an invalid operator prefix.
 */
export function branchName(prefix: string, ticket: BranchTicket): string {
  const problem = prefixProblem(prefix);
  if (problem) throw new WorkspaceError('EPREFIX', `workspace.branch_prefix "${prefix}" ${problem}.`);
  const hint = typeof ticket.branch_hint === 'string' ? sanitizeHint(ticket.branch_hint) : '';
  let body: string;
  if (hint !== '') {
    body = hint;
  } else {
    const n = ticket.number;
    const id = Number.isSafeInteger(n) && n > 0 ? String(n) : sanitizeKey(ticket.key);
    body = `${id}-${slugify(ticket.title)}`;
  }
  const identity = `${prefix}\n${String(ticket.key ?? '')}\n${String(ticket.branch_hint ?? '')}\n${body}`;
  let name = `${prefix}${body}`;
  if (name.length > BRANCH_MAX) {
    const keep = BRANCH_MAX - prefix.length - HASH_LEN - 1;
    name = `${prefix}${body.slice(0, keep).replace(/[./-]+$/g, '')}-${shortHash(identity)}`;
  }
  // Joining a valid prefix and a clean body can still form e.g. "swarm.lock": a hash suffix repairs it.
  if (!isValidBranchName(name)) name = `${name.slice(0, BRANCH_MAX - HASH_LEN - 1)}-${shortHash(identity)}`;
  if (!isValidBranchName(name)) throw new WorkspaceError('EPREFIX', `cannot build a valid branch name from prefix "${prefix}".`);
  return name;
}

/**
 * One safe path segment ([a-z0-9._-], no leading dot or dash, ≤ 80 chars) for a branch or key. Any
 * alteration adds a hash of the original, so two different inputs never share a directory.
 */
export function worktreeDirName(name: string): string {
  const raw = String(name ?? '');
  let s = raw
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[.-]+|[.-]+$/g, '');
  if (s === raw && s.length <= DIR_MAX && s !== '') return s;
  s = s.slice(0, DIR_MAX - HASH_LEN - 1).replace(/[.-]+$/g, '');
  return `${s === '' ? 'ticket' : s}-${shortHash(raw)}`;
}

export function realpathNearest(p: string): string {
  // Resolve symlinks of the longest existing ancestor, then re-append the parts that do not exist yet.
  const rest: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return path.join(fs.realpathSync(cur), ...rest.reverse());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const parent = path.dirname(cur);
      if (parent === cur) return p;
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}

/** True when `p` (already real) lies strictly inside `realRoot`. */
export function isStrictlyInside(realRoot: string, p: string): boolean {
  const rel = path.relative(realRoot, p);
  return rel !== '' && !path.isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${path.sep}`);
}

/**
 * The real path of `name` under `root` (root created if missing, symlinks resolved). Throws EPATH unless
 * the result is strictly inside the root — `..`, absolute names and symlinks pointing out are all refused.
 */
export function resolveUnder(root: string, name: string): string {
  if (typeof name !== 'string' || name === '' || name.includes('\0') || root.includes('\0')) {
    throw new WorkspaceError('EPATH', `workspace path name ${JSON.stringify(String(name).slice(0, 80))} is not allowed.`);
  }
  fs.mkdirSync(root, { recursive: true });
  const realRoot = fs.realpathSync(root);
  const target = realpathNearest(path.resolve(realRoot, name));
  if (!isStrictlyInside(realRoot, target)) {
    throw new WorkspaceError(
      'EPATH',
      `workspace path ${JSON.stringify(name.slice(0, 80))} resolves outside ${realRoot}; refusing to use it.`,
    );
  }
  return target;
}
