// The fake GitHub's repository webhooks: hooks CRUD, pings, the deliveries list, and the deliveries
// themselves — signed and sent as GitHub sends them whenever the fake's state changes the way a subscribed
// event reports. Sources, each checked:
// - Endpoints, parameters and shapes: the REST description (github/rest-api-description in
//   @octokit/openapi-types 29: repos/list-webhooks, create-webhook, get-webhook, update-webhook,
//   ping-webhook (204), list-webhook-deliveries; schemas `hook`, `hook-response`, `hook-delivery-item`).
//   update-webhook: "If you previously had a `secret` set, you must provide the same `secret` or set a new
//   `secret` or the secret will be removed." Only admins manage hooks ("The authenticated user must be a
//   repository owner, or have admin access"): anyone else gets 404, the one error the description lists.
// - Delivery headers: X-GitHub-Event, X-GitHub-Delivery (a GUID), X-GitHub-Hook-ID, X-Hub-Signature-256 =
//   "sha256=" + hex HMAC-SHA256 of the body with the hook's secret (sent only when there is a secret),
//   X-Hub-Signature (SHA-1, legacy), User-Agent "GitHub-Hookshot/…" ("Webhook events and payloads",
//   delivery headers; "Validating webhook deliveries"). content_type json → the JSON body as is.
// - A ping is sent when a hook is created and on POST …/pings ("Webhook events and payloads", ping).
// - Payloads: `webhook-issues-labeled`, `webhook-issue-comment-created`, `webhook-check-run-completed`,
//   `webhook-status`, `webhook-pull-request-closed`, … in the same REST description (action, the object,
//   repository, sender; check_run.pull_requests lists the open PRs of this repository with that head).
// Not verified (the docs do not say): the exact `status` text and `last_response` of a failed delivery
// ("Invalid HTTP Response: <code>" here), and that GitHub answers 422 for a second hook with the same URL
// and overlapping events (the description says such hooks must not share a config; the message is a guess).
import { createHmac, randomUUID } from 'node:crypto';
import type { FakeChecks } from './fake-github-checks.js';
import type { FakeGitHubState } from './fake-github-state.js';
import { HookEvents } from './fake-github-hook-events.js';

export interface FakeHook {
  id: number;
  active: boolean;
  events: string[];
  config: { url: string; content_type: string; secret: string | null; insecure_ssl: string };
  created_at: string;
  updated_at: string;
  last_response: { code: number | null; status: string; message: string | null };
}

export interface FakeHookDelivery {
  id: number;
  guid: string;
  hook: number;
  event: string;
  action: string | null;
  delivered_at: string;
  /** The receiver's HTTP status (0: no answer). */
  status_code: number;
  status: string;
  /** What was sent (for assertions). */
  body: string;
  headers: Record<string, string>;
  /** The receiver's answer body. */
  answer: string;
}

export interface FakeWebhooks {
  readonly hooks: FakeHook[];
  readonly deliveries: FakeHookDelivery[];
  /** Register a hook as an admin would in the web UI (no ping is sent). Returns its id. */
  add(input: { url: string; secret?: string | null; events?: string[]; active?: boolean; content_type?: string }): number;
  /** Send `event` with `payload` to every active hook subscribed to it, signed with its secret. */
  deliver(event: string, payload: Record<string, unknown>): Promise<FakeHookDelivery[]>;
  /** Resolves once every delivery started so far has been answered. */
  idle(): Promise<void>;
  /** Deliver automatically when the fake's state changes (default true; only hooks subscribed get them). */
  auto: boolean;
  payload: {
    issues(n: number, action: string, opts?: { label?: string; sender?: string }): Record<string, unknown>;
    checkRun(runId: number, action?: string): Promise<Record<string, unknown>>;
  };
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
const notFound = (): Reply => ({ status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } });
const invalid = (message: string): Reply => ({ status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'Hook', code: 'custom', message }], documentation_url: 'https://docs.github.com/rest' } });
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

export class FakeHooks implements FakeWebhooks {
  readonly hooks: FakeHook[] = [];
  readonly deliveries: FakeHookDelivery[] = [];
  auto = true;
  private readonly inflight = new Set<Promise<unknown>>();
  private nextId = 400_000;

  /** What GitHub would deliver for each change of the fake's state (fake-github-hook-events.ts). */
  private readonly events: HookEvents;

