// Which permission a 403 is about, in words an operator can act on. GitHub sends
// `X-Accepted-GitHub-Permissions` to callers on the fine-grained permission model (GitHub Apps and
// fine-grained personal access tokens): "All valid sets are included in the header, each set separated by a
// semicolon (;)", e.g. `repository_projects=write; organization_projects=admin` (GitHub changelog
// 2023-08-10, "X-Accepted-GitHub-Permissions header for fine-grained permission actors"). A set that needs
// several permissions lists them separated by commas. Classic tokens get `X-Accepted-OAuth-Scopes` instead.
// Pure.

/** The names GitHub's token settings page shows for the permissions swarm uses. */
const NAMES: Record<string, string> = {
  actions: 'Actions',
  administration: 'Administration',
  checks: 'Checks',
  contents: 'Contents',
  issues: 'Issues',
  metadata: 'Metadata',
  pull_requests: 'Pull requests',
  statuses: 'Commit statuses',
  workflows: 'Workflows',
};

export interface PermissionNeed {
  /** e.g. "issues" */
  name: string;
  /** read | write | admin */
  level: string;
}

/** The header's alternatives: each inner list is one set that would do (all of it needed). */
export function parseAcceptedPermissions(header: string | null | undefined): PermissionNeed[][] {
  if (typeof header !== 'string' || header.trim() === '') return [];
  const sets: PermissionNeed[][] = [];
  for (const raw of header.split(';')) {
    const set: PermissionNeed[] = [];
    for (const part of raw.split(',')) {
      const m = /^\s*([a-z_]+)\s*=\s*([a-z_]+)\s*$/i.exec(part);
      if (m) set.push({ name: m[1]!.toLowerCase(), level: m[2]!.toLowerCase() });
    }
    if (set.length > 0) sets.push(set);
  }
  return sets;
}

/** "Issues: write", the way GitHub's token page names it. */
export function permissionLabel(p: PermissionNeed): string {
  const name = NAMES[p.name] ?? p.name.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
  return `${name}: ${p.level}`;
}

/**
 * "Issues: write (or Pull requests: write)" for a header value; null when there is none. The first set is
 * GitHub's own first choice.
 */
export function describeAccepted(header: string | null | undefined): string | null {
  const sets = parseAcceptedPermissions(header);
  if (sets.length === 0) return null;
  const text = sets.map((set) => set.map(permissionLabel).join(' + '));
  return text.length === 1 ? text[0]! : `${text[0]} (or ${text.slice(1).join(', or ')})`;
}

/** The X-Accepted-GitHub-Permissions value of a failed request, or null. */
export function acceptedPermissionsOf(err: unknown): string | null {
  const h = (err as { response?: { headers?: Record<string, unknown> } } | null)?.response?.headers;
  const v = h?.['x-accepted-github-permissions'];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}

/** What kind of token a string looks like, from GitHub's documented prefixes (token formats, 2021). */
export function tokenKind(token: string): string {
  if (token.startsWith('github_pat_')) return 'fine-grained personal access token';
  if (token.startsWith('ghp_')) return 'classic personal access token';
  if (token.startsWith('ghs_')) return 'GitHub App installation token';
  if (token.startsWith('gho_')) return 'OAuth token (e.g. from `gh auth login`)';
  if (token.startsWith('ghu_')) return 'GitHub App user token';
  return 'token';
}
