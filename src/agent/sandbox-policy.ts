// PURE: what the sandboxed agent may touch, as path and host lists for @anthropic-ai/sandbox-runtime.
// Writes: its worktree, the git data a commit needs (objects, its branch's ref folder and reflogs, its
// own `worktrees/<name>` admin folder), a private folder (temp dir, an empty GitHub CLI config) and its
// own Claude session folder — plus exactly what the operator lists. Reads: everything but `.swarm/` (and
// the workspace root's other worktrees), the operator's credential stores and other sessions' Claude
// transcripts. Network: the model API and what the operator lists; everything else is refused.
import { homedir, tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { SandboxConfig } from '../config/sandbox.js';

/** Under HOME: credential stores the agent never reads (files or folders). */
export const CREDENTIAL_STORES = [
  '.ssh', '.config/gh', '.git-credentials', '.netrc', '.aws', '.docker', '.gnupg', '.kube', '.npmrc', '.pypirc',
  '.config/gcloud', '.azure', '.cargo/credentials', '.cargo/credentials.toml', '.config/hub', '.password-store',
  '.local/share/keyrings', '.config/git/credentials',
];

/** Under the Claude config folder: other sessions' transcripts and the operator's own history. */
const CLAUDE_PRIVATE = ['projects', 'todos', 'history.jsonl', 'file-history', 'shell-snapshots', 'session-env'];

export interface SandboxPaths {
  repoDir: string;
  /** The repository's common `.git` folder (shared by every worktree). */
  commonDir: string;
  swarmDir: string;
  workspaceRoot: string;
  /** swarm's git hooks folder for the agent (the pre-push guard), under the workspace root: read-only to it. */
  hooksDir?: string | null;
  workflowPath: string;
  worktree: string;
  /** `<commonDir>/worktrees/<name>`: this worktree's HEAD, index and reflog. */
  worktreeGitDir: string;
  branch: string;
  /** Private to this attempt: `tmp/` (TMPDIR) and `gh/` (an empty GH_CONFIG_DIR). */
  privateDir: string;
  home: string;
  /** CLAUDE_CONFIG_DIR or ~/.claude. */
  claudeConfigDir: string;
}

export interface FilesystemPolicy {
  denyRead: string[];
  allowRead: string[];
  allowWrite: string[];
  denyWrite: string[];
}

/** Claude Code's session folder for a working directory: every character but a-z A-Z 0-9 becomes "-". */
export function sessionDirFor(claudeConfigDir: string, cwd: string): string {
  return join(claudeConfigDir, 'projects', cwd.replace(/[^a-zA-Z0-9]/g, '-'));
}

/** `~/x` → under home; relative → under the repository. */
export function resolveOperatorPath(p: string, repoDir: string, home = homedir()): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return join(home, p.slice(2));
  return isAbsolute(p) ? resolve(p) : resolve(repoDir, p);
}

const within = (outer: string, inner: string) => {
  const r = relative(outer, inner);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
};

/**
 * The operator's extra writable paths must not open what the sandbox exists to protect: the checkout
 * (WORKFLOW.md, CLAUDE.md), the `.git` folder (config, hooks) and `.swarm/`. An error sentence, or null.
 */
export function extraPathProblem(p: Pick<SandboxPaths, 'repoDir' | 'commonDir' | 'swarmDir' | 'workflowPath'>, extra: SandboxConfig['filesystem']): string | null {
  for (const raw of extra.allow_write) {
    const path = resolveOperatorPath(raw, p.repoDir);
    for (const [name, guarded] of [['the repository checkout', p.repoDir], ['the .git folder', p.commonDir], ['.swarm/', p.swarmDir], ['WORKFLOW.md', p.workflowPath]] as const) {
      if (within(path, guarded)) return `agent.sandbox.filesystem.allow_write entry "${raw}" would let the agent write ${name} (${guarded}); list a narrower folder (e.g. a package cache)`;
    }
  }
  return null;
}

