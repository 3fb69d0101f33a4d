// WORKFLOW.md keys for containing the agent: `agent.sandbox` (on by default; `off` runs the agent
// unconfined, knowingly) with the holes an operator may poke — `network.allow` (hosts beyond the model
// API, e.g. a package registry) and `filesystem.allow_write` / `allow_read` (e.g. a package cache) — and
// `pr.publish` (who pushes: swarm, after scanning the commits, or the agent with a token it was given).
import type { Reader, Section } from './fields.js';

export interface SandboxConfig {
  /** false: `agent.sandbox: off` — the agent runs with the operator's rights (said at start and in status). */
  enabled: boolean;
  network: {
    /** Hosts the agent may reach besides the model API: `registry.npmjs.org`, `*.npmjs.org`, `127.0.0.1:4873`. */
    allow: string[];
  };
  filesystem: {
    /** Extra paths the agent may write (absolute, `~/…`, or relative to the repository). Never by default. */
    allow_write: string[];
    /** Extra paths the agent may read inside what the sandbox hides (e.g. a folder under `.swarm`). */
    allow_read: string[];
  };
}

export type PublishMode = 'swarm' | 'agent';

export const SANDBOX_OFF: SandboxConfig = { enabled: false, network: { allow: [] }, filesystem: { allow_write: [], allow_read: [] } };

const HOST_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/** `host`, `*.host`, an IPv4 literal, or a bracketed IPv6 literal; each optionally `:port`. */
const NETWORK_ENTRY = new RegExp(`^(?:(?:\\*\\.)?${HOST_LABEL}(?:\\.${HOST_LABEL})*|\\[[0-9A-Fa-f:.]+\\])(?::(\\d{1,5}))?$`);

/** Whether `entry` is a network allow-list entry the sandbox understands (ports 1–65535). */
export function validNetworkEntry(entry: string): boolean {
  const m = NETWORK_ENTRY.exec(entry);
  if (!m) return false;
  const port = m[1] === undefined ? null : Number(m[1]);
  return port === null || (port >= 1 && port <= 65535);
}

/**
 * `agent.sandbox`: absent, `on` or `true` → on with nothing extra; `off` or `false` → unconfined; a mapping
 * → on, with `network.allow` and `filesystem.allow_write` / `allow_read`.
 */
export function readSandbox(r: Reader, a: Section): SandboxConfig {
  const v = a.get('sandbox');
  const what = 'on, off, or a mapping with network.allow and filesystem.allow_write / allow_read';
  if (!v) return { enabled: true, network: { allow: [] }, filesystem: { allow_write: [], allow_read: [] } };
  if (v.value === false || v.value === 'off') return SANDBOX_OFF;
  if (v.value === true || v.value === 'on') return { enabled: true, network: { allow: [] }, filesystem: { allow_write: [], allow_read: [] } };
  if (typeof v.value !== 'object' || Array.isArray(v.value)) return r.fail(a.keyPath('sandbox'), what, v.value, v.envName);
  const s = a.sub('sandbox');
  const net = s.sub('network');
  const fs = s.sub('filesystem');
  const allow = net.list('allow', []);
  allow.forEach((entry, i) => {
    if (!validNetworkEntry(entry)) {
      r.fail(`${net.keyPath('allow')}[${i}]`, 'a host name (registry.npmjs.org, *.npmjs.org), an IP address, optionally with :port — not a URL', entry);
    }
  });
  const out: SandboxConfig = {
    enabled: true,
    network: { allow },
    filesystem: { allow_write: fs.list('allow_write', []), allow_read: fs.list('allow_read', []) },
  };
  for (const x of [net, fs, s]) x.finish();
  return out;
}

/** `pr.publish`: `swarm` (default; the agent commits, swarm scans and pushes) or `agent` (the agent pushes). */
export function readPublish(pr: Section): PublishMode {
  return pr.oneOf('publish', 'swarm', ['swarm', 'agent'] as const);
}
