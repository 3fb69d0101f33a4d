// `tracker:` of WORKFLOW.md → one TrackerConfig per kind. Every key is read whatever the kind (so a key of
// another kind is never an "unknown key" warning, and a type error in it is still reported), then the
// object of the chosen kind keeps its own keys.
import type { GithubAccess, LinearKeys, TrackerConfig, TrackerKind } from './types.js';
import type { Reader, Section } from './fields.js';
import { urlOrNull } from './fields.js';
import { checkAllowedAuthors, readTrustedRoles } from './trust.js';
import { ConfigError } from '../errors.js';
import { LINEAR_DEFAULT_FULL_SWEEP_MS, LINEAR_DEFAULT_PAGE_SIZE, LINEAR_MAX_PAGE_SIZE } from './linear-limits.js';

export const TRACKER_KINDS: readonly TrackerKind[] = ['github', 'linear', 'local'];

const REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** The tracker config, and the secret values among its keys (read whatever the kind: a token is masked even where unused). */
export function readTracker(r: Reader, root: Section): { tracker: TrackerConfig; secrets: string[] } {
  const t = root.sub('tracker');
  const kind = t.oneOf('kind', 'github', TRACKER_KINDS);
  const repo = t.strOrNull('repo');
  if (repo !== null && !REPO.test(repo)) r.fail(t.keyPath('repo'), 'owner/name, e.g. octo-org/app', repo);
  const api_url = urlOrNull(t, 'api_url', ['http:', 'https:'], 'an http(s) URL, e.g. https://api.github.com', false);
  const labels = t.list('labels', ['agent']);
  if (kind === 'github' && labels.length === 0) {
    r.fail(t.keyPath('labels'), 'a non-empty list (otherwise every open issue would be picked up)', []);
  }
  const common = {
    labels,
    exclude_labels: t.list('exclude_labels', ['blocked']),
    api_url,
  };
  const access: GithubAccess = { repo, token: t.strOrNull('token') };
  const marks = {
    running_label: t.str('running_label', 'agent:running', { nonEmpty: true }),
    review_label: t.str('review_label', 'agent:review', { nonEmpty: true }),
    failed_label: t.str('failed_label', 'agent:failed', { nonEmpty: true }),
    trusted_labelers_only: t.bool('trusted_labelers_only', true),
    throttle_writes: t.bool('throttle_writes', true),
    // Optional keys stay absent when unset (defaults live where they are used).
    request_timeout: t.duration('request_timeout', 30_000),
    allowed_authors: t.list('allowed_authors', []),
  };
  access.app_id = t.strOrNull('app_id');
  access.private_key = t.strOrNull('private_key');
  access.installation_id = t.intOrNull('installation_id', 1, Number.MAX_SAFE_INTEGER);
  access.token_command = t.strOrNull('token_command');
  const more = { claim_parents: t.bool('claim_parents', false), trusted_roles: readTrustedRoles(r, t, kind) };
  const linear: LinearKeys = {
    api_key: t.strOrNull('api_key'),
    team: t.strOrNull('team'),
    project: t.strOrNull('project'),
    states: t.list('states', ['Todo'], { nonEmpty: kind === 'linear' }),
    running_state: t.str('running_state', 'In Progress', { nonEmpty: true }),
    review_state: t.str('review_state', 'In Review', { nonEmpty: true }),
    failed_state: t.strOrNull('failed_state'),
    page_size: t.intOrNull('page_size', 1, 250) ?? undefined,
    full_sweep: t.duration('full_sweep', LINEAR_DEFAULT_FULL_SWEEP_MS, 1000),
  };
  const path = t.str('path', '.swarm/tickets', { nonEmpty: true });
  if (kind === 'linear' && linear.page_size !== undefined && linear.page_size > LINEAR_MAX_PAGE_SIZE) {
    throw new ConfigError(
      `${r.file}: tracker.page_size must be at most ${LINEAR_MAX_PAGE_SIZE} with Linear (got ${linear.page_size}): Linear refuses ` +
        `the candidates query above 10,000 complexity points at a larger page; lower it (the default ${LINEAR_DEFAULT_PAGE_SIZE} costs about 3,700)`,
    );
  }
  checkGithubAuth(r, access);
  checkAllowedAuthors(r, kind, marks.allowed_authors);
  if (kind === 'linear' && linear.team === null) {
    throw new ConfigError(`${r.file}: tracker.team is required when tracker.kind is linear (the team key, e.g. ENG)`);
  }
  t.finish();
  const shared = { ...common, ...marks, ...more };
  const secrets = trackerSecrets({ ...access, api_key: linear.api_key });
  switch (kind) {
    case 'github':
      return { tracker: { kind, ...shared, ...access }, secrets };
    case 'linear':
      return { tracker: { kind, ...shared, ...access, ...linear }, secrets };
    case 'local':
      return { tracker: { kind, ...shared, path }, secrets };
  }
}

/** One way to authenticate to GitHub: an App (id + key), a token command, or a token. */
function checkGithubAuth(r: Reader, t: GithubAccess): void {
  const app = t.app_id != null || t.private_key != null;
  if (app && (t.app_id == null || t.private_key == null)) {
    const missing = t.app_id == null ? 'tracker.app_id' : 'tracker.private_key';
    throw new ConfigError(`${r.file}: ${missing} is missing: GitHub App authentication needs both tracker.app_id and tracker.private_key (a path to the App's .pem key, or $VAR holding it)`);
  }
  if (t.app_id != null && !/^(\d+|Iv[0-9A-Za-z.]+)$/.test(t.app_id)) r.fail('tracker.app_id', "the App's numeric id (or its client id, Iv…), from the App's settings page", t.app_id);
  if (t.installation_id != null && !app) throw new ConfigError(`${r.file}: tracker.installation_id is set but tracker.app_id is not: it only applies to GitHub App authentication`);
  const ways = [app ? 'tracker.app_id' : null, t.token_command != null ? 'tracker.token_command' : null, t.token != null ? 'tracker.token' : null].filter((x) => x !== null);
  if (ways.length > 1) throw new ConfigError(`${r.file}: ${ways.join(' and ')} are both set: choose one way to authenticate to GitHub and remove the other`);
}

/** Secret values of the tracker's keys (the GitHub token, the Linear key, an inline App key). */
function trackerSecrets(t: GithubAccess & { api_key: string | null }): string[] {
  const out: string[] = [];
  for (const v of [t.token, t.api_key]) if (v) out.push(v);
  // A private key given inline (from $VAR) is a secret; a path is read (and registered) by the credentials.
  if (t.private_key && t.private_key.includes('PRIVATE KEY')) out.push(t.private_key);
  return out;
}
