// GitHub App authentication (tracker.app_id + tracker.private_key): swarm acts as the App's installation on
// the repository. @octokit/auth-app signs the App's JWT (RS256, `iat` 30 s in the past, `exp` 10 minutes
// later — what GitHub's "Generating a JSON Web Token (JWT) for a GitHub App" asks for) and exchanges it
// for an installation token at `POST /app/installations/{id}/access_tokens`. An installation token "will
// expire after 1 hour" (GitHub docs, "Generating an installation access token for a GitHub App"), so a new
// one is minted when less than REFRESH_MARGIN_MS is left (before any request would meet a 401), and again
// after a 401 all the same.
//
// The installation is `tracker.installation_id`, or found with `GET /repos/{owner}/{repo}/installation`
// (App JWT). The App's own account is `<slug>[bot]` (`GET /app` gives the slug): that is the author of
// swarm's comments, and the login the sticky status comment is matched by, since `GET /user` answers 403
// "Resource not accessible by integration" to an installation token.

import { Octokit } from '@octokit/rest';
import { createAppAuth } from '@octokit/auth-app';
import { AuthSourceError, REFRESH_MARGIN_MS, type GitHubAuth } from './auth.js';
import { API_VERSION } from './transport.js';

export interface AppAuthOptions {
  /** tracker.app_id: the App's numeric id (or its client id, which GitHub also accepts as `iss`). */
  appId: string;
  /** The App's private key, PEM (PKCS#1 as GitHub hands it out, or PKCS#8). */
  privateKey: string;
  /** tracker.installation_id; null: found from the repository. */
  installationId: number | null;
  repo: { owner: string; repo: string };
  apiUrl: string;
  /** The transport the App's own requests use (timeouts, redirects). Default: global fetch. */
  fetch?: typeof fetch;
  now?: () => number;
  onToken?: (token: string) => void;
}

export interface AppIdentity {
  slug: string;
  installationId: number;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

function statusOf(err: unknown): number | null {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : null;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/\s+-\s+https:\/\/docs\.github\.com\S*/g, '');
}

export class AppAuth implements GitHubAuth {
  private readonly app: InstanceType<typeof Octokit>;
  private readonly now: () => number;
  private identity: Promise<AppIdentity> | null = null;
  private current: { token: string; expiresAt: number } | null = null;
  private minting: Promise<string> | null = null;
  /** Installation tokens minted so far (for doctor and tests). */
  minted = 0;

  constructor(private readonly opts: AppAuthOptions) {
    this.now = opts.now ?? Date.now;
    const auth = { appId: opts.appId, privateKey: opts.privateKey, ...(opts.installationId !== null ? { installationId: opts.installationId } : {}) };
    this.app = new Octokit({ authStrategy: createAppAuth, auth, baseUrl: opts.apiUrl.replace(/\/+$/, ''), userAgent: 'swarm', log: silent, request: opts.fetch ? { fetch: opts.fetch } : {} });
    this.app.hook.before('request', (o) => {
      o.headers['x-github-api-version'] = API_VERSION;
    });
  }

  get describe(): string {
    const inst = this.opts.installationId !== null ? `installation ${this.opts.installationId}` : 'installation found from the repository';
    return `GitHub App ${this.opts.appId} (${inst})`;
  }

  /** The App's slug and the installation on this repository (read once; a failure is tried again next time). */
  whoami(): Promise<AppIdentity> {
    this.identity ??= this.readIdentity().catch((err: unknown) => {
      this.identity = null;
      throw err;
    });
    return this.identity;
  }

  async login(): Promise<string | null> {
    return `${(await this.whoami()).slug}[bot]`;
  }

  async token(): Promise<string> {
    const c = this.current;
    if (c && c.expiresAt - this.now() > REFRESH_MARGIN_MS) return c.token;
    return this.mint();
  }

  async renew(rejected: string): Promise<string | null> {
    const c = this.current;
    if (c && c.token !== rejected && c.expiresAt - this.now() > REFRESH_MARGIN_MS) return c.token;
    const next = await this.mint();
    return next !== rejected ? next : null;
  }

  private mint(): Promise<string> {
    this.minting ??= this.mintNow().finally(() => {
      this.minting = null;
    });
    return this.minting;
  }

  private async mintNow(): Promise<string> {
    const { installationId } = await this.whoami();
    let got: { token: string; expiresAt?: string };
    try {
      got = (await this.app.auth({ type: 'installation', installationId, refresh: true })) as { token: string; expiresAt?: string };
    } catch (err) {
      throw this.refused(err, `minting an installation token for installation ${installationId}`);
    }
    this.opts.onToken?.(got.token);
    const at = got.expiresAt ? Date.parse(got.expiresAt) : Number.NaN;
    this.current = { token: got.token, expiresAt: Number.isFinite(at) ? at : this.now() + 60 * 60_000 };
    this.minted++;
    return got.token;
  }

  private async readIdentity(): Promise<AppIdentity> {
    let slug: string;
    try {
      const res = await this.app.request('GET /app');
      slug = typeof res.data?.slug === 'string' ? res.data.slug : '';
    } catch (err) {
      throw this.refused(err, 'reading the App (GET /app)');
    }
    if (slug === '') throw new AuthSourceError('GitHub answered GET /app without the App\'s slug');
    if (this.opts.installationId !== null) return { slug, installationId: this.opts.installationId };
    const { owner, repo } = this.opts.repo;
    try {
      const res = await this.app.request('GET /repos/{owner}/{repo}/installation', { owner, repo });
      return { slug, installationId: Number(res.data.id) };
    } catch (err) {
      if (statusOf(err) === 404) {
        throw new AuthSourceError(`GitHub App ${slug} is not installed on ${owner}/${repo}: install it (the App's settings → Install App) or set tracker.installation_id`);
      }
      throw this.refused(err, `finding the App's installation on ${owner}/${repo}`);
    }
  }

  /** A refusal (4xx) as an auth problem; no answer or a 5xx stays what it is (unavailable, retried later). */
  private refused(err: unknown, what: string): Error {
    const status = statusOf(err);
    if (status === null || status >= 500) return err instanceof Error ? err : new Error(String(err));
    const fix = status === 401
      ? ': check tracker.app_id and that tracker.private_key is a current key of that App (the App\'s settings → Private keys)'
      : '';
    return new AuthSourceError(`GitHub refused ${what}${status !== null ? ` (${status})` : ''}: ${firstLine(err)}${fix}`);
  }
}
