// `swarm doctor` for webhooks: the hook exists and is set up as swarm needs it, its last delivery's answer,
// and whether its secret matches. GitHub never shows a hook's secret again, so the only honest check is a
// delivery: with a daemon running here, doctor asks GitHub to ping the hook and reads the answer swarm's
// receiver gave (200: verified with webhooks.github_secret; 401: the signature did not match; anything else:
// the ping never reached swarm); without one it says it cannot be checked, unless a recent delivery was
// already refused with 401. Linear shows the secret to a workspace admin's key: compared directly.
import type { DoctorContext, CheckLine } from './types.js';
import { webhookUrl } from '../config/webhooks.js';
import { GITHUB_EVENTS } from '../webhooks/github-events.js';
import { LINEAR_RESOURCE_TYPES } from '../webhooks/linear-events.js';
import { githubHooksAccess, linearHooksAccess } from '../webhooks/access.js';
import type { HookDelivery, HookInfo } from '../tracker/github/hooks.js';

const pass = (name: string, detail: string, fix?: string): CheckLine => ({ ok: true, name, detail, fix });
const fail = (name: string, detail: string, fix?: string): CheckLine => ({ ok: false, name, detail, fix });
const SETUP = 'run `swarm webhooks setup`';

export interface WebhookDoctorContext extends DoctorContext {
  /** Whether a daemon is running in this repository (its receiver answers pings). */
  daemonRunning: boolean;
  /** The running daemon's last verified delivery per source, from its state record. */
  lastVerified?: { github: string | null; linear: string | null };
  /** How long to wait for GitHub to report the ping's delivery (default 15 s). */
  pingWaitMs?: number;
}

export async function checkWebhooks(ctx: WebhookDoctorContext): Promise<CheckLine[]> {
  const w = ctx.wf.config.webhooks;
  const out: CheckLine[] = [];
  if (w.github_secret === null && w.linear_secret === null) return out;
  if (w.public_url === null) return [fail('webhooks', 'webhooks.public_url is not set: swarm cannot set up or find its hooks', 'set webhooks.public_url to the https address GitHub/Linear reach this daemon at')];
  if (w.github_secret !== null) out.push(...(await github(ctx).catch((err: Error) => [fail('GitHub webhook', err.message.split('\n')[0]!)])));
  if (w.linear_secret !== null && ctx.wf.config.tracker.kind === 'linear') out.push(...(await linear(ctx).catch((err: Error) => [fail('Linear webhook', err.message.split('\n')[0]!)])));
  return out;
}

async function github(ctx: WebhookDoctorContext): Promise<CheckLine[]> {
  const url = webhookUrl(ctx.wf.config, 'github')!;
  const { slug, hooks } = await githubHooksAccess(ctx.wf, ctx.repoDir, ctx.env, ctx.timeoutMs);
  const hook = await hooks.find(url);
  if (!hook) return [fail('GitHub webhook', `${slug} has no webhook delivering to ${url}`, SETUP)];
  const out: CheckLine[] = [];
  const missing = GITHUB_EVENTS.filter((e) => !hook.events.includes(e) && !hook.events.includes('*'));
  const shape = [!hook.active && 'inactive', hook.contentType !== 'json' && `content type ${hook.contentType ?? 'form'} (swarm needs json)`, missing.length > 0 && `missing events ${missing.join(', ')}`].filter(Boolean);
  out.push(shape.length === 0 ? pass('GitHub webhook', `hook ${hook.id} of ${slug} → ${url}, active, json, every event swarm uses`) : fail('GitHub webhook', `hook ${hook.id} of ${slug}: ${shape.join('; ')}`, SETUP));
  out.push(lastResponse(hook));
  let recent: HookDelivery[] = [];
  try {
    recent = await hooks.deliveries(hook.id, 10);
  } catch {
    /* the secret check below says what it can without them */
  }
  out.push(ctx.daemonRunning ? await pingCheck(ctx, hooks, hook, url, recent) : secretWithoutDaemon(recent));
  return out;
}

function lastResponse(hook: HookInfo): CheckLine {
  const r = hook.lastResponse;
  if (r.code === null) return pass('GitHub last delivery', 'no delivery in the last 30 days');
  if (r.code >= 200 && r.code < 300) return pass('GitHub last delivery', `answered ${r.code}${r.message ? ` (${r.message})` : ''}`);
  if (r.code === 401) return fail('GitHub last delivery', 'answered 401: swarm refused its signature, so the hook\'s secret is not webhooks.github_secret', SETUP);
  return fail('GitHub last delivery', `answered ${r.code}${r.message ? `: ${r.message}` : ''}${r.status ? ` (${r.status})` : ''}: GitHub could not deliver to swarm`, 'check that webhooks.public_url reaches server.port (reverse proxy, tunnel) and that the daemon runs');
}

