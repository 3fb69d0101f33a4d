// What CI says about a PR's head commit (PR follow-through): its check runs and combined commit status,
// each check marked required or not by the base branch. A token that cannot read check runs (a
// fine-grained token: it has no Checks permission) gets a 403 on the check-runs read; that is recorded once
// (notes(), shown by `swarm status` and `swarm doctor`) and the GitHub Actions runs of the head are read
// instead (actions-runs.ts); the check-runs read is tried again an hour later. When a check does not pass,
// the base branch's required checks are read (required-checks.ts, cached) for `pr.followup_checks`.
// The reads go through the watcher's counted, conditional lister.

import type { GitHubClient } from './client.js';
import { statusOf } from './errors.js';
import { actionsChecks } from './actions-runs.js';
import { markRequired, RequiredChecks } from './required-checks.js';
import { acceptedPermissionsOf, describeAccepted } from './permissions.js';
import type { PrCheck } from '../pr-watch.js';
import { TrackerError } from '../../errors.js';
import { isObj, str, strOrNull } from '../../util/json.js';

/** Check run summaries may run to 65,535 characters; a prompt needs the headline. */
export const SUMMARY_MAX_CHARS = 2000;
/** A read refused with 403 is tried again after this long (the token may have been replaced). */
const REPROBE_MS = 60 * 60_000;
/** Conclusions that need nothing: no required-checks read for them. */
const PASSING = new Set(['success', 'neutral', 'skipped']);

const cap = (s: string): string => (s.length > SUMMARY_MAX_CHARS ? `${s.slice(0, SUMMARY_MAX_CHARS - 1)}…` : s);
const byName = (a: PrCheck, b: PrCheck) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id);

/** Every page of a list, counted and conditional; `raw`: a failure is thrown as GitHub answered (not mapped). */
export type Lister = (what: string, route: string, params: Record<string, unknown>, pick: (data: unknown) => unknown[] | null, raw?: boolean) => Promise<unknown[]>;

export class CiReader {
  /** When the check-runs read, and the Actions read in its place, were refused (403), and what GitHub asked for. */
  private checkRunsRefused: { at: number; needs: string | null } | null = null;
  private actionsRefused: { at: number; needs: string | null } | null = null;
  private requiredUnknown: string | null = null;
  /** What the last refused read's X-Accepted-GitHub-Permissions asked for. */
  private lastNeeds: string | null = null;
  private readonly required: RequiredChecks;

  constructor(
    gh: GitHubClient,
    repo: { owner: string; repo: string },
    private readonly mapError: (err: unknown, what: string) => TrackerError,
    private readonly now: () => number,
    /** Whether to read which checks the base branch requires (pr.followup_checks: required). */
    private readonly wantRequired: () => boolean = () => true,
  ) {
    this.required = new RequiredChecks((route, params) => gh.request(route, { ...repo, ...params }), now);
  }

  /** What this token cannot read, each with the fix. */
  notes(): string[] {
    const out: string[] = [];
    const asked = (r: { needs: string | null }) => (r.needs !== null ? `; GitHub asks for ${r.needs}` : '');
    if (this.checkRunsRefused) {
      out.push(`check runs unreadable with this token (fine-grained tokens lack Checks${asked(this.checkRunsRefused)}): PR follow-through reads commit statuses, reviews and GitHub Actions runs instead; checks of other apps are not seen (a classic token with the repo scope, or a GitHub App with Checks: read, sees them)`);
    }
    if (this.actionsRefused) out.push(`GitHub Actions runs unreadable with this token too${asked(this.actionsRefused)}: grant it Actions: read, or a failing workflow never starts a follow-up`);
    if (this.requiredUnknown) out.push(`required checks unknown (${this.requiredUnknown}): every failing check starts a follow-up (grant Contents: read and Metadata: read to act on required checks only)`);
    return out;
  }

  /** Check runs (or the Actions runs in their place) and the combined status of `sha`. */
  async headChecks(list: Lister, sha: string): Promise<PrCheck[]> {
    const [runs, statuses] = await Promise.all([this.runsOrActions(list, sha), this.statuses(list, sha)]);
    return [...runs, ...statuses];
  }

