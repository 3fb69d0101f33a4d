// What swarm's own git runs with, so that nothing an agent wrote into the repository runs with swarm's
// rights. Every call gets `core.hooksPath=/dev/null` and `core.fsmonitor=false`; every other setting that
// makes git run a program (credential helpers, ssh/askpass commands, diff/merge/filter drivers, upload/
// receive-pack, pagers, editors, gpg) is taken from the operator's own global/system config or a safe
// default whenever the repository's local (or per-worktree) config sets it: the local config is the part
// an agent could have written. The environment is an allow-list, and credentials (SSH agent, proxies,
// the tracker token through a per-call credential helper) go only to the commands that talk to a remote.
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/** Set on every call: hooks and the fsmonitor daemon are repository-controlled programs. */
export const ALWAYS_CONFIG = ['core.hooksPath=/dev/null', 'core.fsmonitor=false', 'protocol.ext.allow=never'];

/** git subcommands that talk to a remote (and may need credentials). */
const REMOTE_COMMANDS = new Set(['fetch', 'push', 'ls-remote', 'pull', 'clone', 'remote']);

/** Names of local-config keys that make git run a program (git-config(1)), lower-cased as git lists them. */
const PROGRAM_KEY = [
  /^core\.(sshcommand|askpass|gitproxy|pager|editor|alternaterefscommand|hookspath|fsmonitor)$/,
  /^sequence\.editor$/,
  /^diff\.external$/,
  /^(diff|merge|filter)\..+\.(command|textconv|driver|clean|smudge|process|required)$/,
  /^credential\.(.+\.)?helper$/,
  /^remote\..+\.(uploadpack|receivepack|vcs)$/,
  /^(gpg|gpg\..+)\.program$/,
  /^pager\..+$/,
  /^submodule\..+\.update$/,
  /^uploadpack\.packobjectshook$/,
];

/** Value when the operator's own config does not set the key either. */
function safeDefault(key: string): string {
  if (key === 'core.hookspath') return '/dev/null';
  if (key === 'core.fsmonitor') return 'false';
  if (key === 'core.pager' || key.startsWith('pager.')) return 'cat';
  if (key === 'core.sshcommand') return 'ssh';
  if (/^remote\..+\.uploadpack$/.test(key)) return 'git-upload-pack';
  if (/^remote\..+\.receivepack$/.test(key)) return 'git-receive-pack';
  if (/^filter\..+\.required$/.test(key)) return 'false';
  if (/^submodule\..+\.update$/.test(key)) return 'none';
  return ''; // an empty driver/helper/command: git runs nothing (and a filter is not applied)
}

export function isProgramKey(key: string): boolean {
  return PROGRAM_KEY.some((re) => re.test(key));
}

interface ConfigEntry {
  scope: string;
  origin: string;
  key: string;
  value: string | null;
}

/** `git config --list --show-scope --show-origin -z` → entries (key lower-cased as git prints it). */
export function parseConfigList(out: string): ConfigEntry[] {
  const parts = out.split('\0');
  const entries: ConfigEntry[] = [];
  for (let i = 0; i + 2 < parts.length; i += 3) {
    const [scope, origin, kv] = [parts[i]!, parts[i + 1]!, parts[i + 2]!];
    const nl = kv.indexOf('\n');
    entries.push({ scope, origin, key: nl < 0 ? kv : kv.slice(0, nl), value: nl < 0 ? null : kv.slice(nl + 1) });
  }
  return entries;
}

/**
 * `-c` pairs that replace every program-running key the repository's own config sets: the same key's
 * values from the operator's system/global/command-line config (all of them, in order, after a reset for
 * multi-valued helper lists), else a safe default. Pure.
 */
export function overridesFor(entries: readonly ConfigEntry[]): string[] {
  const repo = (e: ConfigEntry) => e.scope === 'local' || e.scope === 'worktree';
  const helper = (key: string) => /^credential\.(.+\.)?helper$/.test(key);
  const repoSet = new Set(entries.filter((e) => repo(e) && isProgramKey(e.key)).map((e) => e.key));
  const out: string[] = [];
  // Credential helpers form one list across every credential.helper and credential.<url>.helper key, and an
  // empty value clears all of it: clear once, then give back the operator's own entries in their order.
  if ([...repoSet].some(helper)) {
    out.push('credential.helper=');
    for (const e of entries) if (!repo(e) && helper(e.key)) out.push(`${e.key}=${e.value ?? ''}`);
  }
  for (const key of repoSet) {
    if (helper(key)) continue;
    const operator = entries.filter((e) => e.key === key && !repo(e)).map((e) => e.value ?? 'true');
    out.push(`${key}=${operator.length > 0 ? operator[operator.length - 1]! : safeDefault(key)}`);
  }
  return out;
}

// --- the repository's config, read once per change -------------------------------------------------

interface Cached {
  at: number;
  files: { path: string; sig: string }[];
  overrides: string[];
}

const cache = new Map<string, Cached>();
const MAX_AGE_MS = 5_000;

