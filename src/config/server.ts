// The `server` section: where the dashboard/API listens, and how it may be exposed. On loopback it is this
// machine's business; beyond it the API is a remote control of the operator's agents, so it is served over
// TLS (`server.tls: {cert, key}`, PEM files) unless the operator says in so many words that something else
// protects it (`server.insecure: true`, e.g. a TLS-terminating proxy on the same host).
import type { Config } from './types.js';
import type { Section } from './fields.js';
import { ConfigError } from '../errors.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** A host name or address that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function readServer(root: Section): Config['server'] {
  const s = root.sub('server');
  const t = s.sub('tls');
  const cert = t.strOrNull('cert');
  const key = t.strOrNull('key');
  if ((cert === null) !== (key === null)) {
    throw new ConfigError(`${s.file}: server.tls needs both cert and key (paths of the PEM certificate chain and its private key)`);
  }
  const tls = cert !== null && key !== null ? { cert, key } : null;
  t.finish();
  const publicUrl = s.strOrNull('public_url');
  if (publicUrl !== null && !/^https?:\/\/[^\s/]+/i.test(publicUrl)) throw new ConfigError(`${s.file}: server.public_url must be the console's http(s) address as others reach it, e.g. https://swarm.example.com/ (got ${JSON.stringify(publicUrl.slice(0, 80))})`);
  const out = {
    port: s.intOrNull('port', 0, 65535),
    host: s.str('host', '127.0.0.1', { nonEmpty: true }),
    tls,
    insecure: s.bool('insecure', false),
    public_url: publicUrl === null ? null : publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`,
  };
  s.finish();
  return out;
}

/**
 * Why this server must not start (a sentence naming the keys and the fix), or null. Only a server that
 * will listen (a port set, in WORKFLOW.md or by --port) is judged.
 */
export function exposureProblem(server: Config['server'], file: string): string | null {
  if (server.port === null || isLoopbackHost(server.host) || server.tls !== null || server.insecure) return null;
  return (
    `${file}: server.host ${server.host} serves the API beyond this machine over plain HTTP: set server.tls ` +
    '{cert, key} (PEM file paths) to serve HTTPS, or server.insecure: true if something else (a TLS proxy, a ' +
    'private network) protects it, or bind server.host to 127.0.0.1'
  );
}

/** Throws the ConfigError (exit 2) for exposureProblem. */
export function checkExposure(server: Config['server'], file: string): void {
  const problem = exposureProblem(server, file);
  if (problem) throw new ConfigError(problem);
}
