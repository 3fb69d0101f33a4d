// The fake Linear's webhooks: Query.webhooks, Mutation.webhookCreate / webhookUpdate, and deliveries — signed
// and sent as Linear sends them whenever an issue or comment of the fake changes. Sources:
// - Schema: @linear/sdk 98's generated types (Query.webhooks: WebhookConnection; webhookCreate(input:
//   WebhookCreateInput {url!, resourceTypes!, secret, teamId ("The identifier or key of the team"), label,
//   enabled, allPublicTeams, id}); webhookUpdate(id, input: WebhookUpdateInput {url, resourceTypes, secret,
//   label, enabled}); Webhook {id, url, enabled, secret ("Automatically generated if not provided during
//   creation"), resourceTypes, team, label, createdAt}; WebhookPayload {success, webhook, lastSyncId}).
// - Deliveries (linear.app/developers/webhooks): an HTTP POST with the JSON payload {action: create | update |
//   remove, type, data, url, createdAt, organizationId, webhookTimestamp (epoch ms), webhookId}; headers
//   Linear-Signature (hex HMAC-SHA256 of the raw body with the webhook's secret), Linear-Delivery (a unique
//   id), Linear-Event (the type); Linear expects a 200 within 5 s ("It will respond … with a HTTP 200").
//   The Issue data carries id, identifier, number, title, teamId/team, stateId/state, labelIds; a Comment's
//   carries id, body, issueId and issue {id, identifier, title} (payload examples in Linear's docs).
// Not verified: the User-Agent Linear sends, and that Linear refuses webhook mutations to non-admin keys
// with a FORBIDDEN error (the fake lets every key manage webhooks, as its viewer is the workspace admin).
import { createHmac, randomUUID } from 'node:crypto';
import { GqlError, type Schema } from './fake-graphql.js';
import type { FakeState, FIssue, FComment } from './fake-linear-schema.js';

export interface FakeLinearHook {
  id: string;
  url: string;
  enabled: boolean;
  secret: string;
  resourceTypes: string[];
  teamId: string | null;
  label: string | null;
  createdAt: string;
}

export interface FakeLinearDelivery {
  id: string;
  hook: string;
  type: string;
  action: string;
  body: string;
  headers: Record<string, string>;
  status: number;
  answer: string;
}

export interface FakeLinearWebhooksApi {
  readonly hooks: FakeLinearHook[];
  readonly deliveries: FakeLinearDelivery[];
  /** Deliver automatically when an issue or comment changes (default true; only to subscribed hooks). */
  auto: boolean;
  /** Send one event to every enabled hook subscribed to its type (and team), signed with its secret. */
  deliver(type: 'Issue' | 'Comment', action: 'create' | 'update' | 'remove', data: Record<string, unknown>): Promise<FakeLinearDelivery[]>;
  issueData(identifier: string): Record<string, unknown>;
  idle(): Promise<void>;
}

const invalid = (message: string) => new GqlError(message, { type: 'invalid input', code: 'INPUT_ERROR', userError: true });