export function filesystemPolicy(p: SandboxPaths, extra: SandboxConfig['filesystem']): FilesystemPolicy {
  const folder = dirname(p.branch) === '.' ? '' : dirname(p.branch);
  const uid = process.getuid?.() ?? 0;
  const session = sessionDirFor(p.claudeConfigDir, p.worktree);
  const denyRead = [
    p.swarmDir,
    ...(within(p.swarmDir, p.workspaceRoot) ? [] : [p.workspaceRoot]),
    join(tmpdir(), `swarm-${uid}`), // the control socket's folder when the repository path is too long
    ...CREDENTIAL_STORES.map((s) => join(p.home, s)),
    ...CLAUDE_PRIVATE.map((s) => join(p.claudeConfigDir, s)),
  ];
  const allowWrite = [
    p.worktree,
    join(p.commonDir, 'objects'),
    join(p.commonDir, 'refs', 'heads', ...(folder ? folder.split('/') : [])),
    join(p.commonDir, 'logs', 'refs', 'heads', ...(folder ? folder.split('/') : [])),
    p.worktreeGitDir,
    p.privateDir,
    session,
    ...extra.allow_write.map((x) => resolveOperatorPath(x, p.repoDir, p.home)),
  ];
  return {
    denyRead,
    // A folder the agent writes is readable too (the sandbox library binds it back over a hidden parent).
    allowRead: [p.worktree, ...(p.hooksDir ? [p.hooksDir] : []), ...extra.allow_read.map((x) => resolveOperatorPath(x, p.repoDir, p.home))],
    allowWrite: [...new Set(allowWrite)],
    // Shared by every sandbox the library starts (a default write path): not a private temp dir.
    denyWrite: ['/tmp/claude', '/private/tmp/claude'],
  };
}

/** Folders that must exist before the sandbox binds them (bubblewrap binds existing paths only). */
export function foldersToCreate(p: SandboxPaths): string[] {
  const folder = dirname(p.branch) === '.' ? [] : dirname(p.branch).split('/');
  return [
    join(p.commonDir, 'refs', 'heads', ...folder),
    join(p.commonDir, 'logs', 'refs', 'heads', ...folder),
    join(p.privateDir, 'tmp'),
    join(p.privateDir, 'gh'),
    sessionDirFor(p.claudeConfigDir, p.worktree),
  ];
}

/** The model API as the network allow-list names it: ANTHROPIC_BASE_URL's host:port, else Anthropic's. */
export function modelApiHosts(baseUrl: string | undefined): string[] {
  if (baseUrl && baseUrl.trim() !== '') {
    try {
      const u = new URL(baseUrl);
      const port = u.port || (u.protocol === 'http:' ? '80' : '443');
      return [`${u.hostname}:${port}`];
    } catch {
      // an unparsable base URL reaches nothing
      return [];
    }
  }
  return ['api.anthropic.com:443'];
}

/** What the sandbox library puts in NO_PROXY (clients connect there directly, which fails in the sandbox). */
export const LIBRARY_NO_PROXY = ['localhost', '127.0.0.1', '::1', '169.254.0.0/16', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];

function ipv4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((x) => x > 255)) return null;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

function hostOf(entry: string): string {
  const bracket = /^\[([^\]]+)\]/.exec(entry);
  if (bracket) return bracket[1]!;
  return entry.replace(/:\d+$/, '');
}

/**
 * NO_PROXY for the agent: the library's list without the entries an allowed host falls under, so a
 * loopback or private address the operator allowed (a local registry, a test's fake API) goes through
 * the proxy, the only way out of the sandbox's network namespace.
 */
export function noProxyFor(allowed: readonly string[]): string {
  const hosts = allowed.map(hostOf);
  const covers = (entry: string) => hosts.some((h) => {
    if (h === entry) return true;
    if (entry.includes('/')) {
      const [net, bits] = entry.split('/');
      const a = ipv4(h);
      const b = ipv4(net!);
      if (a === null || b === null) return false;
      const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
      return ((a & mask) >>> 0) === ((b & mask) >>> 0);
    }
    return false;
  });
  return LIBRARY_NO_PROXY.filter((e) => !covers(e)).join(',');
}

/** `'…'`-quoted for sh. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command line run inside the sandbox: our temp dir and NO_PROXY win over the library's, then exec. */
export function innerCommand(command: string, args: readonly string[], set: Record<string, string>): string {
  const assignments = Object.entries(set).map(([k, v]) => shellQuote(`${k}=${v}`));
  return ['exec', 'env', ...assignments, shellQuote(command), ...args.map(shellQuote)].join(' ');
}

