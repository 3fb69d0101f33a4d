// `swarm webhooks setup`: create or update the webhooks that deliver to this daemon — the repository
// webhook on GitHub (webhooks.github_secret set) and the team's webhook on Linear (webhooks.linear_secret
// set, Linear tracker) — pointing at webhooks.public_url + /webhooks/github|linear. Idempotent: a hook is
// found by its URL and updated in place (secret, JSON, events, enabled), never duplicated.
import { join, resolve } from 'node:path';
import { loadWorkflow } from '../config/workflow.js';
import { webhookUrl } from '../config/webhooks.js';
import { GITHUB_EVENTS } from '../webhooks/github-events.js';
import { LINEAR_RESOURCE_TYPES } from '../webhooks/linear-events.js';
import { githubHooksAccess, linearHooksAccess } from '../webhooks/access.js';
import { UsageError } from '../errors.js';
import { findRepoRoot, type IO } from './common.js';

export async function webhooksSetupCommand(opts: { workflow?: string }, io: IO): Promise<number> {
  const repoDir = findRepoRoot(io.cwd);
  const wf = loadWorkflow(resolve(io.cwd, opts.workflow ?? join(repoDir, 'WORKFLOW.md')), io.env);
  const w = wf.config.webhooks;
  if (w.github_secret === null && w.linear_secret === null) {
    throw new UsageError(`${wf.path}: set webhooks.github_secret (and/or webhooks.linear_secret for a Linear tracker), e.g. github_secret: $SWARM_WEBHOOK_SECRET, then run \`swarm webhooks setup\` again`);
  }
  if (w.public_url === null) {
    throw new UsageError(`${wf.path}: webhooks.public_url is not set: give the https address GitHub${w.linear_secret ? ' and Linear' : ''} can reach this daemon at (a reverse proxy or tunnel in front of server.port), e.g. public_url: https://swarm.example.com`);
  }
  let failed = 0;
  if (w.github_secret !== null) {
    const url = webhookUrl(wf.config, 'github')!;
    try {
      const { slug, hooks } = await githubHooksAccess(wf, repoDir, io.env);
      const { hook, created } = await hooks.ensure(url, w.github_secret, GITHUB_EVENTS);
      io.stdout.write(`GitHub: ${created ? 'created' : 'updated'} the webhook ${hook.id} of ${slug} → ${url}\n`);
      io.stdout.write(`  events: ${GITHUB_EVENTS.join(', ')}; content type json; secret from webhooks.github_secret\n`);
      io.stdout.write(created ? '  GitHub sends it a ping now; `swarm doctor` shows whether swarm verified it\n' : '  `swarm doctor` pings it and shows whether swarm verifies it\n');
    } catch (err) {
      failed++;
      io.stderr.write(`swarm: GitHub webhook not set up: ${(err as Error).message}\n`);
    }
  }
  if (w.linear_secret !== null) {
    const url = webhookUrl(wf.config, 'linear')!;
    if (wf.config.tracker.kind !== 'linear' || wf.config.tracker.team === null) {
      io.stdout.write(`Linear: skipped: webhooks.linear_secret is set but tracker.kind is ${wf.config.tracker.kind}, not linear\n`);
    } else {
      try {
        const linear = await linearHooksAccess(wf, io.env);
        const { hook, created } = await linear.ensure(url, w.linear_secret, wf.config.tracker.team, LINEAR_RESOURCE_TYPES);
        io.stdout.write(`Linear: ${created ? 'created' : 'updated'} the webhook ${hook.id} of team ${wf.config.tracker.team} → ${url}\n`);
        io.stdout.write(`  resource types: ${LINEAR_RESOURCE_TYPES.join(', ')}; secret from webhooks.linear_secret\n`);
      } catch (err) {
        failed++;
        io.stderr.write(`swarm: Linear webhook not set up: ${(err as Error).message}\n`);
      }
    }
  }
  return failed === 0 ? 0 : 1;
}
