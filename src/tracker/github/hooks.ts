// The repository webhook swarm receives deliveries through: find it by its URL, create or update it
// (`swarm webhooks setup`), ping it (the daemon's keep-alive and doctor's secret check) and read its recent
// deliveries (doctor). Endpoints and shapes as the REST description defines them (github/rest-api-description
// in @octokit/openapi-types: repos/list-webhooks, repos/create-webhook, repos/update-webhook,
// repos/ping-webhook, repos/list-webhook-deliveries; schemas `hook`, `hook-response`, `hook-delivery-item`).
// Managing hooks needs admin access to the repository (classic tokens: `admin:repo_hook`; fine-grained:
// "Webhooks" read/write); without it GitHub answers 403 or 404, reported as 'forbidden'.
//
// GitHub never shows a hook's secret again (the config answers "********"), so "does the secret match" can
// only be learnt from a delivery: a ping whose answer from swarm's receiver is 200 (verified) or 401 (not).
import type { GitHubClient } from './client.js';
import { statusOf } from './errors.js';
import { obj } from '../../util/json.js';

export interface HookInfo {
  id: number;
  url: string;
  active: boolean;
  events: string[];
  contentType: string | null;
  /** The answer to the hook's latest delivery (null code when there was none within 30 days). */
  lastResponse: { code: number | null; status: string | null; message: string | null };
}

export interface HookDelivery {
  id: number;
  guid: string;
  deliveredAt: string;
  event: string;
  statusCode: number;
  status: string;
}

export class HooksForbidden extends Error {
  constructor(readonly status: number, what: string) {
    super(`GitHub refused ${what} (${status}): managing repository webhooks needs admin access (classic token: admin:repo_hook; fine-grained: Webhooks read and write)`);
    this.name = 'HooksForbidden';
  }
}

const strOr = (v: unknown, d: string | null): string | null => (typeof v === 'string' ? v : d);

function parseHook(raw: unknown): HookInfo | null {
  const h = obj(raw);
  const cfg = obj(h.config);
  if (typeof h.id !== 'number' || typeof cfg.url !== 'string') return null;
  const lr = obj(h.last_response);
  return {
    id: h.id,
    url: cfg.url,
    active: h.active === true,
    events: Array.isArray(h.events) ? h.events.filter((e): e is string => typeof e === 'string') : [],
    contentType: strOr(cfg.content_type, null),
    lastResponse: { code: typeof lr.code === 'number' ? lr.code : null, status: strOr(lr.status, null), message: strOr(lr.message, null) },
  };
}

export class GitHubHooks {
  private cachedId: { url: string; id: number } | null = null;

  constructor(
    private readonly gh: GitHubClient,
    private readonly repo: { owner: string; repo: string },
  ) {}

  /** The repository's hook that delivers to `url`, or null. */
  async find(url: string): Promise<HookInfo | null> {
    const hooks = await this.call('listing repository webhooks', () => this.gh.paginate('GET /repos/{owner}/{repo}/hooks', { ...this.repo, per_page: 100 }));
    const found = (hooks as unknown[]).map(parseHook).find((h) => h !== null && h.url === url) ?? null;
    this.cachedId = found ? { url, id: found.id } : null;
    return found;
  }

  /** Create the hook, or bring the one delivering to `url` in line (secret, JSON, events, active). */
  async ensure(url: string, secret: string, events: readonly string[]): Promise<{ hook: HookInfo; created: boolean }> {
    const config = { url, content_type: 'json', secret, insecure_ssl: '0' };
    const existing = await this.find(url);
    if (existing) {
      // "If you previously had a secret set, you must provide the same secret or set a new secret or the
      // secret will be removed" (repos/update-webhook): the secret is always sent.
      const res = await this.call('updating the repository webhook', () => this.gh.request('PATCH /repos/{owner}/{repo}/hooks/{hook_id}', { ...this.repo, hook_id: existing.id, active: true, events: [...events], config }));
      return { hook: parseHook(res.data) ?? existing, created: false };
    }
    const res = await this.call('creating the repository webhook', () =>
      this.gh.request('POST /repos/{owner}/{repo}/hooks', { ...this.repo, name: 'web', active: true, events: [...events], config, request: { retries: 0 } }),
    );
    const hook = parseHook(res.data);
    if (!hook) throw new Error('GitHub answered the webhook creation with an unexpected payload');
    this.cachedId = { url, id: hook.id };
    return { hook, created: true };
  }

  /** Ask GitHub to send the hook a ping. 'no_hook': there is no hook delivering to `url`. */
  async ping(url: string): Promise<'sent' | 'no_hook'> {
    for (let i = 0; i < 2; i++) {
      const id = this.cachedId?.url === url ? this.cachedId.id : (await this.find(url))?.id;
      if (id === undefined) return 'no_hook';
      try {
        await this.gh.request('POST /repos/{owner}/{repo}/hooks/{hook_id}/pings', { ...this.repo, hook_id: id });
        return 'sent';
      } catch (err) {
        if (statusOf(err) !== 404 || i > 0) throw this.mapped(err, 'pinging the repository webhook');
        this.cachedId = null; // deleted and maybe recreated under a new id: look it up again
      }
    }
    return 'no_hook';
  }

  /** The hook's most recent deliveries, newest first. */
  async deliveries(id: number, count = 10): Promise<HookDelivery[]> {
    const res = await this.call('reading webhook deliveries', () => this.gh.request('GET /repos/{owner}/{repo}/hooks/{hook_id}/deliveries', { ...this.repo, hook_id: id, per_page: count }));
    const list = Array.isArray(res.data) ? (res.data as unknown[]) : [];
    return list.map((raw) => {
      const d = obj(raw);
      return {
        id: typeof d.id === 'number' ? d.id : 0,
        guid: strOr(d.guid, '') ?? '',
        deliveredAt: strOr(d.delivered_at, '') ?? '',
        event: strOr(d.event, '') ?? '',
        statusCode: typeof d.status_code === 'number' ? d.status_code : 0,
        status: strOr(d.status, '') ?? '',
      };
    });
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.mapped(err, what);
    }
  }

  private mapped(err: unknown, what: string): Error {
    const status = statusOf(err);
    if (status === 403 || status === 404) return new HooksForbidden(status, what);
    return new Error(`${what} failed: ${(err as Error).message}`);
  }
}
