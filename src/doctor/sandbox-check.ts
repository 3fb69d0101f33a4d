// `swarm doctor`: can the agent's sandbox run here, and will the agent's Claude login keep working inside it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckLine, DoctorContext } from './types.js';
import { AgentSandbox, SANDBOX_FIX } from '../agent/sandbox.js';
import { hostsFor } from '../containment/containment.js';

const LOGIN_VARS = ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN'];

export async function checkSandbox(ctx: DoctorContext): Promise<CheckLine[]> {
  const cfg = ctx.wf.config.agent;
  if (!cfg.sandbox.enabled) {
    return [{ ok: true, name: 'agent sandbox', detail: 'off (agent.sandbox: off): agents run unconfined, with your files, logins and network', fix: 'remove agent.sandbox: off to contain them' }];
  }
  const hosts = hostsFor(ctx.wf.config, ctx.env);
  let sandbox: AgentSandbox | null = null;
  try {
    sandbox = await AgentSandbox.start(hosts);
  } catch (err) {
    return [{ ok: false, name: 'agent sandbox', detail: `on, but it cannot run here: ${(err as Error).message}`, fix: SANDBOX_FIX }];
  } finally {
    await sandbox?.close();
  }
  const out: CheckLine[] = [{ ok: true, name: 'agent sandbox', detail: `works; the agent may reach ${hosts.join(', ')}` }];
  // A login made with /login is refreshed by Claude Code, which must then save it: the sandbox keeps the
  // Claude folder read-only (an agent must not plant settings there), so such a login dies unattended.
  const env = (name: string) => cfg.env[name] ?? ctx.env[name];
  const configDir = env('CLAUDE_CONFIG_DIR') || join(ctx.env.HOME ?? '', '.claude');
  if (!LOGIN_VARS.some((v) => env(v)) && existsSync(join(configDir, '.credentials.json'))) {
    out.push({ ok: false, name: 'agent login', detail: `the agent would use the /login session in ${configDir}, which Claude Code cannot refresh from inside the sandbox (its folder is read-only there)`, fix: 'run `claude setup-token` and set CLAUDE_CODE_OAUTH_TOKEN: $CLAUDE_CODE_OAUTH_TOKEN in agent.env (or use ANTHROPIC_API_KEY)' });
  }
  return out;
}
