// Who is who on the repository: the token's own login, collaborators' roles (cached for the tracker's
// lifetime), and the trusted_labelers_only verdict from an issue's `labeled` events.

import type { GitHubClient } from './client.js';
import { statusOf } from './errors.js';
import type { TrustVerdict } from '../types.js';
import { type TrackerError } from '../../errors.js';

/** Roles that may direct the agent: they could push the change themselves. */
export const WRITER_ROLES: ReadonlySet<string> = new Set(['admin', 'maintain', 'write']);

export class GitHubPeople {
  private self: Promise<string | null> | null = null;
  private readonly roles = new Map<string, Promise<string>>();

  constructor(
    private readonly gh: GitHubClient,
    private readonly repo: { owner: string; repo: string },
    private readonly mapError: (err: unknown, what: string) => TrackerError,
  ) {}

  /** The token's login; null for tokens that cannot read /user (GitHub App installation tokens). */
  selfLogin(): Promise<string | null> {
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
    return WRITER_ROLES.has(await this.roleOf(login));
  }

  /** admin/maintain/write/triage/read/none; a 404 (not a collaborator, unknown user) is "none". */
  roleOf(login: string): Promise<string> {
    const key = login.toLowerCase();
    let p = this.roles.get(key);
    if (!p) {
      p = this.gh.request('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { ...this.repo, username: login }).then(
        (res) => {
          const d = res.data as { role_name?: unknown; permission?: unknown };
          if (typeof d.role_name === 'string' && d.role_name !== '') return d.role_name;
          return typeof d.permission === 'string' ? d.permission : 'none';
        },
        (err: unknown) => {
          if (statusOf(err) === 404) return 'none';
          this.roles.delete(key);
          throw this.mapError(err, `reading @${login}'s permission`);
        },
      );
      this.roles.set(key, p);
    }
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
      const role = (await this.isSelf(actor)) ? 'token user' : await this.roleOf(actor);
      if (role !== 'token user' && !WRITER_ROLES.has(role)) {
        return { trusted: false, reason: `label \`${label}\` was applied by @${actor}, who has ${role} permission (trusted_labelers_only)` };
      }
      reasons.push(`label \`${label}\` was applied by @${actor} (${role})`);
    }
    return { trusted: true, reason: reasons.join('; ') };
  }
}
