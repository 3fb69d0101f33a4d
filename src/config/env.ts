// The environment the agent and hooks run with: the daemon's own environment minus the secrets
// swarm read for itself (tracker token, Linear key, webhook URL, state password) — unless the operator
// hands one over explicitly through agent.env — plus agent.env and the SWARM_* facts about the run.
// This is also the one place that reads process.env, so everything else takes env as a parameter.
import type { Env } from './fields.js';

/** Variables never inherited from the parent: swarm's tracker credentials and its own SWARM_* vars. */
export const SCRUBBED_NAMES = ['GITHUB_TOKEN', 'GH_TOKEN', 'LINEAR_API_KEY'] as const;

/** Secrets at least this long are also matched inside longer values (e.g. a URL that embeds a token). */
const MIN_EMBEDDED_SECRET = 8;

/** The daemon's environment. The only read of process.env in swarm; pass the result down. */
export function processEnv(): Env {
  return { ...process.env };
}

function leaksSecret(value: string, secrets: string[]): boolean {
  for (const s of secrets) {
    if (s === '') continue;
    if (value === s) return true;
    if (s.length >= MIN_EMBEDDED_SECRET && value.includes(s)) return true;
  }
  return false;
}

/**
 * The agent's environment: `base` without secret-valued variables, GITHUB_TOKEN / GH_TOKEN /
 * LINEAR_API_KEY and inherited SWARM_* (each kept only if its name is listed in `extra`, i.e.
 * agent.env), then `extra`, then `swarm` (the SWARM_* vars of this run, which win). Pure.
 */
export function agentEnv(
  base: Env,
  secrets: string[],
  extra: Record<string, string>,
  swarm: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  const scrubbed = new Set<string>(SCRUBBED_NAMES);
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined) continue;
    if (!(name in extra)) {
      if (scrubbed.has(name) || name.startsWith('SWARM_')) continue;
      if (leaksSecret(value, secrets)) continue;
    }
    out[name] = value;
  }
  Object.assign(out, extra, swarm);
  return out;
}