/** Ping the hook and read how swarm's receiver answered the ping's delivery. */
async function pingCheck(ctx: WebhookDoctorContext, hooks: import('../tracker/github/hooks.js').GitHubHooks, hook: HookInfo, url: string, before: HookDelivery[]): Promise<CheckLine> {
  const seen = new Set(before.map((d) => d.id));
  await hooks.ping(url);
  const deadline = Date.now() + (ctx.pingWaitMs ?? 15_000);
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const ping = (await hooks.deliveries(hook.id, 10).catch(() => [] as HookDelivery[])).find((d) => !seen.has(d.id) && d.event === 'ping');
    if (!ping) continue;
    if (ping.statusCode === 200) return pass('GitHub webhook secret', 'matches: a ping sent just now was verified by the running daemon (200)');
    if (ping.statusCode === 401) return fail('GitHub webhook secret', 'does not match: the running daemon refused the signature of a ping sent just now (401)', SETUP);
    return fail('GitHub webhook secret', `can't be checked: the ping sent just now did not reach swarm (${ping.statusCode || 'no answer'}${ping.status ? `, ${ping.status}` : ''})`, 'check that webhooks.public_url reaches server.port');
  }
  return fail('GitHub webhook secret', `can't be checked: GitHub reported no delivery of the ping within ${Math.round((ctx.pingWaitMs ?? 15_000) / 1000)} s`);
}

function secretWithoutDaemon(recent: HookDelivery[]): CheckLine {
  const answered = recent.find((d) => d.statusCode !== 0 && d.statusCode !== 502 && d.statusCode !== 504);
  if (answered?.statusCode === 401) return fail('GitHub webhook secret', `does not match: swarm refused the signature of the latest delivery (${answered.event}, 401)`, SETUP);
  const note = answered && answered.statusCode === 200 ? ` (the latest delivery swarm answered, ${answered.event}, was verified)` : '';
  return pass('GitHub webhook secret', `can't be checked without a running daemon: GitHub never shows a hook's secret${note}`, 'start the daemon and run `swarm doctor` again: it pings the hook and reads whether swarm verified it');
}

async function linear(ctx: WebhookDoctorContext): Promise<CheckLine[]> {
  const cfg = ctx.wf.config;
  const url = webhookUrl(cfg, 'linear')!;
  const hooks = await linearHooksAccess(ctx.wf, ctx.env, ctx.timeoutMs);
  const hook = await hooks.find(url);
  if (!hook) return [fail('Linear webhook', `no Linear webhook delivers to ${url}`, SETUP)];
  const missing = LINEAR_RESOURCE_TYPES.filter((t) => !hook.resourceTypes.includes(t));
  const shape = [!hook.enabled && 'disabled', missing.length > 0 && `missing resource types ${missing.join(', ')}`, hook.team !== null && cfg.tracker.team != null && hook.team.toUpperCase() !== cfg.tracker.team.toUpperCase() && `scoped to team ${hook.team}, not ${cfg.tracker.team}`].filter(Boolean);
  const out = [shape.length === 0 ? pass('Linear webhook', `${hook.id} → ${url}, enabled, ${hook.resourceTypes.join(', ')}`) : fail('Linear webhook', `${hook.id}: ${shape.join('; ')}`, SETUP)];
  if (hook.secret === null) out.push(pass('Linear webhook secret', "can't be checked: Linear did not show this key the webhook's secret"));
  else if (hook.secret === cfg.webhooks.linear_secret) out.push(pass('Linear webhook secret', 'matches webhooks.linear_secret'));
  else out.push(fail('Linear webhook secret', 'does not match webhooks.linear_secret: swarm will refuse every delivery (401)', SETUP));
  // Linear keeps no delivery history the API offers: what swarm's receiver recorded is the evidence.
  const last = ctx.lastVerified?.linear ?? null;
  out.push(pass('Linear last delivery', last ? `the running daemon last verified one at ${last}` : ctx.daemonRunning ? 'none verified since the daemon started' : "Linear's API shows no delivery history; start the daemon to see deliveries arrive"));
  return out;
}