export class FakeLinearWebhooks implements FakeLinearWebhooksApi {
  readonly hooks: FakeLinearHook[] = [];
  readonly deliveries: FakeLinearDelivery[] = [];
  auto = true;
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly s: FakeState) {}

  /** Add the webhook fields to the fake's schema, and deliver after the mutations that change issues. */
  extend(schema: Schema): void {
    const conn = { first: 'Int', after: 'String', last: 'Int', before: 'String', includeArchived: 'Boolean', orderBy: 'PaginationOrderBy' };
    schema.Webhook = {
      id: { type: 'String' }, url: { type: 'String' }, enabled: { type: 'Boolean' }, secret: { type: 'String' }, label: { type: 'String' },
      resourceTypes: { type: '[String]' }, createdAt: { type: 'DateTime' },
      team: { type: 'Team', resolve: (h: FakeLinearHook) => (h.teamId ? this.s.teams.find((t) => t.id === h.teamId) ?? null : null) },
    };
    schema.WebhookConnection = { nodes: { type: '[Webhook]' }, pageInfo: { type: 'PageInfo' } };
    schema.WebhookPayload = { success: { type: 'Boolean' }, lastSyncId: { type: 'Float' }, webhook: { type: 'Webhook' } };
    schema.Query!.webhooks = {
      type: 'WebhookConnection', args: conn,
      resolve: (_p, a) => {
        const start = a.after ? this.hooks.findIndex((h) => h.id === a.after) + 1 : 0;
        const page = this.hooks.slice(start, start + Math.min(a.first ?? 50, 50));
        return { nodes: page, pageInfo: { hasNextPage: start + page.length < this.hooks.length, hasPreviousPage: start > 0, endCursor: page.at(-1)?.id ?? null, startCursor: page[0]?.id ?? null } };
      },
    };
    schema.Mutation!.webhookCreate = {
      type: 'WebhookPayload', args: { input: 'WebhookCreateInput!' },
      resolve: (_p, a) => {
        const i = a.input ?? {};
        this.only(i, ['url', 'resourceTypes', 'secret', 'teamId', 'label', 'enabled', 'allPublicTeams', 'id'], 'WebhookCreateInput');
        if (typeof i.url !== 'string' || !/^https?:\/\//.test(i.url)) throw invalid('url must be a valid URL');
        if (!Array.isArray(i.resourceTypes) || i.resourceTypes.length === 0) throw invalid('resourceTypes must not be empty');
        const team = i.teamId ? this.s.teams.find((t) => t.id === i.teamId || t.key === i.teamId) : null;
        if (i.teamId && !team) throw new GqlError('Entity not found: Team', { type: 'invalid input', code: 'INPUT_ERROR', userError: true, userPresentableMessage: 'Could not find referenced Team.' });
        const hook: FakeLinearHook = {
          id: i.id ?? randomUUID(), url: i.url, enabled: i.enabled ?? true, secret: i.secret ?? `lin_wh_${randomUUID().replace(/-/g, '')}`,
          resourceTypes: [...i.resourceTypes], teamId: team?.id ?? null, label: i.label ?? null, createdAt: this.s.now(),
        };
        this.hooks.push(hook);
        return { success: true, webhook: hook, lastSyncId: 1 };
      },
    };
    schema.Mutation!.webhookUpdate = {
      type: 'WebhookPayload', args: { id: 'String!', input: 'WebhookUpdateInput!' },
      resolve: (_p, a) => {
        const hook = this.hooks.find((h) => h.id === a.id);
        if (!hook) throw new GqlError('Entity not found: Webhook', { type: 'invalid input', code: 'INPUT_ERROR', userError: true, userPresentableMessage: 'Could not find referenced Webhook.' });
        const i = a.input ?? {};
        this.only(i, ['url', 'resourceTypes', 'secret', 'label', 'enabled'], 'WebhookUpdateInput');
        if (typeof i.url === 'string') hook.url = i.url;
        if (Array.isArray(i.resourceTypes)) hook.resourceTypes = [...i.resourceTypes];
        if (typeof i.secret === 'string') hook.secret = i.secret;
        if (typeof i.label === 'string') hook.label = i.label;
        if (typeof i.enabled === 'boolean') hook.enabled = i.enabled;
        return { success: true, webhook: hook, lastSyncId: 1 };
      },
    };
    // Issue changes made through the API are delivered like any other change.
    for (const name of ['issueUpdate', 'issueAddLabel'] as const) {
      const def = schema.Mutation![name]!;
      const resolve = def.resolve!;
      def.resolve = (p, a) => {
        const out = resolve(p, a) as { issue?: FIssue };
        if (out.issue) this.changed('Issue', 'update', out.issue);
        return out;
      };
    }
    const comment = schema.Mutation!.commentCreate!;
    const create = comment.resolve!;
    comment.resolve = (p, a) => {
      const out = create(p, a) as { comment?: FComment };
      if (out.comment) this.changed('Comment', 'create', out.comment);
      return out;
    };
  }

  deliver(type: 'Issue' | 'Comment', action: 'create' | 'update' | 'remove', data: Record<string, unknown>): Promise<FakeLinearDelivery[]> {
    const teamId = typeof data.teamId === 'string' ? data.teamId : (data.issue as { teamId?: string } | undefined)?.teamId ?? null;
    const targets = this.hooks.filter((h) => h.enabled && h.resourceTypes.includes(type) && (h.teamId === null || teamId === null || h.teamId === teamId));
    return Promise.all(targets.map((h) => this.send(h, type, action, data)));
  }

  issueData(identifier: string): Record<string, unknown> {
    const i = this.s.issues.find((x) => x.identifier === identifier || x.id === identifier);
    if (!i) throw new Error(`fake-linear: no issue ${identifier}`);
    return this.issueJson(i);
  }

  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** An issue or comment changed (test API or mutation): deliver it when a hook wants it. */
  changed(type: 'Issue' | 'Comment', action: 'create' | 'update' | 'remove', entity: FIssue | FComment): void {
    if (!this.auto || !this.hooks.some((h) => h.enabled && h.resourceTypes.includes(type))) return;
    const data = type === 'Issue' ? this.issueJson(entity as FIssue) : this.commentJson(entity as FComment);
    const p = this.deliver(type, action, data);
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
  }

  private only(input: Record<string, unknown>, allowed: string[], typeName: string): void {
    for (const k of Object.keys(input)) if (!allowed.includes(k)) throw new GqlError(`Field "${k}" is not defined by type "${typeName}".`, { type: 'graphql error', code: 'BAD_USER_INPUT' });
  }

  private issueJson(i: FIssue): Record<string, unknown> {
    const team = this.s.teams.find((t) => t.id === i.teamId)!;
    const state = team.states.find((x) => x.id === i.stateId)!;
    return {
      id: i.id, identifier: i.identifier, number: i.number, title: i.title, description: i.description, priority: i.priority, url: i.url,
      createdAt: i.createdAt, updatedAt: i.updatedAt, teamId: team.id, team: { id: team.id, key: team.key, name: team.name },
      stateId: state.id, state: { id: state.id, name: state.name, type: state.type }, labelIds: [...i.labelIds],
      labels: i.labelIds.map((id) => ({ id, name: this.s.labels.find((l) => l.id === id)?.name ?? '' })),
    };
  }

  private commentJson(c: FComment): Record<string, unknown> {
    const issue = this.s.issues.find((i) => i.id === c.issueId);
    return { id: c.id, body: c.body, issueId: c.issueId, userId: c.userId, createdAt: c.createdAt, updatedAt: c.updatedAt, issue: issue ? { id: issue.id, identifier: issue.identifier, title: issue.title, teamId: issue.teamId } : null };
  }

  private async send(h: FakeLinearHook, type: string, action: string, data: Record<string, unknown>): Promise<FakeLinearDelivery> {
    const payload = {
      action, type, data, url: typeof data.url === 'string' ? data.url : `https://linear.app/acme/${type.toLowerCase()}/${String(data.id)}`,
      createdAt: new Date().toISOString(), organizationId: 'fake-org', webhookTimestamp: Date.now(), webhookId: h.id,
    };
    const body = JSON.stringify(payload);
    const id = randomUUID();
    const headers = {
      'content-type': 'application/json; charset=utf-8',
      'linear-delivery': id,
      'linear-event': type,
      'linear-signature': createHmac('sha256', h.secret).update(body).digest('hex'),
      'user-agent': 'Linear-Webhook',
    };
    const d: FakeLinearDelivery = { id, hook: h.id, type, action, body, headers, status: 0, answer: '' };
    this.deliveries.push(d);
    try {
      const res = await fetch(h.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(5_000) });
      d.status = res.status;
      d.answer = await res.text();
    } catch (err) {
      d.answer = String((err as Error).message);
    }
    return d;
  }
}
