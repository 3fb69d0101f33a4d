// `swarm doctor` checks about the agent's side: that Claude Code has credentials to run with (a key or a
// token in the agent's environment, or a login in its configuration — read the way the CLI reads them,
// account/name.ts), that the CLI's version is the one swarm is tested with, and that `origin` is the
// repository swarm watches (agents push to origin; swarm looks for their PRs in tracker.repo).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { claudeConfigPaths, deriveAccount } from '../account/name.js';
import { originUrl, parseGitHubRemote } from '../workspace/git.js';
import type { CheckLine, DoctorContext } from './types.js';

/** The Claude Code version swarm is tested with (package.json pins it as a dev dependency). */
export function pinnedClaudeVersion(): string | null {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { devDependencies?: Record<string, string> };
    return pkg.devDependencies?.['@anthropic-ai/claude-code']?.replace(/^[\^~=]/, '') ?? null;
  } catch {
    return null;
  }
}

/** A line about the installed version against the pinned one (a note, never a failure). */
export function versionNote(found: string): string | undefined {
  const pinned = pinnedClaudeVersion();
  const have = /\d+\.\d+\.\d+/.exec(found)?.[0];
  if (!pinned || !have) return undefined;
  return have === pinned
    ? `the version swarm is tested with (${pinned})`
    : `swarm is tested with Claude Code ${pinned}; this is ${have} (npm install -g @anthropic-ai/claude-code@${pinned} to match; on Node 20 npm warns EBADENGINE, which is expected: the CLI is a native binary)`;
}

export function checkClaudeCredentials(ctx: DoctorContext): CheckLine {
  const env = { ...ctx.env, ...ctx.wf.config.agent.env };
  const found = deriveAccount({ configured: null, env });
  const { dir, files } = claudeConfigPaths(env);
  if (/^(ANTHROPIC_API_KEY|ANTHROPIC_AUTH_TOKEN|CLAUDE_CODE_OAUTH_TOKEN)$/.test(found.from)) {
    const where = ctx.wf.config.agent.env[found.from] !== undefined ? 'agent.env' : 'the environment';
    return { ok: true, name: 'Claude credentials', detail: `${found.from} in ${where}` };
  }
  if (found.from.startsWith('login in') || found.from.startsWith('API key stored in')) return { ok: true, name: 'Claude credentials', detail: found.from };
  const stored = dir !== null && existsSync(join(dir, '.credentials.json'));
  if (stored) return { ok: true, name: 'Claude credentials', detail: `login stored in ${join(dir!, '.credentials.json')}` };
  return {
    ok: false,
    name: 'Claude credentials',
    detail: `Claude Code has no credentials: no ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN in the environment or agent.env, and no login in ${[...files, ...(dir ? [join(dir, '.credentials.json')] : [])].join(', ') || 'a Claude config folder (HOME is not set)'}`,
    fix: ctx.wf.config.agent.sandbox.enabled
      ? 'run `claude setup-token` and set CLAUDE_CODE_OAUTH_TOKEN: $CLAUDE_CODE_OAUTH_TOKEN in agent.env, or ANTHROPIC_API_KEY (a /login session cannot be refreshed inside the agent sandbox)'
      : 'log in once as the user swarm runs as (`claude`, then /login), or set CLAUDE_CODE_OAUTH_TOKEN (from `claude setup-token`) or ANTHROPIC_API_KEY in the environment or agent.env',
  };
}

/** With tracker.repo set on GitHub: origin must be that repository (a null when there is nothing to compare). */
export async function checkOriginMatchesRepo(ctx: DoctorContext): Promise<CheckLine | null> {
  const tr = ctx.wf.config.tracker;
  if (tr.kind !== 'github' || !tr.repo) return null;
  const origin = await originUrl(ctx.repoDir).catch(() => null);
  if (!origin) return null; // the origin check already failed
  const ref = parseGitHubRemote(origin);
  // A mirror, a local path or a proxy: nothing to compare, so nothing to fail.
  if (!ref) return { ok: true, name: 'origin and tracker.repo', detail: `origin is not a GitHub URL; swarm watches ${tr.repo}`, fix: `make sure origin is ${tr.repo} (agents push their branches there)` };
  const slug = `${ref.owner}/${ref.name}`;
  if (slug.toLowerCase() === tr.repo.toLowerCase()) return { ok: true, name: 'origin and tracker.repo', detail: `origin is ${slug}, the repository swarm watches` };
  return {
    ok: false,
    name: 'origin and tracker.repo',
    detail: `origin is ${slug} but tracker.repo is ${tr.repo}: agents push their branches to origin while swarm looks for their pull requests in ${tr.repo}`,
    fix: `set tracker.repo: ${slug} (or remove it: it defaults to origin), or point origin at ${tr.repo}`,
  };
}
