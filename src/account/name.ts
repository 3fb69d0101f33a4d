// The name of the Claude account an agent uses, so that every daemon on one login shares one account
// record. `agent.account` wins. Otherwise it is derived from what the CLI would authenticate with, given
// the agent's environment (the daemon's merged with agent.env, passed in — never process.env here), in
// the CLI's own order (measured on the pinned 2.1.x binary, which sends ANTHROPIC_API_KEY when both it
// and an OAuth token are set, and ANTHROPIC_AUTH_TOKEN before CLAUDE_CODE_OAUTH_TOKEN):
//   1. ANTHROPIC_API_KEY → "key-<hash>"; ANTHROPIC_AUTH_TOKEN → "token-<hash>";
//      CLAUDE_CODE_OAUTH_TOKEN → "oauth-<hash>" (hash: the first 12 hex digits of a sha256; a credential
//      never appears in a name, a file name or a log line);
//   2. the login stored in the Claude configuration: `.claude.json` in CLAUDE_CONFIG_DIR (else in $HOME),
//      else the legacy `.config.json` in the config dir (CLAUDE_CONFIG_DIR, else $HOME/.claude). Its
//      `oauthAccount` (written by `claude /login`) gives `emailAddress`, plus a hash of the
//      `organizationUuid` when there is one (one person may have seats in several organizations, each with
//      its own limits); without an email, "login-<hash of accountUuid and organizationUuid>". A
//      `primaryApiKey` stored there is named like the same key in the environment;
//   3. else "config-<hash of the resolved config dir>": at least daemons sharing a config dir share.
// Names are filesystem-safe: letters, digits and . _ @ + - (they name accounts/<name>.json).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Env } from '../config/fields.js';

export interface AccountNameInput {
  /** agent.account, when the operator named it. */
  configured: string | null;
  /** The agent's environment: the daemon's, merged with agent.env. */
  env: Env;
  /** Read a text file, null when it cannot be read (default: the filesystem). */
  readText?: (path: string) => string | null;
}

export interface DerivedAccount {
  name: string;
  /** Where the name came from, for `swarm status` and doctor (never a secret): "agent.account", "ANTHROPIC_API_KEY", "login in /home/me/.claude.json", … */
  from: string;
}

const CREDENTIAL_VARS = [
  ['ANTHROPIC_API_KEY', 'key'],
  ['ANTHROPIC_AUTH_TOKEN', 'token'],
  ['CLAUDE_CODE_OAUTH_TOKEN', 'oauth'],
] as const;

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$/;

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** `text` as a filesystem-safe name: unsafe runs become "-", at most 100 characters, never empty. */
export function safeName(text: string): string {
  if (SAFE.test(text)) return text;
  const cleaned = text.replace(/[^A-Za-z0-9._@+-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 100).replace(/-+$/, '');
  return cleaned === '' ? `account-${shortHash(text)}` : cleaned;
}

function readFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

const set = (v: string | undefined): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
const field = (o: Record<string, unknown>, k: string): string | null => (typeof o[k] === 'string' && (o[k] as string).trim() !== '' ? (o[k] as string).trim() : null);

/** The Claude configuration the CLI reads: its folder and its global config file(s), most preferred first. */
export function claudeConfigPaths(env: Env): { dir: string | null; files: string[] } {
  const custom = set(env.CLAUDE_CONFIG_DIR);
  const home = set(env.HOME) ?? set(env.USERPROFILE);
  const dir = custom !== null ? resolve(custom) : home !== null ? join(home, '.claude') : null;
  const files: string[] = [];
  const base = custom !== null ? resolve(custom) : home;
  if (base !== null) files.push(join(base, '.claude.json'));
  if (dir !== null) files.push(join(dir, '.config.json'));
  return { dir, files };
}

/**
 * A JSON file's content; undefined when missing or still not JSON after a few reads. The CLI rewrites this
 * file while agents run: a torn read must not turn into a different account name.
 */
function readJson(file: string, readText: (path: string) => string | null): unknown {
  for (let i = 0; i < 3; i++) {
    const text = readText(file);
    if (text === null) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // read again
    }
  }
  return undefined;
}

/** The login in the first readable global config file, as a name, or null. */
function loginName(files: string[], readText: (path: string) => string | null): DerivedAccount | null {
  for (const file of files) {
    const raw = readJson(file, readText);
    if (raw === undefined) continue;
    if (typeof raw !== 'object' || raw === null) continue;
    const cfg = raw as Record<string, unknown>;
    const acct = typeof cfg.oauthAccount === 'object' && cfg.oauthAccount !== null ? (cfg.oauthAccount as Record<string, unknown>) : null;
    if (acct !== null) {
      const email = field(acct, 'emailAddress');
      const uuid = field(acct, 'accountUuid');
      const org = field(acct, 'organizationUuid');
      if (email !== null) return { name: safeName(org === null ? email.toLowerCase() : `${email.toLowerCase()}-${shortHash(org).slice(0, 6)}`), from: `login in ${file}` };
      if (uuid !== null) return { name: `login-${shortHash(`${uuid}:${org ?? ''}`)}`, from: `login in ${file}` };
    }
    const key = field(cfg, 'primaryApiKey');
    if (key !== null) return { name: `key-${shortHash(key)}`, from: `API key stored in ${file}` };
    return null; // the file the CLI reads has no login: a later candidate is not what it uses
  }
  return null;
}

export function deriveAccount(input: AccountNameInput): DerivedAccount {
  if (input.configured !== null) return { name: safeName(input.configured), from: 'agent.account' };
  for (const [name, prefix] of CREDENTIAL_VARS) {
    const v = set(input.env[name]);
    if (v !== null) return { name: `${prefix}-${shortHash(v)}`, from: name };
  }
  const { dir, files } = claudeConfigPaths(input.env);
  const login = loginName(files, input.readText ?? readFile);
  if (login !== null) return login;
  if (dir === null) return { name: 'claude-default', from: 'no CLAUDE_CONFIG_DIR or HOME' };
  return { name: `config-${shortHash(dir)}`, from: `Claude config dir ${dir}` };
}

/** deriveAccount's name alone. */
export function accountName(input: AccountNameInput): string {
  return deriveAccount(input).name;
}
