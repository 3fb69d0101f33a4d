// The Linear webhook swarm receives deliveries through: found by its URL, created for the team or brought in
// line (`swarm webhooks setup`), and read back for `swarm doctor`. Operations and fields as Linear's schema
// declares them (@linear/sdk 98's generated types: Query.webhooks, Mutation.webhookCreate(input:
// WebhookCreateInput {url, resourceTypes, secret, teamId, label, enabled}), Mutation.webhookUpdate(id, input:
// WebhookUpdateInput), type Webhook {id url enabled secret resourceTypes team}). Creating and listing
// webhooks needs a workspace admin's API key. Linear reports no delivery history through the API (the
// `failures` field is marked internal), so the last delivery is what swarm's own receiver recorded.
import type { LinearDocument as L } from '@linear/sdk';
import { createLinearTransport, type LinearTransport } from './transport.js';
import { LINEAR_DEFAULT_API_URL } from './tracker.js';
import * as Q from './queries.js';

export interface LinearHook {
  id: string;
  url: string;
  enabled: boolean;
  /** The signing secret, when Linear shows it to this key (null otherwise). */
  secret: string | null;
  resourceTypes: string[];
  team: string | null;
}

interface Vars {
  create: L.MutationWebhookCreateArgs;
  update: L.MutationWebhookUpdateArgs;
}

const WEBHOOKS_QUERY = `
query SwarmWebhooks($after: String) {
  webhooks(first: 50, after: $after) {
    nodes { id url enabled secret resourceTypes team { key } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const WEBHOOK_CREATE = `
mutation SwarmWebhookCreate($input: WebhookCreateInput!) {
  webhookCreate(input: $input) { success webhook { id url enabled secret resourceTypes team { key } } }
}`;

const WEBHOOK_UPDATE = `
mutation SwarmWebhookUpdate($id: String!, $input: WebhookUpdateInput!) {
  webhookUpdate(id: $id, input: $input) { success webhook { id url enabled secret resourceTypes team { key } } }
}`;

function parse(raw: unknown): LinearHook {
  const w = Q.obj(raw, 'webhook');
  const team = w.team === null || w.team === undefined ? null : Q.str(Q.obj(w.team, 'webhook.team').key, 'webhook.team.key');
  return {
    id: Q.str(w.id, 'webhook.id'),
    url: Q.optStr(w.url, 'webhook.url') ?? '',
    enabled: w.enabled === true,
    secret: Q.optStr(w.secret, 'webhook.secret'),
    resourceTypes: Array.isArray(w.resourceTypes) ? w.resourceTypes.filter((t): t is string => typeof t === 'string') : [],
    team,
  };
}

export class LinearWebhooks {
  private readonly api: LinearTransport;

  constructor(opts: { apiUrl: string | null; apiKey: string; timeoutMs?: number }) {
    this.api = createLinearTransport({ apiUrl: opts.apiUrl ?? LINEAR_DEFAULT_API_URL, apiKey: opts.apiKey, timeoutMs: opts.timeoutMs });
  }

  async find(url: string): Promise<LinearHook | null> {
    let after: string | null = null;
    for (let i = 0; i < Q.MAX_PAGES; i++) {
      const conn: unknown = (await this.api.request(WEBHOOKS_QUERY, { after })).webhooks;
      for (const n of Q.nodes(conn, 'webhooks')) {
        const hook = parse(n);
        if (hook.url === url) return hook;
      }
      const p = Q.pageInfo(conn, 'webhooks');
      if (!p.hasNextPage || !p.endCursor) break;
      after = p.endCursor;
    }
    return null;
  }

  /** Create the team's webhook to `url`, or bring the existing one in line (enabled, secret, resource types). */
  async ensure(url: string, secret: string, team: string, resourceTypes: readonly string[]): Promise<{ hook: LinearHook; created: boolean }> {
    const existing = await this.find(url);
    if (existing) {
      const data = await this.api.request(WEBHOOK_UPDATE, { id: existing.id, input: { url, secret, enabled: true, resourceTypes: [...resourceTypes], label: 'swarm' } } satisfies Vars['update']);
      const payload = Q.obj(data.webhookUpdate, 'webhookUpdate');
      if (payload.success !== true) throw new Error('Linear did not update the webhook');
      return { hook: parse(payload.webhook), created: false };
    }
    const data = await this.api.request(WEBHOOK_CREATE, { input: { url, secret, teamId: team, enabled: true, resourceTypes: [...resourceTypes], label: 'swarm' } } satisfies Vars['create']);
    const payload = Q.obj(data.webhookCreate, 'webhookCreate');
    if (payload.success !== true) throw new Error('Linear did not create the webhook');
    return { hook: parse(payload.webhook), created: true };
  }
}
