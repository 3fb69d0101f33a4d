// Claude Code's refusals to start: the zeroed `result` (subtype error_during_execution, num_turns 0, no
// cost, no init line before it) that a stream-json run writes before exiting on a known start-up failure,
// with `startup_failure_reason` saying why. None of them is the ticket's fault, so none is ever counted:
// the ones a retry cannot fix (a broken config file, an organization refusing this login, a policy that
// rules this setup out) pause dispatch until an operator acts, like a dead login, with the fix in the
// reason; the ones that say "retrying may succeed" are infrastructure (retried with backoff, under the
// circuit breaker).
//
// Source: the `startup_failure_reason` enum and its descriptions in the pinned CLI's own SDK schema
// (2.1.328; 2.1.332 adds sideload_flags_disabled). The CLI writes this result on every stream-json run only
// for org_config_required_unavailable, org_config_refused and config_file_invalid; the others come with
// CLAUDE_CODE_STARTUP_FAILURE_RESULTS set and otherwise end with stderr alone (then the startup_error rule
// applies). config_file_invalid was recorded on 2.1.332 (test/fixtures/claude/config-invalid.*): errors
// names the file, `invalid_config_file.path` carries it as a field.

export interface StartupFailure {
  /** true: a person must change something (pause like a dead login); false: retrying may succeed. */
  operator: boolean;
  /** What to do, for the pause's reason (operator ones end with `swarm resume`). */
  fix: string;
}

const op = (fix: string): StartupFailure => ({ operator: true, fix: `${fix}, then \`swarm resume\`` });
const retry = (fix: string): StartupFailure => ({ operator: false, fix });

export const STARTUP_FAILURES: Readonly<Record<string, StartupFailure>> = {
  config_file_invalid: op("repair the JSON of the Claude Code configuration file it names (or move it aside to start from defaults); every start without a terminal is refused until then"),
  org_config_refused: op('sign in again (`claude`, then /login) or have an organization admin allow Claude Code for this account'),
  org_config_required_unavailable: retry("the organization's required policy settings could not be loaded (network, proxy or an Anthropic error); retrying may succeed"),
  org_pin_api_key_conflict: op('managed settings pin a sign-in: remove ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN from the agent environment and use that sign-in'),
  provider_not_allowed: op("managed settings do not allow this API provider: use one listed in allowedProviders"),
  org_verify_failed: retry("the sign-in's organization could not be verified (network, or a revoked token: if it repeats, sign in again)"),
  org_pin_mismatch: op("the sign-in belongs to an organization the managed settings do not allow: sign in with an allowed organization's account"),
  managed_settings_invalid: op("fix the managed policy settings (or the models they allow)"),
  remote_settings_required_unavailable: retry('managed settings the organization requires could not be loaded; retrying may succeed'),
  gateway_signin_required: op('the Cloud gateway ended this sign-in: sign in again'),
  gateway_access_denied: op('the Cloud gateway refused this account: ask its administrator'),
  proxy_invalid: op('a proxy setting (HTTPS_PROXY / HTTP_PROXY) is not a complete URL: fix it in the agent environment'),
  temp_dir_unusable: op("the per-user temp directory is unsafe or cannot be created: fix its permissions"),
  cwd_unavailable: retry('the worktree could not be read as the working directory'),
  shell_tool_missing: op('install Git Bash or enable the PowerShell tool (Windows)'),
  session_held_by_background: retry('the session to resume runs as a background session'),
  worktree_resume_refused: retry("the resumed session's worktree failed Claude Code's safety checks"),
  worktree_unverified: retry("the session's worktree could not be verified right now; retrying may succeed"),
  cli_version_too_old: op('upgrade Claude Code (agent.command) to a version Anthropic still accepts'),
  bypass_root: op('bypassPermissions as root needs IS_SANDBOX=1 in agent.env, or run swarm as a non-root user'),
  sandbox_required_unavailable: op("a working sandbox is required and cannot run here (e.g. bubblewrap missing): make it available or have the requirement changed"),
  initialize_not_first: retry('Claude Code expected an initialize request first (a wrapper between swarm and Claude Code changed stdin)'),
  managed_settings_not_delivered: retry('the managed settings for --managed-settings-in-initialize were not delivered'),
  initialize_fields_not_delivered: retry('the settings named by --initialize-fields were not delivered'),
  sideload_flags_disabled: op('managed settings disable plugins, agents and MCP servers given on the command line: remove agent.mcp_servers or have the setting changed'),
};

/** What a refusal with `reason` needs; an unknown reason (a newer CLI) is infrastructure: never counted, retried. */
export function startupFailure(reason: string): StartupFailure {
  return Object.hasOwn(STARTUP_FAILURES, reason) ? STARTUP_FAILURES[reason]! : retry('Claude Code refused to start for a reason this swarm does not know');
}
