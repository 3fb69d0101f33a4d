// The sandboxed agent's environment, built from an allow-list instead of the daemon's whole environment:
// what a shell and git need (PATH, HOME, locale, terminal, commit identity), what Claude Code needs to
// reach and log in to the model API (ANTHROPIC_*, CLAUDE_CODE_*, CLAUDE_CONFIG_DIR and its own settings),
// the SWARM_* facts of this run, and agent.env — the operator's explicit additions, which win. Never
// inherited: SSH_AUTH_SOCK, PG*, tracker tokens, cloud credentials, or anything else not listed. Pure.

/** Inherited by name. */
const ALLOWED = new Set([
  'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TERM', 'COLORTERM', 'TZ', 'NO_COLOR',
  'GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL', 'EMAIL',
  'CLAUDE_CONFIG_DIR', 'API_TIMEOUT_MS', 'MAX_THINKING_TOKENS', 'MCP_TIMEOUT', 'MCP_TOOL_TIMEOUT',
  'BASH_DEFAULT_TIMEOUT_MS', 'BASH_MAX_TIMEOUT_MS', 'BASH_MAX_OUTPUT_LENGTH',
  'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR',
]);

/** Inherited by prefix: locale categories and Claude Code's own settings and login. */
const ALLOWED_PREFIXES = ['LC_', 'ANTHROPIC_', 'CLAUDE_CODE_', 'DISABLE_'];

export function inheritedByAgent(name: string): boolean {
  return ALLOWED.has(name) || ALLOWED_PREFIXES.some((p) => name.startsWith(p));
}

/**
 * `base` filtered through the allow-list, then `explicit` (agent.env), then `swarm` (this run's SWARM_*),
 * then `forced` (what the sandbox itself sets). git inside the sandbox never runs `gc --auto` (it could not
 * write packed-refs there anyway).
 */
export function sandboxedAgentEnv(
  base: Record<string, string | undefined>,
  explicit: Record<string, string>,
  swarm: Record<string, string>,
  forced: Record<string, string> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && inheritedByAgent(name)) out[name] = value;
  }
  Object.assign(out, { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'gc.auto', GIT_CONFIG_VALUE_0: '0' }, explicit, swarm, forced);
  return out;
}
