// WORKFLOW.md front matter → validated, defaulted Config. Hand-written so that every error
// names the file, the key path and the fix; every default lives here, next to the key it belongs to.
// Unknown keys are warnings (an operator's typo must not stop a running daemon), type errors are not.
import { RECLAIM_COOLDOWN_MS, type Config, type McpServer } from './types.js';
import { isMapping, Reader, Section, urlOrNull, type Env } from './fields.js';
import { readTracker } from './tracker.js';

export { TRACKER_KINDS } from './tracker.js';
import { SCRUBBED_NAMES } from './env.js';
import { agentSecretValues } from './secret-values.js';
import { checkExposure, isLoopbackHost, readServer } from './server.js';
import { readAccountName, readBudget, readLanes, readPacing } from './lanes.js';
import { readAutoMerge, readVerify } from './verify.js';
import { readSize } from './size.js';

/** agent.transcript_max: 200 MB per attempt by default; a few KB at the least (its head and tail must hold lines). */
export const DEFAULT_TRANSCRIPT_MAX = 200 * 1024 * 1024;
const MIN_TRANSCRIPT_MAX = 16 * 1024;
import { readNotify } from './notify.js';
import { checkWebhooks, readWebhooks } from './webhooks.js';
import { readPublish, readSandbox } from './sandbox.js';
import { ConfigError } from '../errors.js';

export interface ValidateContext {
  /** The WORKFLOW.md path as the operator knows it; every message starts with it. */
  file: string;
  env: Env;
}

export interface ValidatedConfig {
  config: Config;
  warnings: string[];
  /** Secret values swarm itself uses (tracker token/key, webhook URL, state password): masked, and kept from the agent. */
  secrets: string[];
  /** Credentials of the environment and values handed to the agent (secret-values.ts): masked only — the agent needs them. */
  agentSecrets: string[];
}

export const PERMISSION_MODES = [
  'acceptEdits',
  'auto',
  'bypassPermissions',
  'manual',
  'dontAsk',
  'plan',
  'default',
] as const;

const BRANCH_PREFIX = /^[A-Za-z0-9._/-]*$/;

function readWorkspace(r: Reader, root: Section): Config['workspace'] {
  const w = root.sub('workspace');
  const branch_prefix = w.str('branch_prefix', 'swarm/');
  if (!BRANCH_PREFIX.test(branch_prefix) || branch_prefix.includes('..') || /^[-/]/.test(branch_prefix)) {
    r.fail(w.keyPath('branch_prefix'), 'a git branch prefix of letters, digits, ".", "_", "-" and "/" (e.g. swarm/)', branch_prefix);
  }
  const out = {
    root: w.str('root', '.swarm/worktrees', { nonEmpty: true }),
    base_branch: w.strOrNull('base_branch'),
    branch_prefix,
  };
  w.finish();
  return out;
}

function readHooks(root: Section): Config['hooks'] {
  const h = root.sub('hooks');
  const out = {
    after_create: h.str('after_create', ''),
    before_run: h.str('before_run', ''),
    after_run: h.str('after_run', ''),
    before_remove: h.str('before_remove', ''),
    after_merge: h.str('after_merge', ''),
    timeout: h.duration('timeout', 5 * 60_000),
  };
  h.finish();
  return out;
}

function readMcpServers(r: Reader, a: Section): Record<string, McpServer> {
  const m = a.sub('mcp_servers');
  const out: Record<string, McpServer> = {};
  for (const [name, raw] of m.entries()) {
    const p = m.keyPath(name);
    if (!isMapping(raw)) r.fail(p, 'a mapping {command, args, env}', raw);
    const s = new Section(r, p, raw);
    if (!s.get('command')) r.fail(s.keyPath('command'), "a non-empty string (the MCP server's executable)", undefined);
    out[name] = {
      command: s.str('command', '', { nonEmpty: true }),
      args: s.list('args', []),
      env: s.stringMap('env'),
    };
    s.finish();
  }
  return out;
}

function readPr(root: Section): Config['pr'] {
  const pr = root.sub('pr');
  const out = {
    publish: readPublish(pr),
    auto_open: pr.bool('auto_open', true),
    draft: pr.bool('draft', false),
    watch_interval: pr.duration('watch_interval', 2 * 60_000),
    max_followups: pr.int('max_followups', 3, 0),
    needs_human_label: pr.str('needs_human_label', 'agent:needs-human', { nonEmpty: true }),
    log_excerpt_bytes: pr.int('log_excerpt_bytes', 4000, 0, 100_000),
    followup_checks: pr.oneOf('followup_checks', 'required', ['required', 'all'] as const),
    auto_merge: readAutoMerge(pr),
  };
  pr.finish();
  return out;
}

