// Builds the `claude` command line from config, the MCP config file it points at, and the
// root + bypass-permissions environment fix. The prompt is never part of argv: it goes on stdin, which is also
// what makes the variadic flags (--allowedTools, --disallowedTools, --mcp-config) safe to use.

import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-file.js';
import { join } from 'node:path';
import type { Config, McpServer } from '../config/types.js';

export interface ClaudeArgOptions {
  model: string;
  /** Path written by writeMcpConfig, or null when no MCP servers are configured. */
  mcpConfigPath: string | null;
  /** Remaining per-ticket budget (agent.max_cost_usd minus spent); null = no cap. */
  maxBudgetUsd: number | null;
  /** A UUID, so the transcript under ~/.claude/projects is easy to find. */
  sessionId?: string;
  /**
   * Resume this Claude session (a follow-up in the same worktree): `--resume <id>`. With `sessionId` too,
   * the resumed conversation continues under that new id (`--fork-session --session-id`): Claude Code
   * refuses `--session-id` with `--resume` otherwise ("also needs --fork-session"), and without a new id
   * a resumed session keeps its own. A session that is gone fails the run: see resumeFailed().
   */
  resume?: string;
  /**
   * Prompt and operator messages as stream-json on stdin (`--input-format stream-json`), each echoed back
   * when the CLI takes it in (`--replay-user-messages`): the runner's Inbox speaks this protocol.
   */
  streamInput?: boolean;
}

/** `permission_mode: dangerously-skip-permissions` is accepted as the CLI's flag of that name. */
const SKIP_PERMISSIONS = /^(--)?dangerously[-_]skip[-_]permissions$/i;

function isBypassMode(permissionMode: string): boolean {
  return permissionMode === 'bypassPermissions' || SKIP_PERMISSIONS.test(permissionMode);
}

/** Up to 4 decimals, no trailing zeros, never exponent notation, never negative. */
export function formatUsd(x: number): string {
  const fixed = Math.max(0, x).toFixed(4);
  return fixed.replace(/\.?0+$/, '') || '0';
}

export function buildClaudeArgs(agent: Config['agent'], opts: ClaudeArgOptions): string[] {
  const args = ['-p', '--output-format', 'stream-json', '--verbose', '--model', opts.model, '--max-turns', String(agent.max_turns)];
  if (SKIP_PERMISSIONS.test(agent.permission_mode)) args.push('--dangerously-skip-permissions');
  else args.push('--permission-mode', agent.permission_mode);

  if (agent.append_system_prompt.trim() !== '') args.push('--append-system-prompt', agent.append_system_prompt);
  if (opts.maxBudgetUsd !== null && Number.isFinite(opts.maxBudgetUsd)) {
    args.push('--max-budget-usd', formatUsd(opts.maxBudgetUsd));
  }
  if (opts.resume) {
    args.push('--resume', opts.resume);
    if (opts.sessionId) args.push('--fork-session');
  }
  if (opts.sessionId) args.push('--session-id', opts.sessionId);
  if (opts.streamInput) args.push('--input-format', 'stream-json', '--replay-user-messages');

  // Variadic flags last: each list ends at the next `--flag`, and nothing positional follows.
  if (opts.mcpConfigPath !== null) args.push('--mcp-config', opts.mcpConfigPath, '--strict-mcp-config');
  if (agent.allowed_tools.length > 0) args.push('--allowedTools', ...agent.allowed_tools);
  if (agent.disallowed_tools.length > 0) args.push('--disallowedTools', ...agent.disallowed_tools);
  return args;
}

/**
 * Writes `{"mcpServers": {...}}` to `<dir>/mcp-config.json` (mode 0600: server env may hold secrets) and
 * returns its path; null (and nothing written) when no server is configured.
 */
export function writeMcpConfig(dir: string, servers: Record<string, McpServer>): string | null {
  if (Object.keys(servers).length === 0) return null;
  mkdirSync(dir, { recursive: true });
  const mcpServers: Record<string, { command: string; args: string[]; env: Record<string, string> }> = {};
  for (const [name, s] of Object.entries(servers)) mcpServers[name] = { command: s.command, args: s.args, env: s.env };
  const path = join(dir, 'mcp-config.json');
  writeFileAtomic(path, JSON.stringify({ mcpServers }, null, 2) + '\n', { mode: 0o600 });
  return path;
}

/**
 * Claude Code refuses bypassPermissions / --dangerously-skip-permissions as root unless IS_SANDBOX=1. That
 * variable is a promise that the machine is a sandbox, so swarm makes it only where it is true: inside its
 * own sandbox (`sandboxed`), it adds IS_SANDBOX=1 for the agent. Unconfined, only the operator can make the
 * promise, explicitly in agent.env (`env`; an inherited value does not count); otherwise swarm refuses.
 * Returns the env entries to add ({} when nothing is needed), or an error sentence naming the fix.
 */
export function rootBypassCheck(
  permissionMode: string,
  isRoot: boolean,
  env: Record<string, string | undefined>,
  sandboxed: boolean,
): Record<string, string> | string {
  if (!isRoot || !isBypassMode(permissionMode)) return {};
  const current = env.IS_SANDBOX;
  if (current === '1') return {};
  if (current !== undefined && current !== '') {
    return (
      `agent.permission_mode is ${permissionMode} and swarm runs as root: Claude Code refuses this unless ` +
      `IS_SANDBOX=1, but IS_SANDBOX is set to "${current}" in agent.env. Set IS_SANDBOX: "1" in agent.env, or run swarm as a non-root user.`
    );
  }
  if (sandboxed) return { IS_SANDBOX: '1' };
  return (
    `agent.permission_mode is ${permissionMode}, swarm runs as root and agent.sandbox is off: nothing would contain ` +
    `an agent that skips every permission check. Turn the sandbox on (remove agent.sandbox: off), run swarm as a ` +
    `non-root user, or — only if this machine is itself a disposable sandbox — set IS_SANDBOX: "1" in agent.env.`
  );
}
