// Who may call the fake GitHub, and what with, as strict as GitHub:
//   - classic tokens (the default): everything the token user may do;
//   - fine-grained personal access tokens (`grant(token, permissions)`): each endpoint needs the permission
//     GitHub's "Permissions required for fine-grained personal access tokens" page lists for it; without it
//     the answer is 403 "Resource not accessible by personal access token" with X-Accepted-GitHub-Permissions
//     naming what would do (sets separated by ";": GitHub changelog 2023-08-10). Reads of a public
//     repository need no permission ("This endpoint can be used without authentication or the aforementioned
//     permissions if only public resources are requested", on every such endpoint's page); writes always do.
//     A fine-grained token cannot hold Checks at all (community discussion #179545; sortie-ai/sortie#765;
//     github/rest-api-description#4290: "Checks" is not one of the options when creating the token).
//     Writes are gated by the token's grants, not by the user's role: GET /repos/{o}/{r} still answers
//     `permissions.push: true` for a writer whose token may only read issues (the repository's `permissions`
//     are the authenticated user's; a fine-grained token's access is what both the user and the token allow);
//   - a GitHub App: requests signed with the App's JWT (RS256 against the App's public key; `iat` not in the
//     future, `exp` in the future and at most 10 minutes ahead — GitHub docs, "Generating a JSON Web Token
//     (JWT) for a GitHub App"; the error texts are GitHub's, as @octokit/auth-app matches them) may read
//     GET /app and GET /repos/{o}/{r}/installation and mint installation tokens with
//     POST /app/installations/{id}/access_tokens; an installation token "will expire after 1 hour" (GitHub
//     docs, "Generating an installation access token for a GitHub App"), then answers 401 "Bad credentials";
//     it is gated by the App's permissions ("Resource not accessible by integration"), and GET /user answers
//     it 403 (actions/create-github-app-token#258).

import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';

export type Level = 'read' | 'write';
export type Grants = Partial<Record<'actions' | 'checks' | 'contents' | 'issues' | 'metadata' | 'pull_requests' | 'statuses' | 'administration', Level>>;

export interface FakeAppOptions {
  id: number;
  slug: string;
  installationId: number;
  /** The App's public key (PEM): JWTs must verify against it. */
  publicKey: string;
  /** The installation's permissions. Default: issues, pull_requests, contents write; checks, statuses, actions, metadata read. */
  permissions?: Grants;
  /** Installation token lifetime in seconds. Default 3600 (GitHub's hour). */
  tokenTtlSec?: number;
}

export type Caller =
  | { kind: 'token'; token: string }
  | { kind: 'fine-grained'; token: string; grants: Grants }
  | { kind: 'installation'; token: string; grants: Grants }
  | { kind: 'jwt'; appId: number };

export interface Refusal {
  status: number;
  body: { message: string; documentation_url: string };
  headers?: Record<string, string>;
}

const DOCS = 'https://docs.github.com/rest';
const DEFAULT_APP_PERMISSIONS: Grants = { issues: 'write', pull_requests: 'write', contents: 'write', checks: 'read', statuses: 'read', actions: 'read', metadata: 'read' };

/** An endpoint's permission needs: alternatives, the first being GitHub's first choice. */
type Need = { name: keyof Grants; level: Level }[];
const R = (name: keyof Grants): Need => [{ name, level: 'read' }];
const W = (name: keyof Grants): Need => [{ name, level: 'write' }];

