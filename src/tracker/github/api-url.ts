// Where a GitHub host's REST API answers, for the tracker and for Linear's code host alike.
import { parseGitHubRemote } from '../../workspace/git.js';

/**
 * The GitHub REST API for PR detection in Linear mode: GITHUB_API_URL (set by GitHub Actions, and the
 * override for tests), else derived from a GitHub(-Enterprise) origin, else api.github.com.
 */
export function linearCodeHostApi(origin: string | null, env: Record<string, string | undefined>): string {
  const fromEnv = env.GITHUB_API_URL?.trim();
  if (fromEnv) return fromEnv;
  return githubApiUrl(origin ? parseGitHubRemote(origin)?.host : undefined);
}

/**
 * The REST API of a GitHub host: api.github.com for github.com; `api.SUBDOMAIN.ghe.com` for GitHub Enterprise
 * Cloud with data residency (GitHub docs' `data_residency_api: 'api.SUBDOMAIN.ghe.com'`; GraphQL at
 * https://api.SUBDOMAIN.ghe.com/graphql); `https://HOST/api/v3` for GitHub Enterprise Server.
 */
export function githubApiUrl(host: string | undefined): string {
  if (!host || host === 'github.com' || host === 'www.github.com') return 'https://api.github.com';
  if (host.endsWith('.ghe.com')) return `https://api.${host.replace(/^api\./, '')}`;
  return `https://${host}/api/v3`;
}
