// Tracker credentials, in the documented order: GitHub — tracker.token, GITHUB_TOKEN, GH_TOKEN,
// then `gh auth token --hostname HOST`; Linear — tracker.api_key, then LINEAR_API_KEY. The value found is
// a secret: callers add it to the redaction/scrub list (pass `secrets` to have it appended).
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { execa } from 'execa';
import { type TrackerConfig } from './types.js';
import type { Env } from './fields.js';
import { registerSecrets } from '../util/secrets.js';
import { ConfigError } from '../errors.js';

export interface Credential {
  token: string;
  /** Where it came from, for `swarm doctor`: "tracker.token", "GITHUB_TOKEN", "GH_TOKEN", "gh auth token". */
  source: string;
}

export interface GithubTokenOptions {
  /** The gh executable (tests point this at a fake). Default "gh". */
  ghCommand?: string;
  /** The gh host; default derived from tracker.api_url. */
  host?: string;
  /** Give up on gh after this long. Default 10 s. */
  timeoutMs?: number;
  /** When given, the token found is appended (once) to this list. */
  secrets?: string[];
}

type TrackerPick<K extends keyof TrackerConfig> = { tracker: Pick<TrackerConfig, K> };

function remember(secrets: string[] | undefined, value: string): void {
  registerSecrets([value]); // every sink of this process masks it from now on (CLI errors included)
  if (secrets && !secrets.includes(value)) secrets.push(value);
}

function present(v: string | null | undefined): v is string {
  return typeof v === 'string' && v.trim() !== '';
}

/** The gh host for an API URL: api.github.com → github.com, https://HOST/api/v3 → HOST. */
export function githubHost(apiUrl: string | null): string {
  if (!apiUrl) return 'github.com';
  let hostname: string;
  try {
    hostname = new URL(apiUrl).hostname;
  } catch {
    return 'github.com';
  }
  return hostname.startsWith('api.') ? hostname.slice(4) : hostname;
}

function childEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

export async function resolveGithubToken(
  config: TrackerPick<'token' | 'api_url'>,
  env: Env,
  opts: GithubTokenOptions = {},
): Promise<Credential> {
  const found = (token: string, source: string): Credential => {
    const t = token.trim();
    remember(opts.secrets, t);
    return { token: t, source };
  };
  if (present(config.tracker.token)) return found(config.tracker.token, 'tracker.token');
  if (present(env.GITHUB_TOKEN)) return found(env.GITHUB_TOKEN, 'GITHUB_TOKEN');
  if (present(env.GH_TOKEN)) return found(env.GH_TOKEN, 'GH_TOKEN');

  const host = opts.host ?? githubHost(config.tracker.api_url);
  // argv only, no shell; the environment given (not ours) so tests and callers decide what gh sees.
  const res = await execa(opts.ghCommand ?? 'gh', ['auth', 'token', '--hostname', host], {
    reject: false,
    timeout: opts.timeoutMs ?? 10_000,
    env: childEnv(env),
    extendEnv: false,
    stdin: 'ignore',
  });
  const out = typeof res.stdout === 'string' ? res.stdout.trim() : '';
  if (res.exitCode === 0 && out !== '' && !/\s/.test(out)) return found(out, 'gh auth token');

  throw new ConfigError('no GitHub token: set GITHUB_TOKEN, or tracker.token in WORKFLOW.md, or run `gh auth login`');
}

/**
 * The GitHub token source read again, after GitHub rejected `rejected` (an installation token expires after
 * an hour; `gh auth token` hands out a rotated one): the same order as at startup, from the configuration
 * as it is now. A token found is a secret from then on (registered, and appended to `opts.secrets`).
 * Returns null when the source yields nothing or the same rejected token.
 */
export async function rereadGithubToken(
  config: TrackerPick<'token' | 'api_url'>,
  env: Env,
  rejected: string,
  opts: GithubTokenOptions = {},
): Promise<string | null> {
  try {
    const { token } = await resolveGithubToken(config, env, opts);
    return token !== rejected.trim() ? token : null;
  } catch {
    return null;
  }
}

/** How swarm authenticates to GitHub, as configured (the token itself is read by resolveGithubToken). */
export type GithubCredentials =
  | { kind: 'token' }
  | { kind: 'command'; command: string; source: 'tracker.token_command' }
  | { kind: 'app'; appId: string; privateKey: string; installationId: number | null; source: string };

type AuthKeys = 'app_id' | 'private_key' | 'installation_id' | 'token_command';

/**
 * The GitHub credentials the configuration asks for: a GitHub App (tracker.app_id + tracker.private_key,
 * the key read here from its file unless given inline), a token command, or a token (the default order).
 * The key is a secret from then on. Throws ConfigError naming the key and the fix.
 */
export function resolveGithubCredentials(config: { tracker: Partial<Pick<TrackerConfig, AuthKeys>> }, baseDir: string, opts: { secrets?: string[] } = {}): GithubCredentials {
  const t = config.tracker;
  if (present(t.app_id) && present(t.private_key)) {
    const { pem, source } = readPrivateKey(t.private_key, baseDir);
    remember(opts.secrets, pem);
    return { kind: 'app', appId: t.app_id.trim(), privateKey: pem, installationId: t.installation_id ?? null, source };
  }
  if (present(t.token_command)) return { kind: 'command', command: t.token_command, source: 'tracker.token_command' };
  return { kind: 'token' };
}

function readPrivateKey(value: string, baseDir: string): { pem: string; source: string } {
  const looksPem = (s: string) => /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(s);
  // Given inline ($VAR): escaped newlines, as environment files often hold it, are real ones.
  if (value.includes('-----BEGIN')) {
    const pem = value.replace(/\\n/g, '\n').trim();
    if (!looksPem(pem)) throw new ConfigError('tracker.private_key holds text that is not a PEM private key: give the path to the App\'s .pem file, or the whole key (-----BEGIN … PRIVATE KEY----- … -----END …)');
    return { pem, source: 'tracker.private_key' };
  }
  const path = isAbsolute(value) ? value : resolve(baseDir, value);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`tracker.private_key: cannot read ${path} (${code}): point it at the App's private key file (the App's settings → Private keys → Generate), or set it to $VAR holding the key`);
  }
  if (!looksPem(text)) throw new ConfigError(`tracker.private_key: ${path} is not a PEM private key: download a new key from the App's settings → Private keys`);
  return { pem: text.trim(), source: path };
}

export function resolveLinearKey(
  config: TrackerPick<'api_key'>,
  env: Env,
  opts: { secrets?: string[] } = {},
): Credential {
  const found = (token: string, source: string): Credential => {
    const t = token.trim();
    remember(opts.secrets, t);
    return { token: t, source };
  };
  if (present(config.tracker.api_key)) return found(config.tracker.api_key, 'tracker.api_key');
  if (present(env.LINEAR_API_KEY)) return found(env.LINEAR_API_KEY, 'LINEAR_API_KEY');
  throw new ConfigError(
    'no Linear API key: set LINEAR_API_KEY, or tracker.api_key in WORKFLOW.md (Linear → Settings → Security & access → API keys)',
  );
}
