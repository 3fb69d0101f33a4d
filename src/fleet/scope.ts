// Which shared scope a clone's rows live under in the fleet database: one database can serve several
// repositories or Linear teams, and every daemon and CLI command working on the same tracker scope must
// agree on its name. Worked out from the configuration and the origin remote alone (no tracker client),
// so commands that run without a daemon (`swarm state migrate`, fleet controls) name it as `swarm start` does.
import { basename } from 'node:path';
import type { Config } from '../config/types.js';
import { originUrl, parseGitHubRemote } from '../workspace/git.js';
import { ConfigError } from '../errors.js';
import { issuesOfRepo, ownScope } from '../config/tracker-facts.js';

/** The tracker scope a fleet shares, from the repository slug `swarm start` resolved (owner/name). */
export function fleetScope(config: Config, repoSlug: string): string {
  const t = config.tracker;
  return ownScope(t) ?? `${t.kind}:${repoSlug}`;
}

/**
 * The same scope without building the tracker: GitHub's `tracker.repo` or the origin remote, as
 * services.ts resolves it; Linear needs no slug; the local tracker uses the origin's slug or the folder name.
 */
export async function scopeForClone(config: Config, repoDir: string, file: string): Promise<string> {
  if (ownScope(config.tracker) !== null) return fleetScope(config, '');
  if (issuesOfRepo(config.tracker) && config.tracker.repo) return fleetScope(config, config.tracker.repo);
  const origin = await originUrl(repoDir);
  const parsed = origin ? parseGitHubRemote(origin) : null;
  if (parsed) return fleetScope(config, `${parsed.owner}/${parsed.name}`);
  if (issuesOfRepo(config.tracker)) {
    throw new ConfigError(`${file}: tracker.repo is not set and the origin remote (${origin ?? 'none'}) is not a GitHub URL; set tracker.repo: owner/name`);
  }
  return fleetScope(config, basename(repoDir));
}