  /** Marks each check required or not when one does not pass (pr.followup_checks: required). */
  async withRequired(checks: PrCheck[], branch: string): Promise<PrCheck[]> {
    if (!this.wantRequired() || branch === '' || checks.every((c) => c.conclusion === null || PASSING.has(c.conclusion))) return checks;
    const req = await this.required.of(branch);
    this.requiredUnknown = req.kind === 'unknown' ? req.why : null;
    return markRequired(checks, req);
  }

  /** Check runs, or (for a token refused them) the GitHub Actions runs of the head; [] when neither is readable. */
  private async runsOrActions(list: Lister, sha: string): Promise<PrCheck[]> {
    const now = this.now();
    if (this.checkRunsRefused === null || now - this.checkRunsRefused.at >= REPROBE_MS) {
      const runs = await this.refusable(() => this.checkRuns(list, sha), 'reading check runs');
      if (runs !== null) {
        this.checkRunsRefused = null;
        return runs;
      }
      this.checkRunsRefused = { at: now, needs: this.lastNeeds };
    }
    if (this.actionsRefused !== null && now - this.actionsRefused.at < REPROBE_MS) return [];
    const actions = await this.refusable(() => actionsChecks((what, route, params, pick) => list(what, route, params, pick, true), sha), 'reading GitHub Actions runs');
    this.actionsRefused = actions === null ? { at: now, needs: this.lastNeeds } : null;
    return actions ?? [];
  }

  /** `fn`'s answer, or null when GitHub refused it with a 403 for want of a permission (rate limits are thrown). */
  private async refusable<T>(fn: () => Promise<T>, what: string): Promise<T | null> {
    try {
      return await fn();
    } catch (err) {
      if (statusOf(err) !== 403) throw err instanceof TrackerError ? err : this.mapError(err, what);
      const mapped = this.mapError(err, what);
      if (mapped.kind !== 'auth') throw mapped; // a secondary rate limit answers 403 too
      this.lastNeeds = describeAccepted(acceptedPermissionsOf(err));
      return null;
    }
  }

  private async checkRuns(list: Lister, sha: string): Promise<PrCheck[]> {
    // `filter=latest` (the default) already answers the most recent run per check; a re-run keeps its
    // name, so the newest (highest id) per app and name is kept in case an older one slips through.
    const raw = await list('reading check runs', 'GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { ref: sha, filter: 'latest' },
      (d) => (isObj(d) && Array.isArray(d.check_runs) ? d.check_runs : null), true);
    const newest = new Map<string, PrCheck>();
    for (const r of raw) {
      if (!isObj(r) || typeof r.id !== 'number') continue;
      const out = isObj(r.output) ? r.output : {};
      const check: PrCheck = {
        id: r.id, name: str(r.name), status: str(r.status), conclusion: strOrNull(r.conclusion),
        summary: cap(str(out.summary) || str(out.title)), app: isObj(r.app) ? str(r.app.slug) : '',
        details_url: strOrNull(r.details_url), source: 'check_run',
      };
      const key = `${check.app}\n${check.name}`;
      const seen = newest.get(key);
      if (!seen || seen.id < check.id) newest.set(key, check);
    }
    return [...newest.values()].sort(byName);
  }

  private async statuses(list: Lister, sha: string): Promise<PrCheck[]> {
    // The combined status holds the latest status per context (REST: repos/get-combined-status-for-ref).
    const raw = await list('reading the commit status', 'GET /repos/{owner}/{repo}/commits/{ref}/status', { ref: sha },
      (d) => (isObj(d) && Array.isArray(d.statuses) ? d.statuses : null));
    const out: PrCheck[] = [];
    for (const s of raw) {
      if (!isObj(s) || typeof s.id !== 'number') continue;
      const st = str(s.state);
      out.push({
        id: s.id, name: str(s.context), status: st === 'pending' ? 'pending' : 'completed', conclusion: st === 'pending' || st === '' ? null : st,
        summary: cap(str(s.description)), app: '', details_url: strOrNull(s.target_url), source: 'status',
      });
    }
    return out.sort(byName);
  }
}
