// Which checks a base branch requires, for `pr.followup_checks: required` — read from the two places GitHub
// keeps them, each readable without admin rights:
//   GET /repos/{o}/{r}/branches/{branch}         `protection.required_status_checks` {contexts, checks[{context}]}
//                                                 (Contents: read — unlike …/protection, which needs
//                                                 Administration: read; google/go-github#3095, isaacs/github#1940)
//   GET /repos/{o}/{r}/rules/branches/{branch}   active rules; type `required_status_checks` lists
//                                                 parameters.required_status_checks[{context}] (Metadata: read;
//                                                 REST docs, "Get rules for a branch")
// A required check is named by its context: a check run's name or a commit status's context (an app id may
// pin it to one app; names alone are matched here). Read at most every TTL_MS per branch (conditionally),
// and only when a check is failing. When neither place can be read, the answer is "unknown" — and then every
// failing check counts, said as a note: a follow-up too many beats a failure silently ignored.

import { statusOf } from './errors.js';
import { headersOf } from './client.js';
import { saysSecondary } from './secondary.js';
import { isObj } from '../../util/json.js';

export type Requirement =
  | { kind: 'known'; names: ReadonlySet<string> }
  /** The branch requires no check: every check counts. */
  | { kind: 'none' }
  /** The token can read neither place: every check counts. */
  | { kind: 'unknown'; why: string };

export type Reader = (route: string, params: Record<string, unknown>) => Promise<{ data: unknown }>;

const TTL_MS = 10 * 60_000;


export class RequiredChecks {
  private readonly cache = new Map<string, { at: number; value: Requirement }>();

  constructor(private readonly read: Reader, private readonly now: () => number = Date.now) {}

  async of(branch: string): Promise<Requirement> {
    const hit = this.cache.get(branch);
    if (hit && this.now() - hit.at < TTL_MS) return hit.value;
    const value = await this.load(branch);
    if (this.cache.size > 100) this.cache.clear();
    this.cache.set(branch, { at: this.now(), value });
    return value;
  }

  private async load(branch: string): Promise<Requirement> {
    const names = new Set<string>();
    const refused: string[] = [];
    await this.read('GET /repos/{owner}/{repo}/branches/{branch}', { branch }).then(
      (res) => {
        const p = isObj(res.data) && isObj(res.data.protection) ? res.data.protection : {};
        const rsc = isObj(p.required_status_checks) ? p.required_status_checks : {};
        if (p.enabled === false || rsc.enforcement_level === 'off') return;
        for (const c of Array.isArray(rsc.contexts) ? rsc.contexts : []) if (typeof c === 'string') names.add(c);
        for (const c of Array.isArray(rsc.checks) ? rsc.checks : []) if (isObj(c) && typeof c.context === 'string') names.add(c.context);
      },
      (err: unknown) => skipOrRefuse(err, 'branch protection', refused),
    );
    await this.read('GET /repos/{owner}/{repo}/rules/branches/{branch}', { branch, per_page: 100 }).then(
      (res) => {
        for (const rule of Array.isArray(res.data) ? res.data : []) {
          if (!isObj(rule) || rule.type !== 'required_status_checks' || !isObj(rule.parameters)) continue;
          const list = rule.parameters.required_status_checks;
          for (const c of Array.isArray(list) ? list : []) if (isObj(c) && typeof c.context === 'string') names.add(c.context);
        }
      },
      (err: unknown) => skipOrRefuse(err, 'rulesets', refused),
    );
    if (names.size > 0) return { kind: 'known', names };
    if (refused.length > 0) return { kind: 'unknown', why: `the token cannot read ${branch}'s ${refused.join(' or ')}` };
    return { kind: 'none' };
  }
}

/**
 * 404: nothing there (a branch gone, GitHub Enterprise without rulesets); 401/403: not readable with this
 * token. Anything else (no answer, a 5xx, a rate limit) is thrown: the watch tries again later, and nothing
 * wrong is remembered for TTL_MS.
 */
function skipOrRefuse(err: unknown, what: string, refused: string[]): void {
  const status = statusOf(err);
  if (status === 404) return;
  const limited = saysSecondary(err) || headersOf(err)['retry-after'] !== undefined || headersOf(err)['x-ratelimit-remaining'] === '0';
  if ((status === 401 || status === 403) && !limited) {
    refused.push(what);
    return;
  }
  throw err;
}

/** The checks marked required or not; unchanged (required: null) when the requirement is unknown or none. */
export function markRequired<T extends { name: string; required?: boolean | null }>(checks: readonly T[], req: Requirement): T[] {
  if (req.kind !== 'known') return checks.map((c) => ({ ...c, required: null }));
  return checks.map((c) => ({ ...c, required: req.names.has(c.name) }));
}
