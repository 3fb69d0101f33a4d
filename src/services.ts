// Builds the tracker, code host and worktrees a workflow asks for. The only place that knows which
// adapter goes with which `tracker.kind`; credentials come from src/config/credentials.ts.
import { basename, resolve } from 'node:path';
import type { Workflow } from './config/types.js';
import { rereadGithubToken, resolveGithubCredentials, resolveGithubToken, resolveLinearKey } from './config/credentials.js';
import { registerSecrets } from './util/secrets.js';
import type { Services } from './orchestrator/runtime.js';
import type { CodeHost } from './tracker/types.js';
import { BranchHandoff, LocalTracker } from './tracker/local/tracker.js';
import { Worktrees } from './workspace/worktree.js';
import { repoIdentity } from './workspace/repo-id.js';
import { resolveWorkspaceRoot } from './workspace/root.js';
import { originUrl, parseGitHubRemote, remoteHeadBranch } from './workspace/git.js';
import { registerRemoteToken } from './workspace/git-safety.js';
import { ConfigError } from './errors.js';
import { NO_FENCE } from './fleet/fence.js';
import { githubApiUrl, linearCodeHostApi } from './tracker/github/api-url.js';

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
  // The branch is the hand-off: swarm's publication step (publish.ts) has pushed it, scanned, when there
  // is an origin; nothing here pushes again.
  const pushHandoff = new BranchHandoff(async () => origin !== null);

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
  /** The GitHub repository's connection at `apiUrl`: credentials first (a missing token is the error to report), the repository once they are known. */
  const githubConnection = async (apiUrl: string) => {
    const auth = await githubAuth(cfg, apiUrl, githubRepo, ctx, secrets);
    // swarm publishes the agent's commits itself: its fetches and pushes to an https GitHub origin may use
    // the newest GitHub token (after the operator's own credential helpers), handed to those git calls only.
    const host = origin && /^https:\/\//i.test(origin) ? parseGitHubRemote(origin)?.host : undefined;
    if (host) registerRemoteToken(host, auth.latest);
    const repo = githubRepo();
    const { GitHubCodeHost } = await import('./tracker/github/code-host.js');
    const t = cfg.tracker;
    const codeHost = new GitHubCodeHost({
      api_url: apiUrl, repo, auth: auth.auth, throttle: t.throttle_writes, timeoutMs: t.request_timeout, token: () => auth.initial,
      requiredChecks: () => cfg.pr.followup_checks !== 'all',
    });
    return { auth, repo, codeHost, slug: `${repo.owner}/${repo.name}` };
  };

  switch (cfg.tracker.kind) {
    case 'github': {
      // The issues' tracker and the pull requests' code host share one connection (one auth, one rate budget).
      const { createGitHubTracker } = await import('./tracker/github/tracker.js');
      const { auth, repo, codeHost, slug } = await githubConnection(cfg.tracker.api_url ?? githubApiUrl(origin ? parseGitHubRemote(origin)?.host : undefined));
      const tracker = createGitHubTracker({ config: cfg, token: auth.initial, auth: auth.auth, repo, host: codeHost });
      return { tracker, codeHost, worktrees, repoSlug: slug, baseBranch, secrets, fence: NO_FENCE };
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
        const gh = await githubConnection(linearCodeHostApi(origin, ctx.env));
        codeHost = gh.codeHost;
        slug = gh.slug;
      } catch (err) {
        if (cfg.pr.auto_open) {
          if (!(err instanceof ConfigError)) throw err;
          throw new ConfigError(`${err.message} — Linear mode finds and opens pull requests on GitHub (or set pr.auto_open: false in ${file} to hand off pushed branches without GitHub)`);
        }
        ctx.log(`no GitHub access for PR detection (${(err as Error).message}); handoff is the pushed branch`);
      }
      return { tracker, codeHost, worktrees, repoSlug: slug, baseBranch, secrets, fence: NO_FENCE };
    }
    case 'local': {
      const tracker = new LocalTracker(resolve(ctx.repoDir, cfg.tracker.path), cfg);
      const parsed = origin ? parseGitHubRemote(origin) : null;
      return { tracker, codeHost: pushHandoff, worktrees, repoSlug: parsed ? `${parsed.owner}/${parsed.name}` : basename(ctx.repoDir), baseBranch, secrets, fence: NO_FENCE };
    }
  }
}

/**
 * How the GitHub code host (and tracker) authenticates at `apiUrl` (auth.ts): a GitHub App, tracker.token_command, or a token read in
 * the documented order and read again after a 401. Every token handed out is a secret from then on:
 * masked in every sink and kept out of the agent's environment (`secrets`).
 */
export async function githubAuth(cfg: Workflow['config'], apiUrl: string, repoOf: () => { owner: string; name: string }, ctx: Pick<ServiceContext, 'repoDir' | 'env'>, secrets: string[]) {
  const { staticAuth, commandAuth } = await import('./tracker/github/auth.js');
  const { tokenKind } = await import('./tracker/github/permissions.js');
  // The newest token any source handed out: what swarm's own pushes use (an App's token rotates hourly).
  let latest: string | null = null;
  const onToken = (t: string) => {
    latest = t;
    registerSecrets([t]);
    if (!secrets.includes(t)) secrets.push(t);
  };
  const current = () => latest;
  const creds = resolveGithubCredentials(cfg, ctx.repoDir, { secrets });
  // The token's source, asked about GitHub's host (`gh auth token --hostname`) rather than the tracker's API.
  const access = { tracker: { token: cfg.tracker.token ?? null, api_url: apiUrl } };
  if (creds.kind === 'app') {
    const { AppAuth } = await import('./tracker/github/app-auth.js');
    const repo = repoOf();
    const auth = new AppAuth({ appId: creds.appId, privateKey: creds.privateKey, installationId: creds.installationId, repo: { owner: repo.owner, repo: repo.name }, apiUrl, onToken });
    return { auth, initial: '', latest: current };
  }
  if (creds.kind === 'command') return { auth: commandAuth({ command: creds.command, cwd: ctx.repoDir, env: ctx.env, onToken }), initial: '', latest: current };
  const { token, source } = await resolveGithubToken(access, ctx.env, { secrets });
  const reread = (rejected: string) => rereadGithubToken(access, ctx.env, rejected, { secrets });
  return { auth: staticAuth(token, { describe: `GitHub token from ${source} (${tokenKind(token)})`, reread, onToken }), initial: token, latest: current };
}
