// Reaching the hook APIs from a command (`swarm webhooks setup`, `swarm doctor`), without a daemon: the
// GitHub repository whose pull requests swarm follows (tracker.repo or the origin remote, and in Linear mode
// the GitHub API, found as services.ts finds them) with the token swarm would use, and the Linear API key.
import type { Workflow } from '../config/types.js';
import { resolveGithubToken, resolveLinearKey } from '../config/credentials.js';
import { originUrl, parseGitHubRemote } from '../workspace/git.js';
import { ConfigError } from '../errors.js';

export interface GithubAccess {
  slug: string;
  hooks: import('../tracker/github/hooks.js').GitHubHooks;
  tokenSource: string;
}

export async function githubHooksAccess(wf: Workflow, repoDir: string, env: Record<string, string | undefined>, timeoutMs = 30_000): Promise<GithubAccess> {
  const cfg = wf.config;
  const origin = await originUrl(repoDir).catch(() => null);
  let repo: { owner: string; name: string } | null = null;
  if (cfg.tracker.repo) {
    const [owner, name] = cfg.tracker.repo.split('/');
    repo = { owner: owner!, name: name! };
  } else repo = origin ? parseGitHubRemote(origin) : null;
  if (!repo) throw new ConfigError(`${wf.path}: tracker.repo is not set and the origin remote (${origin ?? 'none'}) is not a GitHub URL, so there is no GitHub repository to set a webhook on`);
  const { linearCodeHostApi } = await import('../tracker/github/api-url.js');
  const apiUrl = cfg.tracker.kind === 'github' ? cfg.tracker.api_url ?? 'https://api.github.com' : linearCodeHostApi(origin, env);
  const cred = await resolveGithubToken({ tracker: { token: cfg.tracker.token, api_url: apiUrl } }, env, { timeoutMs });
  const { createOctokit } = await import('../tracker/github/client.js');
  const { GitHubHooks } = await import('../tracker/github/hooks.js');
  const gh = createOctokit({ token: cred.token, apiUrl, throttle: false, retries: 1, timeoutMs });
  return { slug: `${repo.owner}/${repo.name}`, hooks: new GitHubHooks(gh, { owner: repo.owner, repo: repo.name }), tokenSource: cred.source };
}

export async function linearHooksAccess(wf: Workflow, env: Record<string, string | undefined>, timeoutMs = 30_000): Promise<import('../tracker/linear/webhooks.js').LinearWebhooks> {
  const key = resolveLinearKey(wf.config, env);
  const { LinearWebhooks } = await import('../tracker/linear/webhooks.js');
  return new LinearWebhooks({ apiUrl: wf.config.tracker.api_url, apiKey: key.token, timeoutMs });
}
