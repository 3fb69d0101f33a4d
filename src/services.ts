// Builds the tracker, code host and worktrees a workflow asks for. The only place that knows which
// adapter goes with which `tracker.kind`; credentials come from src/config/credentials.ts.
import { basename, resolve } from 'node:path';
import type { Workflow } from './config/types.js';
import { resolveGithubToken, resolveLinearKey } from './config/credentials.js';
import type { Services } from './orchestrator/runtime.js';
import type { CodeHost } from './tracker/types.js';
import { BranchHandoff, LocalTracker } from './tracker/local/tracker.js';
import { Worktrees } from './workspace/worktree.js';
import { repoIdentity } from './workspace/repo-id.js';
import { resolveWorkspaceRoot } from './workspace/root.js';
import { originUrl, parseGitHubRemote, pushBranch, remoteHeadBranch } from './workspace/git.js';
import { ConfigError } from './errors.js';

export interface ServiceContext {
  repoDir: string;
  env: Record<string, string | undefined>;
  log: (msg: string) => void;
}

export async function makeServices(wf: Workflow, ctx: ServiceContext): Promise<Services> {
  const cfg = wf.config;
  const file = wf.path;
  const secrets = [...wf.secrets];
  const origin = await originUrl(ctx.repoDir);
  const baseBranch = cfg.workspace.base_branch ?? (origin ? await remoteHeadBranch(ctx.repoDir) : null) ?? 'main';
  // workspace.root is checked against the repository before anything is created or removed under it.
  const identity = repoIdentity(ctx.repoDir);
  const root = resolveWorkspaceRoot(cfg.workspace.root, ctx.repoDir, { home: ctx.env.HOME, gitCommonDir: identity.commonDir, file });
  const worktrees = new Worktrees({ repoDir: ctx.repoDir, root, baseBranch, hooks: cfg.hooks, log: ctx.log, identity });
  const pushHandoff = new BranchHandoff(async (branch) => {
    if (!origin) return false;
    try {
      await pushBranch(worktrees.pathFor(branch), branch);
      return true;
    } catch {
      return false;
    }
  });

  const githubRepo = () => {
    const fromCfg = cfg.tracker.repo;
    if (fromCfg) {
      const [owner, name] = fromCfg.split('/');
      return { owner: owner!, name: name! };
    }
    const parsed = origin ? parseGitHubRemote(origin) : null;
    if (!parsed) throw new ConfigError(`${file}: tracker.repo is not set and the origin remote (${origin ?? 'none'}) is not a GitHub URL; set tracker.repo: owner/name`);
    return parsed;
  };
  const github = async (apiUrl = cfg.tracker.api_url) => {
    const { createGitHubTracker } = await import('./tracker/github/tracker.js');
    const ghCfg = apiUrl === cfg.tracker.api_url ? cfg : { ...cfg, tracker: { ...cfg.tracker, api_url: apiUrl } };
    const { token } = await resolveGithubToken(ghCfg, ctx.env);
    secrets.push(token);
    const repo = githubRepo();
    // env + secrets: on a 401 the adapter reads the token source again and keeps (and masks) a new token.
    return { gh: createGitHubTracker({ config: ghCfg, token, repo, env: ctx.env, secrets }), slug: `${repo.owner}/${repo.name}` };
  };

  switch (cfg.tracker.kind) {
    case 'github': {
      const { gh, slug } = await github();
      return { tracker: gh, codeHost: gh, worktrees, repoSlug: slug, baseBranch, secrets };
    }
    case 'linear': {
      const { createLinearTracker } = await import('./tracker/linear/tracker.js');
      const apiKey = resolveLinearKey(cfg, ctx.env).token;
      secrets.push(apiKey);
      const tracker = createLinearTracker({ config: cfg, apiKey });
      await tracker.resolve();
      // PRs still live on GitHub; without a GitHub token (or with pr.auto_open off and a non-GitHub
      // remote) the handoff is the pushed branch.
      let codeHost: CodeHost = pushHandoff;
      const parsed = origin ? parseGitHubRemote(origin) : null; // SWARM_REPO stays owner/name-shaped
      let slug = parsed ? `${parsed.owner}/${parsed.name}` : basename(ctx.repoDir);
      try {
        // tracker.api_url is Linear's here: GitHub's API comes from GITHUB_API_URL or the origin's host.
        const { gh, slug: s } = await github(linearCodeHostApi(origin, ctx.env));
        codeHost = gh;
        slug = s;
      } catch (err) {
        if (cfg.pr.auto_open) {
          if (!(err instanceof ConfigError)) throw err;
          throw new ConfigError(`${err.message} — Linear mode finds and opens pull requests on GitHub (or set pr.auto_open: false in ${file} to hand off pushed branches without GitHub)`);
        }
        ctx.log(`no GitHub access for PR detection (${(err as Error).message}); handoff is the pushed branch`);
      }
      return { tracker, codeHost, worktrees, repoSlug: slug, baseBranch, secrets };
    }
    case 'local': {
      const tracker = new LocalTracker(resolve(ctx.repoDir, cfg.tracker.path), cfg);
      const parsed = origin ? parseGitHubRemote(origin) : null;
      return { tracker, codeHost: pushHandoff, worktrees, repoSlug: parsed ? `${parsed.owner}/${parsed.name}` : basename(ctx.repoDir), baseBranch, secrets };
    }
  }
}

/**
 * The GitHub REST API for PR detection in Linear mode: GITHUB_API_URL (set by GitHub Actions, and the
 * override for tests), else derived from a GitHub(-Enterprise) origin, else api.github.com.
 */
export function linearCodeHostApi(origin: string | null, env: Record<string, string | undefined>): string {
  const fromEnv = env.GITHUB_API_URL?.trim();
  if (fromEnv) return fromEnv;
  const host = origin ? parseGitHubRemote(origin)?.host : undefined;
  return !host || host === 'github.com' ? 'https://api.github.com' : `https://${host}/api/v3`;
}