function sig(path: string): string {
  try {
    const st = statSync(path);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

function listConfig(cwd: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  const args = [...ALWAYS_CONFIG.flatMap((c) => ['-c', c]), 'config', '--list', '--show-scope', '--show-origin', '--includes', '-z'];
  return new Promise((done) => {
    execFile('git', args, { cwd, env, encoding: 'utf8', timeout: 30_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => done(err ? null : stdout));
  });
}

/** The overrides for a git run in `cwd`, re-read whenever a config file it came from changed. */
export async function repositoryOverrides(cwd: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const hit = cache.get(cwd);
  const now = Date.now();
  if (hit && now - hit.at < MAX_AGE_MS && hit.files.every((f) => sig(f.path) === f.sig)) return hit.overrides;
  const listed = await listConfig(cwd, env);
  const entries = listed === null ? [] : parseConfigList(listed);
  // Every file the answer came from: the repository's (an agent may change it) and the operator's own.
  const files = [...new Set(entries.map((e) => e.origin))]
    .filter((o) => o.startsWith('file:'))
    .map((o) => (isAbsolute(o.slice(5)) ? o.slice(5) : resolve(cwd, o.slice(5))))
    .map((path) => ({ path, sig: sig(path) }));
  const overrides = overridesFor(entries);
  // Not inside a repository (yet): nothing to cache. One entry per folder git ran in (worktrees come and go).
  if (cache.size > 500) for (const [k, v] of cache) if (now - v.at >= MAX_AGE_MS) cache.delete(k);
  if (listed !== null) cache.set(cwd, { at: now, files, overrides });
  return overrides;
}

// --- environment and credentials ---------------------------------------------------------------------

/** Inherited by every git call: where git finds the operator's config, identity and tools. */
const BASE_ENV = /^(PATH|HOME|USER|LOGNAME|TZ|TMPDIR|XDG_CONFIG_HOME|GIT_CONFIG_NOSYSTEM|GIT_CONFIG_GLOBAL|GIT_CONFIG_SYSTEM|GIT_CONFIG_COUNT|GIT_CONFIG_KEY_\d+|GIT_CONFIG_VALUE_\d+|GIT_CONFIG_PARAMETERS|GIT_(AUTHOR|COMMITTER)_(NAME|EMAIL|DATE)|EMAIL|GIT_EXEC_PATH|GIT_TEMPLATE_DIR)$/;
/** Only for commands that talk to a remote: what reaching it takes. */
const REMOTE_ENV = /^(SSH_AUTH_SOCK|SSH_ASKPASS|GIT_ASKPASS|GIT_SSH|GIT_SSH_COMMAND|GIT_SSL_CAINFO|GIT_SSL_CAPATH|GIT_SSL_NO_VERIFY|SSL_CERT_FILE|SSL_CERT_DIR|(HTTPS?|ALL|NO)_PROXY|(https?|all|no)_proxy|GIT_PROXY_COMMAND|GIT_CURL_VERBOSE)$/;

/** The token variable the per-call credential helper reads; never set for any other command. */
const TOKEN_VAR = 'SWARM_GIT_TOKEN';

const tokens = new Map<string, () => string | null>();

/**
 * Lend the tracker's token to swarm's own fetches and pushes to `host` (https only): a credential helper
 * scoped to that host, consulted after the operator's own helpers, reads it from an environment variable
 * set on that one git process. Hooks never run, so nothing else ever sees it.
 */
export function registerRemoteToken(host: string, token: () => string | null): void {
  tokens.set(host.toLowerCase(), token);
}

export function forgetRemoteTokens(): void {
  tokens.clear();
}

/** The helper script: answers `get` with the token from the environment, nothing for store/erase. */
export const TOKEN_HELPER = `!f() { test "$1" = get && test -n "$${TOKEN_VAR}" && printf 'username=x-access-token\\npassword=%s\\n' "$${TOKEN_VAR}"; }; f`;

export function isRemoteCommand(args: readonly string[]): boolean {
  let i = 0;
  while (i < args.length && (args[i] === '-c' || args[i] === '-C')) i += 2;
  return REMOTE_COMMANDS.has(args[i] ?? '');
}

export interface SafeGit {
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** argv (config first) and environment for one git call in `cwd`. */
export async function safeGit(cwd: string, argv: readonly string[], daemonEnv: Record<string, string | undefined>): Promise<SafeGit> {
  let args = [...argv];
  const remote = isRemoteCommand(args);
  const env: NodeJS.ProcessEnv = { LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat', GIT_EDITOR: 'true' };
  for (const [k, v] of Object.entries(daemonEnv)) {
    if (v !== undefined && (BASE_ENV.test(k) || (remote && REMOTE_ENV.test(k)))) env[k] = v;
  }
  const overrides = await repositoryOverrides(cwd, env);
  const isPack = (o: string) => /^remote\..+\.(uploadpack|receivepack)=/.test(o);
  const config = [...ALWAYS_CONFIG, ...overrides.filter((o) => !isPack(o))];
  if (remote) {
    // remote.<name>.uploadpack / receivepack: git takes the FIRST value it reads (the repository's, before
    // any -c), so the program goes on the command line instead, where it wins.
    const pack = (kind: 'uploadpack' | 'receivepack') => overrides.filter((o) => new RegExp(`^remote\\..+\\.${kind}=`).test(o)).map((o) => o.slice(o.indexOf('=') + 1))[0];
    const sub = args.findIndex((a) => REMOTE_COMMANDS.has(a));
    const upload = pack('uploadpack');
    const receive = pack('receivepack');
    const flag = args[sub] === 'push' ? (receive ? `--receive-pack=${receive}` : null) : (upload && args[sub] !== 'remote' ? `--upload-pack=${upload}` : null);
    if (flag) args = [...args.slice(0, sub + 1), flag, ...args.slice(sub + 1)];
    for (const [host, get] of tokens) {
      const token = get();
      if (!token) continue;
      config.push(`credential.https://${host}.helper=${TOKEN_HELPER}`);
      env[TOKEN_VAR] = token; // one token: a repository pushes to one code host
    }
  }
  return { args: [...config.flatMap((c) => ['-c', c]), ...args], env };
}