  constructor(
    private readonly s: FakeGitHubState,
    checks: FakeChecks,
  ) {
    this.events = new HookEvents(s, checks, (event, make) => this.auto_(event, make));
  }

  get payload(): FakeWebhooks['payload'] {
    return this.events.payload;
  }

  /** issues.edited (the test API edits an issue in place). */
  edited(n: number): void {
    this.events.edited(n);
  }

  /** pull_request.synchronize: new commits on the PR's head branch. */
  synchronized(n: number, sender: string): void {
    this.events.synchronized(n, sender);
  }

  add(input: { url: string; secret?: string | null; events?: string[]; active?: boolean; content_type?: string }): number {
    return this.create(input).id;
  }

  deliver(event: string, payload: Record<string, unknown>): Promise<FakeHookDelivery[]> {
    const targets = this.hooks.filter((h) => h.active && (h.events.includes(event) || h.events.includes('*')));
    return Promise.all(targets.map((h) => this.send(h, event, payload)));
  }

  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Answers the hook routes, or null when the path is not one of them. */
  route(method: string, pathname: string, query: URLSearchParams, body: unknown): Reply | null {
    const m = /^\/repos\/[^/]+\/[^/]+\/hooks(?:\/(\d+))?(\/pings|\/deliveries)?$/.exec(pathname);
    if (!m) return null;
    if (this.s.permissionOf(this.s.tokenUser) !== 'admin') return notFound();
    const hook = m[1] !== undefined ? this.hooks.find((h) => h.id === Number(m[1])) : undefined;
    if (m[1] !== undefined && !hook) return notFound();
    const sub = m[2];
    if (!hook && !sub) {
      if (method === 'GET') return { status: 200, body: this.hooks.map((h) => this.hookJson(h)) };
      if (method === 'POST') {
        const b = obj(body);
        const cfg = obj(b.config);
        if (typeof cfg.url !== 'string' || cfg.url === '') return invalid('Config must contain URL for webhooks');
        if (b.name !== undefined && b.name !== 'web') return invalid('Name must be web');
        const events = Array.isArray(b.events) ? b.events.filter((e): e is string => typeof e === 'string') : ['push'];
        if (this.hooks.some((h) => h.config.url === cfg.url && h.events.some((e) => events.includes(e)))) return invalid('Hook already exists on this repository');
        const h = this.create({ url: cfg.url, secret: typeof cfg.secret === 'string' ? cfg.secret : null, events, active: b.active !== false, content_type: typeof cfg.content_type === 'string' ? cfg.content_type : 'form' });
        this.track(this.send(h, 'ping', this.pingPayload(h)));
        return { status: 201, body: this.hookJson(h), headers: { location: `${this.s.apiBase}/repos/${this.s.fullName}/hooks/${h.id}` } };
      }
      return notFound();
    }
    if (!hook) return notFound();
    if (!sub) {
      if (method === 'GET') return { status: 200, body: this.hookJson(hook) };
      if (method === 'DELETE') {
        this.hooks.splice(this.hooks.indexOf(hook), 1);
        return { status: 204 };
      }
      if (method === 'PATCH') {
        const b = obj(body);
        const cfg = obj(b.config);
        if (b.config !== undefined) {
          if (typeof cfg.url === 'string' && cfg.url !== '') hook.config.url = cfg.url;
          if (typeof cfg.content_type === 'string') hook.config.content_type = cfg.content_type;
          if (typeof cfg.insecure_ssl === 'string') hook.config.insecure_ssl = cfg.insecure_ssl;
          hook.config.secret = typeof cfg.secret === 'string' && cfg.secret !== '' ? cfg.secret : null; // not sent: removed
        }
        if (Array.isArray(b.events)) hook.events = b.events.filter((e): e is string => typeof e === 'string');
        if (typeof b.active === 'boolean') hook.active = b.active;
        hook.updated_at = this.s.tick();
        return { status: 200, body: this.hookJson(hook) };
      }
      return notFound();
    }
    if (sub === '/pings' && method === 'POST') {
      this.track(this.send(hook, 'ping', this.pingPayload(hook)));
      return { status: 204 };
    }
    if (sub === '/deliveries' && method === 'GET') {
      const perPage = Math.min(100, Math.max(1, Number(query.get('per_page') ?? 30) || 30));
      const list = this.deliveries.filter((d) => d.hook === hook.id).reverse().slice(0, perPage);
      return { status: 200, body: list.map((d) => this.deliveryJson(d)) };
    }
    return notFound();
  }