function readAgent(r: Reader, root: Section): Config['agent'] {
  const a = root.sub('agent');
  const agent: Config['agent'] = {
    command: a.str('command', 'claude', { nonEmpty: true }),
    max_concurrent: a.int('max_concurrent', 3, 1),
    max_attempts: a.int('max_attempts', 3, 1),
    models: a.list('models', ['sonnet', 'sonnet', 'opus'], { nonEmpty: true }),
    max_turns: a.int('max_turns', 60, 1),
    permission_mode: a.oneOf('permission_mode', 'bypassPermissions', PERMISSION_MODES),
    allowed_tools: a.list('allowed_tools', []),
    disallowed_tools: a.list('disallowed_tools', []),
    mcp_servers: readMcpServers(r, a),
    append_system_prompt: a.str('append_system_prompt', ''),
    env: a.stringMap('env'),
    timeout: a.duration('timeout', 60 * 60_000),
    stall_timeout: a.duration('stall_timeout', 10 * 60_000),
    fast_fail: a.duration('fast_fail', 10_000, 0),
    retry_backoff: a.duration('retry_backoff', 30_000, 0),
    max_retry_backoff: a.duration('max_retry_backoff', 30 * 60_000, 0),
    max_cost_usd: a.positiveOrNull('max_cost_usd', 'US dollars'),
    transcript_max: readSize(a, 'transcript_max', DEFAULT_TRANSCRIPT_MAX, MIN_TRANSCRIPT_MAX),
    use_extra_usage: a.bool('use_extra_usage', true),
    reclaim_cooldown: a.duration('reclaim_cooldown', RECLAIM_COOLDOWN_MS, 0),
    account: readAccountName(r, a),
    lanes: readLanes(a),
    pacing: readPacing(a),
    sandbox: readSandbox(r, a),
  };
  if (agent.max_retry_backoff < agent.retry_backoff) {
    throw new ConfigError(
      `${r.file}: agent.max_retry_backoff must be at least agent.retry_backoff ` +
        `(got ${agent.max_retry_backoff} ms < ${agent.retry_backoff} ms)`,
    );
  }
  a.finish();
  return agent;
}

function readState(root: Section, secrets: string[]): Config['state'] {
  const s = root.sub('state');
  const url = urlOrNull(s, 'url', ['postgres:', 'postgresql:'], 'null or a postgres://user:password@host/db URL', true);
  if (url !== null) {
    const password = new URL(url).password;
    if (password) {
      secrets.push(password);
      try {
        secrets.push(decodeURIComponent(password));
      } catch {
        // a malformed escape: the raw form is already listed
      }
    }
  }
  const out = {
    url,
    transcript_days: s.int('transcript_days', 14, 1),
    events_max_mb: s.int('events_max_mb', 20, 1),
    lease_ttl: s.duration('lease_ttl', 2 * 60_000, 5_000),
  };
  s.finish();
  return out;
}

/** Validate parsed front matter (any shape) into a Config with every default applied. */
export function validateConfig(raw: unknown, ctx: ValidateContext): ValidatedConfig {
  const r = new Reader(ctx.file, ctx.env);
  const root = r.root(raw);
  const secrets: string[] = [];

  const { tracker, secrets: trackerSecrets } = readTracker(r, root);
  const polling = root.sub('polling');
  const workspace = readWorkspace(r, root);
  const hooks = readHooks(root);
  const agent = readAgent(r, root);
  const budget = readBudget(r, root);
  const pr = readPr(root);
  const verify = readVerify(root);
  const server = readServer(root);

  const config: Config = {
    tracker,
    polling: { interval: polling.duration('interval', 30_000) },
    workspace,
    hooks,
    agent,
    budget,
    pr,
    verify,
    server,
    notify: readNotify(r, root, secrets),
    state: readState(root, secrets),
    webhooks: readWebhooks(r, root, secrets),
  };
  polling.finish();
  root.finish();
  checkWebhooks(config, ctx.file, r.warnings);

  checkExposure(config.server, ctx.file);
  if (config.server.insecure && config.server.port !== null && !isLoopbackHost(config.server.host)) {
    r.warnings.push(`${ctx.file}: server.insecure is true: the API on ${config.server.host} is served over plain HTTP (its bearer token crosses the network in clear)`);
  }
  secrets.push(...trackerSecrets);
  // Well-known credential variables are secrets whether or not this tracker reads them: masked in every
  // sink, as they are already never inherited by the agent (env.ts).
  for (const name of SCRUBBED_NAMES) {
    const v = ctx.env[name];
    if (typeof v === 'string' && v.trim() !== '') secrets.push(v.trim());
  }
  // The agent's own credentials (its Claude login, agent.env, MCP env…) are masked in every sink too, but
  // never taken from it: they are a separate list (secret-values.ts says which values qualify).
  const own = new Set(secrets);
  const agentSecrets = [...new Set(agentSecretValues(config, ctx.env))].filter((v) => !own.has(v));
  return { config, warnings: r.warnings, secrets: [...own], agentSecrets };
}
