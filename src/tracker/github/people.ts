// Who is who on the repository: the token's own login, collaborators' access (kept at most
// PERMISSION_TTL_MS, so a revoked writer stops being trusted without a restart, in a bounded LRU so a
// public repository's strangers never grow it without end and never flush it all at once), whether one
// person is trusted (`judge`), and the account ids behind logins named in tracker.allowed_authors.
//
// Trust is decided on `permission`, never on `role_name`. GitHub's description of
// GET /repos/{owner}/{repo}/collaborators/{username}/permission: "The `permission` attribute provides the
// legacy base roles of `admin`, `write`, `read`, and `none`, where the `maintain` role is mapped to `write`
// and the `triage` role is mapped to `read`. The `role_name` attribute provides the name of the assigned
// role, including custom roles." A custom role is built on a base role, so `permission` is that base
// (`write` for one built on write or maintain, `read` for one built on read or triage), while `role_name` is
// whatever the organisation called it — a name, not a level. It only appears in reason texts.

import type { GitHubClient } from './client.js';
import { statusOf } from './errors.js';
import type { Judgement } from '../text-trust.js';
import { TtlCache } from '../ttl-cache.js';
import { type TrackerError } from '../../errors.js';

/** Base permissions that may direct the agent: they could push the change themselves. */
export const WRITER_PERMISSIONS: ReadonlySet<string> = new Set(['admin', 'write']);

/** How long a collaborator's access (and any verdict built on it) is believed. */
export const PERMISSION_TTL_MS = 10 * 60_000;
/** Collaborators' access kept at once (least recently used first out). */
export const PERMISSION_CACHE_SIZE = 5000;

export interface Access {
  /** admin | write | read | none (GitHub's base level; what trust is decided on). */
  permission: string;
  /** GitHub's role_name (admin, maintain, write, triage, read, or a custom role's name); shown, never trusted. */
  role: string;
}

/** "admin", or "deployer, write access" when the role name is not the base permission. */
export function describeAccess(a: Access): string {
  return a.role === '' || a.role === a.permission ? a.permission : `${a.role}, ${a.permission} access`;
}

/** "read permission", or "triage-plus permission (read access)" for a custom role. */
export function describeLack(a: Access): string {
  return a.role !== '' && a.role !== a.permission ? `${a.role} permission (${a.permission} access)` : `${a.permission} permission`;
}

export class GitHubPeople {
  private self: Promise<string | null> | null = null;
  private readonly access: TtlCache<string, Promise<Access>>;
  /** Logins resolved to account ids (null: no such account), once per daemon. */
  private readonly ids = new TtlCache<string, Promise<number | null>>(1000, Number.POSITIVE_INFINITY);

  constructor(
    private readonly gh: GitHubClient,
    private readonly repo: { owner: string; repo: string },
    private readonly mapError: (err: unknown, what: string) => TrackerError,
    private readonly now: () => number = Date.now,
    /** The login when the auth source knows it (a GitHub App: `<slug>[bot]`, since /user answers it 403). */
    private readonly knownLogin?: () => Promise<string | null>,
  ) {
    this.access = new TtlCache(PERMISSION_CACHE_SIZE, PERMISSION_TTL_MS, now);
  }

  /** The token's login; null for tokens that cannot read /user and whose source says nothing else. */
  selfLogin(): Promise<string | null> {
    if (this.knownLogin) {
      this.self ??= this.knownLogin().catch((err: unknown) => {
        this.self = null;
        throw this.mapError(err, 'reading who the GitHub App is');
      });
      return this.self;
    }
    this.self ??= this.gh.request('GET /user').then(
      (res) => (typeof res.data.login === 'string' ? res.data.login : null),
      (err: unknown) => {
        const status = statusOf(err);
        if (status === 403 || status === 404) return null;
        this.self = null;
        throw this.mapError(err, 'reading the token user');
      },
    );
    return this.self;
  }

  async isSelf(login: string): Promise<boolean> {
    const self = await this.selfLogin();
    return self !== null && self.toLowerCase() === login.toLowerCase();
  }

  /** The token user, or a collaborator with write access or more. */
  async isWriter(login: string | null): Promise<boolean> {
    if (login === null) return false;
    if (await this.isSelf(login)) return true;
    return WRITER_PERMISSIONS.has((await this.accessOf(login)).permission);
  }

  /** A collaborator's access, cached for PERMISSION_TTL_MS; a 404 (not a collaborator, unknown user) is "none". */
  accessOf(login: string): Promise<Access> {
    const key = login.toLowerCase();
    const cached = this.access.get(key);
    if (cached) return cached;
    const p = this.gh.request('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { ...this.repo, username: login }).then(
      (res): Access => {
        const d = res.data as { role_name?: unknown; permission?: unknown };
        const permission = typeof d.permission === 'string' ? d.permission : 'none';
        return { permission, role: typeof d.role_name === 'string' ? d.role_name : '' };
      },
      (err: unknown): Access => {
        if (statusOf(err) === 404) return { permission: 'none', role: '' };
        if (this.access.get(key) === p) this.access.delete(key);
        throw this.mapError(err, `reading @${login}'s permission`);
      },
    );
    this.access.set(key, p);
    return p;
  }

  /** Whether `login`'s access is known without a request (believed for PERMISSION_TTL_MS). */
  knows(login: string): boolean {
    return this.access.has(login.toLowerCase());
  }

  /** May `login` direct the agent: the token user, or write access or more. Untrusted: the access in words. */
  async judge(login: string): Promise<Judgement> {
    if (await this.isSelf(login)) return { trusted: true, as: 'token user' };
    const access = await this.accessOf(login);
    return WRITER_PERMISSIONS.has(access.permission) ? { trusted: true, as: describeAccess(access) } : { trusted: false, as: describeLack(access) };
  }

  /**
   * The account id behind a login (GET /users/{username}), asked once per daemon: an allowed_authors entry
   * names the account it named when swarm started, even if the login is later freed and taken by someone
   * else. null when no account has that login.
   */
  userId(login: string): Promise<number | null> {
    const key = login.toLowerCase();
    const cached = this.ids.get(key);
    if (cached) return cached;
    const p = this.gh.request('GET /users/{username}', { username: login }).then(
      (res) => (typeof (res.data as { id?: unknown }).id === 'number' ? (res.data as { id: number }).id : null),
      (err: unknown) => {
        if (statusOf(err) === 404) return null;
        this.ids.delete(key);
        throw this.mapError(err, `looking up the GitHub account @${login} (tracker.allowed_authors)`);
      },
    );
    this.ids.set(key, p);
    return p;
  }
}
