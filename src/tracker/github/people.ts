// Who is who on the repository: the token's own login, collaborators' access (kept at most
// PERMISSION_TTL_MS, so a revoked writer stops being trusted without a restart), and the
// trusted_labelers_only verdict from an issue's `labeled` events.
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
import type { TrustVerdict } from '../types.js';
import { type TrackerError } from '../../errors.js';

/** Base permissions that may direct the agent: they could push the change themselves. */
export const WRITER_PERMISSIONS: ReadonlySet<string> = new Set(['admin', 'write']);

/** How long a collaborator's access (and any verdict built on it) is believed. */
export const PERMISSION_TTL_MS = 10 * 60_000;

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

export class GitHubPeople {
  private self: Promise<string | null> | null = null;
  private readonly access = new Map<string, { at: number; p: Promise<Access> }>();

  constructor(
    private readonly gh: GitHubClient,
    private readonly repo: { owner: string; repo: string },
    private readonly mapError: (err: unknown, what: string) => TrackerError,
    private readonly now: () => number = Date.now,
    /** The login when the auth source knows it (a GitHub App: `<slug>[bot]`, since /user answers it 403). */
    private readonly knownLogin?: () => Promise<string | null>,
  ) {}

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
    if (cached && this.now() - cached.at < PERMISSION_TTL_MS) return cached.p;
    const p = this.gh.request('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { ...this.repo, username: login }).then(
      (res): Access => {
        const d = res.data as { role_name?: unknown; permission?: unknown };
        const permission = typeof d.permission === 'string' ? d.permission : 'none';
        return { permission, role: typeof d.role_name === 'string' ? d.role_name : '' };
      },
      (err: unknown): Access => {
        if (statusOf(err) === 404) return { permission: 'none', role: '' };
        if (this.access.get(key)?.p === p) this.access.delete(key);
        throw this.mapError(err, `reading @${login}'s permission`);
      },
    );
    if (this.access.size >= 2000) this.access.clear();
    this.access.set(key, { at: this.now(), p });
    return p;
  }

  /**
   * For each trigger label, the newest `labeled` event's actor must be a writer (or the token user).
   * Returns the first failing verdict, or a trusted one naming who applied each label.
   */
  async labelerVerdict(events: readonly unknown[], labels: readonly string[]): Promise<TrustVerdict> {
    const reasons: string[] = [];
    for (const label of labels) {
      let actor: string | null | undefined;
      for (const ev of events) {
        const e = ev as { event?: unknown; label?: { name?: unknown } | null; actor?: { login?: unknown } | null };
        if (e.event !== 'labeled' || typeof e.label?.name !== 'string') continue;
        if (e.label.name.toLowerCase() !== label.toLowerCase()) continue;
        actor = typeof e.actor?.login === 'string' ? e.actor.login : null;
      }
      if (actor === undefined) {
        return { trusted: false, reason: `no record of who applied label \`${label}\` (trusted_labelers_only)` };
      }
      if (actor === null) {
        return { trusted: false, reason: `label \`${label}\` was applied by an unknown account (trusted_labelers_only)` };
      }
      if (await this.isSelf(actor)) {
        reasons.push(`label \`${label}\` was applied by @${actor} (token user)`);
        continue;
      }
      const access = await this.accessOf(actor);
      if (!WRITER_PERMISSIONS.has(access.permission)) {
        const shown = access.role !== '' && access.role !== access.permission ? `${access.role} permission (${access.permission} access)` : `${access.permission} permission`;
        return { trusted: false, reason: `label \`${label}\` was applied by @${actor}, who has ${shown} (trusted_labelers_only)` };
      }
      reasons.push(`label \`${label}\` was applied by @${actor} (${describeAccess(access)})`);
    }
    return { trusted: true, reason: reasons.join('; ') };
  }
}
