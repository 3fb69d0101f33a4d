// Which values swarm must never write anywhere, beyond the ones it reads for itself (tracker token, Linear
// key, webhook URL, state password — schema.ts): the credentials of the environment (the agent's Claude
// login, the database password), every value handed to the agent through agent.env or an MCP server's env,
// and the daemon's own variables whose names say they are secrets (the agent inherits those).
// These are masked in every sink but never taken from the agent's environment (the agent needs its login;
// env.ts scrubs only the secrets swarm read for itself).
// A value that cannot be a secret is left out, since masking it would garble every line that mentions it:
// fewer than 8 characters, a number, a yes/no word, an absolute path; of a URL only the parts that can
// carry a secret count (its password, a long path or query — a webhook's token lives there).
import type { Config } from './types.js';
import type { Env } from './fields.js';
import { SCRUBBED_NAMES } from './env.js';
import { MIN_SECRET_LENGTH, urlParts } from '../util/secrets.js';

/** Environment variables whose value is a credential wherever it is set. */
export const SECRET_ENV_NAMES: readonly string[] = [
  ...SCRUBBED_NAMES,
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'PGPASSWORD',
];

/** A variable named like a credential: …_TOKEN, …_SECRET, …_PASSWORD, …_API_KEY, …_PRIVATE_KEY, … */
const SECRET_NAME = /(?:^|_)(?:TOKEN|SECRET|SECRETS|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIALS?)(?:_|$)/i;
const MIN_SHAPED = 8;
const NOT_SECRET = /^(?:true|false|yes|no|on|off|null|none|[+-]?\d+(?:\.\d+)?)$/i;
const ABSOLUTE_PATH = /^(?:\/|~\/|[A-Za-z]:\\)\S*$/;

/** The parts of `value` that may be a secret (none for values that cannot be one). */
export function secretShapedParts(value: string, namedSecret = false): string[] {
  const v = value.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
    const parts = urlParts(v);
    // A URL under a secret's name is a secret whole (a webhook URL in SLACK_WEBHOOK_SECRET); else its parts.
    return namedSecret ? [v, ...parts] : parts;
  }
  if (v.length < (namedSecret ? MIN_SECRET_LENGTH : MIN_SHAPED) || NOT_SECRET.test(v)) return [];
  if (!namedSecret && ABSOLUTE_PATH.test(v)) return [];
  return [v];
}

/** Every secret value `config` hands to the agent or `env` holds as a credential (see the file head). */
export function agentSecretValues(config: Pick<Config, 'agent'>, env: Env): string[] {
  const out: string[] = [];
  for (const name of SECRET_ENV_NAMES) {
    const v = env[name];
    if (typeof v === 'string' && v.trim().length >= MIN_SECRET_LENGTH) out.push(v.trim());
  }
  for (const [name, v] of Object.entries(env)) {
    if (typeof v === 'string' && SECRET_NAME.test(name)) out.push(...secretShapedParts(v, true));
  }
  const handed: Record<string, string>[] = [config.agent.env, ...Object.values(config.agent.mcp_servers).map((s) => s.env)];
  for (const map of handed) {
    for (const [name, v] of Object.entries(map)) out.push(...secretShapedParts(v, SECRET_NAME.test(name)));
  }
  return out;
}