// From "Permissions required for fine-grained personal access tokens" (REST docs): the issue and label
// endpoints take Issues or Pull requests (an issue number may be a pull request); PR endpoints Pull requests;
// commits Contents; check runs Checks; statuses Commit statuses; Actions Actions; the repository itself,
// collaborator permissions and branch rules Metadata; a branch (with its protection summary) Contents.
const TABLE: [string, RegExp, Need][] = [
  ['GET', /^\/repos\/[^/]+\/[^/]+$/, R('metadata')],
  ['GET', /^\/repos\/[^/]+\/[^/]+\/(?:issues|labels)(?:\/.*)?$/, [...R('issues'), ...R('pull_requests')]],
  ['POST', /^\/repos\/[^/]+\/[^/]+\/(?:issues|labels)(?:\/.*)?$/, [...W('issues'), ...W('pull_requests')]],
  ['PATCH', /^\/repos\/[^/]+\/[^/]+\/(?:issues|labels)(?:\/.*)?$/, [...W('issues'), ...W('pull_requests')]],
  ['DELETE', /^\/repos\/[^/]+\/[^/]+\/(?:issues|labels)(?:\/.*)?$/, [...W('issues'), ...W('pull_requests')]],
  ['GET', /^\/repos\/[^/]+\/[^/]+\/pulls(?:\/.*)?$/, R('pull_requests')],
  ['POST', /^\/repos\/[^/]+\/[^/]+\/pulls(?:\/.*)?$/, W('pull_requests')],
  // "Merge a pull request": Contents: write (fine-grained token permissions table).
  ['PUT', /^\/repos\/[^/]+\/[^/]+\/pulls\/\d+\/merge$/, W('contents')],
  ['GET', /^\/repos\/[^/]+\/[^/]+\/commits\/[^/]+\/check-runs$/, R('checks')],
  ['GET', /^\/repos\/[^/]+\/[^/]+\/check-runs\/.*$/, R('checks')],
  ['GET', /^\/repos\/[^/]+\/[^/]+\/commits\/[^/]+\/status$/, R('statuses')],
  ['GET', /^\/repos\/[^/]+\/[^/]+\/commits\/[^/]+$/, R('contents')],
  ['GET', /^\/repos\/[^/]+\/[^/]+\/actions\/.*$/, R('actions')],
  ['GET', /^\/repos\/[^/]+\/[^/]+\/collaborators\/[^/]+\/permission$/, R('metadata')],
  ['GET', /^\/repos\/[^/]+\/[^/]+\/branches\/.*$/, R('contents')],
  ['GET', /^\/repos\/[^/]+\/[^/]+\/rules\/branches\/.*$/, R('metadata')],
];

const RANK: Record<Level, number> = { read: 1, write: 2 };

export function needsOf(method: string, pathname: string): Need | null {
  for (const [m, re, need] of TABLE) if (m === method && re.test(pathname)) return need;
  return null;
}

function has(grants: Grants, need: Need): boolean {
  return need.some((n) => {
    const g = grants[n.name];
    return g !== undefined && RANK[g] >= RANK[n.level];
  });
}