  // --- internals ------------------------------------------------------------------------------------

  private create(input: { url: string; secret?: string | null; events?: string[]; active?: boolean; content_type?: string }): FakeHook {
    const now = this.s.tick();
    const h: FakeHook = {
      id: this.nextId++, active: input.active ?? true, events: input.events ?? ['push'],
      config: { url: input.url, content_type: input.content_type ?? 'json', secret: input.secret ?? null, insecure_ssl: '0' },
      created_at: now, updated_at: now, last_response: { code: null, status: 'unused', message: null },
    };
    this.hooks.push(h);
    return h;
  }

  private hookJson(h: FakeHook) {
    const url = `${this.s.apiBase}/repos/${this.s.fullName}/hooks/${h.id}`;
    // The secret is never shown again: the REST description's examples render it "********".
    const config = { url: h.config.url, content_type: h.config.content_type, insecure_ssl: h.config.insecure_ssl, ...(h.config.secret !== null ? { secret: '********' } : {}) };
    return {
      type: 'Repository', id: h.id, name: 'web', active: h.active, events: h.events, config, updated_at: h.updated_at, created_at: h.created_at,
      url, test_url: `${url}/test`, ping_url: `${url}/pings`, deliveries_url: `${url}/deliveries`, last_response: h.last_response,
    };
  }

  private deliveryJson(d: FakeHookDelivery) {
    return {
      id: d.id, guid: d.guid, delivered_at: d.delivered_at, redelivery: false, duration: 0.01, status: d.status, status_code: d.status_code,
      event: d.event, action: d.action, installation_id: null, repository_id: this.s.repoId, throttled_at: null,
    };
  }

  private pingPayload(h: FakeHook) {
    return { zen: 'Keep it logically awesome.', hook_id: h.id, hook: this.hookJson(h), repository: this.events.repositoryJson(), sender: this.s.userJson(this.s.defaultUser) };
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  private auto_(event: string, make: () => Record<string, unknown> | Promise<Record<string, unknown>>): void {
    if (!this.auto || !this.hooks.some((h) => h.active && (h.events.includes(event) || h.events.includes('*')))) return;
    this.track((async () => this.deliver(event, await make()))());
  }

  /** One delivery, as GitHub makes it: JSON body, headers, signatures with the hook's secret; the answer recorded. */
  private async send(h: FakeHook, event: string, payload: Record<string, unknown>): Promise<FakeHookDelivery> {
    const body = JSON.stringify(payload);
    const guid = randomUUID();
    const headers: Record<string, string> = {
      'content-type': h.config.content_type === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
      'user-agent': 'GitHub-Hookshot/fake',
      'x-github-event': event,
      'x-github-delivery': guid,
      'x-github-hook-id': String(h.id),
      'x-github-hook-installation-target-type': 'repository',
      'x-github-hook-installation-target-id': String(this.s.repoId),
    };
    const sent = h.config.content_type === 'json' ? body : `payload=${encodeURIComponent(body)}`;
    if (h.config.secret !== null) {
      headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', h.config.secret).update(sent).digest('hex')}`;
      headers['x-hub-signature'] = `sha1=${createHmac('sha1', h.config.secret).update(sent).digest('hex')}`;
    }
    const d: FakeHookDelivery = {
      id: this.nextId++, guid, hook: h.id, event, action: typeof payload.action === 'string' ? payload.action : null,
      delivered_at: new Date().toISOString(), status_code: 0, status: 'pending', body: sent, headers, answer: '',
    };
    this.deliveries.push(d);
    try {
      const res = await fetch(h.config.url, { method: 'POST', headers, body: sent, signal: AbortSignal.timeout(10_000) });
      d.status_code = res.status;
      d.answer = await res.text();
      d.status = res.ok ? 'OK' : `Invalid HTTP Response: ${res.status}`;
    } catch (err) {
      // The REST description's example of a delivery that could not connect: status "failed to connect", 502.
      d.status_code = 502;
      d.status = 'failed to connect';
      d.answer = String((err as Error).message);
    }
    h.last_response = { code: d.status_code, status: 'active', message: d.status };
    return d;
  }
}
