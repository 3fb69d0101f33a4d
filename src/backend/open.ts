// The one place that decides "embedded or fleet?": WORKFLOW.md's `state.url` set means the PostgreSQL
// backend (loaded lazily, so an embedded daemon never loads pg), else the embedded one. Used by
// `swarm start` once the local state file (the store, or a fleet's write-ahead journal) is loaded.
import type { Config } from '../config/types.js';
import type { Backend, OpenBackendOptions } from './types.js';
import { openEmbedded } from './embedded/open.js';

export async function openBackend(config: Config, o: OpenBackendOptions): Promise<Backend> {
  if (config.state.url === null) return openEmbedded(o.journal, o.env);
  // The database is the shared truth, state.json this daemon's write-ahead journal.
  const { openPostgres } = await import('./postgres/open.js');
  return openPostgres(config, { ...o, url: config.state.url });
}