function b64json(part: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export class FakeAuth {
  private tokens: string[];
  private readonly grants = new Map<string, Grants>();
  private readonly installationTokens = new Map<string, { expiresAt: number }>();
  private readonly appKey: KeyObject | null;
  /** Installation tokens minted, in order (for tests). */
  readonly minted: { token: string; at: number; expiresAt: number }[] = [];

  constructor(tokens: string[], private readonly now: () => number, readonly app: FakeAppOptions | null = null) {
    this.tokens = [...tokens];
    this.appKey = app ? createPublicKey(app.publicKey) : null;
  }

  get first(): string {
    return this.tokens[0]!;
  }

  setTokens(list: string[]): void {
    this.tokens = [...list];
  }

  /** `token` becomes a fine-grained personal access token with these grants (Checks cannot be among them). */
  grant(token: string, grants: Grants): void {
    if (grants.checks) throw new Error('fake-github: fine-grained personal access tokens have no Checks permission');
    if (!this.tokens.includes(token)) this.tokens.push(token);
    this.grants.set(token, { metadata: 'read', ...grants });
  }

  /** Who sent `authorization`; null when no accepted credential (→ 401). A refusal for a bad App JWT. */
  identify(authorization: string | undefined): Caller | Refusal | null {
    const m = /^(token|bearer)\s+(.+)$/i.exec(authorization ?? '');
    if (!m) return null;
    const value = m[2]!;
    if (this.app && value.split('.').length === 3 && value.startsWith('ey')) return this.verifyJwt(value);
    const inst = this.installationTokens.get(value);
    if (inst) return inst.expiresAt > this.now() ? { kind: 'installation', token: value, grants: this.app?.permissions ?? DEFAULT_APP_PERMISSIONS } : null;
    if (!this.tokens.includes(value)) return null;
    const grants = this.grants.get(value);
    return grants ? { kind: 'fine-grained', token: value, grants } : { kind: 'token', token: value };
  }

  /** A 403 when `caller` may not do this, else null. `publicRepo`: reads need no permission. */
  gate(caller: Caller, method: string, pathname: string, publicRepo: boolean): Refusal | null {
    if (caller.kind === 'jwt') {
      // An App's JWT only speaks for the App itself (GET /app, its installations), never for a repository's data.
      return /^\/app(?:\/|$)|^\/repos\/[^/]+\/[^/]+\/installation$/.test(pathname)
        ? null
        : { status: 401, body: { message: 'A JSON web token could not be decoded', documentation_url: DOCS } };
    }
    if (pathname === '/user' && caller.kind === 'installation') {
      return { status: 403, body: { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user' } };
    }
    if (caller.kind === 'token') return null;
    const need = needsOf(method, pathname);
    if (need === null || has(caller.grants, need)) return null;
    if (method === 'GET' && publicRepo) return null;
    const who = caller.kind === 'installation' ? 'integration' : 'personal access token';
    return {
      status: 403,
      body: { message: `Resource not accessible by ${who}`, documentation_url: DOCS },
      headers: { 'x-accepted-github-permissions': need.map((n) => `${n.name}=${n.level}`).join('; ') },
    };
  }

  /** POST /app/installations/{id}/access_tokens (REST description, apps/create-installation-access-token). */
  mint(installationId: number): { status: number; body: unknown } {
    const app = this.app!;
    if (installationId !== app.installationId) return { status: 404, body: { message: 'Not Found', documentation_url: DOCS } };
    const token = `ghs_${randomBytes(18).toString('base64url').replace(/[^A-Za-z0-9]/g, 'x').slice(0, 36)}`;
    const at = this.now();
    const expiresAt = at + (app.tokenTtlSec ?? 3600) * 1000;
    this.installationTokens.set(token, { expiresAt });
    this.minted.push({ token, at, expiresAt });
    // GitHub renders expires_at to the second.
    const iso = new Date(Math.floor(expiresAt / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    return { status: 201, body: { token, expires_at: iso, permissions: app.permissions ?? DEFAULT_APP_PERMISSIONS, repository_selection: 'all' } };
  }

  private verifyJwt(jwt: string): Caller | Refusal {
    const app = this.app!;
    const refuse = (message: string): Refusal => ({ status: 401, body: { message, documentation_url: DOCS } });
    const [h, p, sig] = jwt.split('.') as [string, string, string];
    const header = b64json(h);
    const payload = b64json(p);
    if (!header || !payload || header.alg !== 'RS256') return refuse('A JSON web token could not be decoded');
    if (!verify('RSA-SHA256', Buffer.from(`${h}.${p}`), this.appKey!, Buffer.from(sig, 'base64url'))) return refuse('A JSON web token could not be decoded');
    if (String(payload.iss) !== String(app.id)) return refuse('A JSON web token could not be decoded');
    const now = Math.floor(this.now() / 1000);
    const { iat, exp } = payload;
    if (typeof exp !== 'number' || exp <= now) return refuse("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires");
    if (exp - now > 600) return refuse("'Expiration time' claim ('exp') is too far in the future");
    if (typeof iat !== 'number' || !Number.isInteger(iat) || iat > now) return refuse("'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued");
    return { kind: 'jwt', appId: app.id };
  }
}
