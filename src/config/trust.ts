// The trust keys of tracker: who may direct the agent. `trusted_roles` (Linear: which workspace roles are
// trusted, default members and admins; guests and app users only when listed) and the checks on
// `allowed_authors` entries that can never match what the tracker matches them against.
import type { TrackerKind, TrustedRole } from './types.js';
import type { Reader, Section } from './fields.js';

export const TRUSTED_ROLES: readonly TrustedRole[] = ['admin', 'member', 'guest', 'app'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function readTrustedRoles(r: Reader, t: Section, kind: TrackerKind): TrustedRole[] {
  const given = t.get('trusted_roles') !== undefined;
  const roles = t.list('trusted_roles', ['admin', 'member']);
  roles.forEach((role, i) => {
    if (!(TRUSTED_ROLES as readonly string[]).includes(role)) r.fail(`${t.keyPath('trusted_roles')}[${i}]`, `one of ${TRUSTED_ROLES.join(', ')}`, role);
  });
  if (given && kind !== 'linear') r.warnings.push(`${r.file}: tracker.trusted_roles applies to Linear only (on GitHub, write access decides who is trusted); ignored`);
  return roles as TrustedRole[];
}

/** Warnings for allowed_authors entries of a form the tracker never matches. */
export function checkAllowedAuthors(r: Reader, kind: TrackerKind, allowed: readonly string[]): void {
  for (const a of allowed) {
    if (kind === 'linear' && !a.includes('@') && !UUID.test(a)) {
      r.warnings.push(`${r.file}: tracker.allowed_authors entry "${a}" is neither an email address nor a Linear user id; names never match (anyone can rename themselves)`);
    }
    if (kind === 'github' && /^[^@].*@/.test(a)) {
      r.warnings.push(`${r.file}: tracker.allowed_authors entry "${a}" looks like an email address; GitHub entries are account ids (digits) or logins`);
    }
  }
}
