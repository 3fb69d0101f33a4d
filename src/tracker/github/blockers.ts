// Which of an issue's blockers are still open: the "blocked by #N" / "depends on #N" lines of its body and
// GitHub's native "blocked by" dependencies. Both candidates() and fetch() answer through here, so the
// listing and the re-read before a claim always agree (a ticket that the listing calls eligible is not
// refused by the re-read for a blocker the listing already judged closed, and the other way round).
//
// Cost on an idle poll: nothing beyond the listing where possible. A body reference to an issue in this
// poll's listing is open (the listing holds open issues only); a closed one is remembered for a while; any
// other is a conditional GET (the client's ETag cache makes an unchanged answer a free 304); at most
// MAX_BODY_REFERENCES of them per issue, the rest ignored and said so. Native
// dependencies are asked for only when the listing's `issue_dependencies_summary` counts open blockers, and
// the answer is kept while that summary is unchanged. Look-ups are serial: GitHub asks integrators to avoid
// concurrent requests (REST best practices, "Avoid concurrent requests").

import type { GitHubClient } from './client.js';
import { statusOf } from './errors.js';
// Body references read per issue, in the order they are written; the rest are ignored (the ticket says so):
// a body naming thousands of issues must not cost thousands of requests per poll.
import { blockerNumbersFromBody, isRepository, MAX_BODY_REFERENCES, parseIssue, type GhIssue } from './map.js';
import type { TrackerError } from '../../errors.js';

/**
 * How long a body reference found closed (or missing) is believed without asking again. Closed issues are
 * rarely reopened, and asking every poll would cost a request per closed reference on every idle poll; a
 * blocker reopened meanwhile is noticed within this time by the listing, and at once by the re-read just
 * before a claim (fetch() never trusts this memory).
 */
export const CLOSED_MEMORY_MS = 10 * 60_000;

const PAGE = 100;
const DEPENDENCIES = 'GET /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by';

export interface BlockerContext {
  /** Numbers of the items in this poll's listing: all open. */
  listed: ReadonlySet<number>;
  /**
   * A read just before claiming: a remembered "closed" is asked again, unless this poll's listing itself
   * asked (asking twice in one poll would double its cost for a body full of references).
   */
  fresh: boolean;
}

export interface OpenBlockers {
  /** Identifiers of the blockers still open. */
  open: string[];
  /** Body references beyond MAX_BODY_REFERENCES, not read. */
  ignored: number;
}

export class GitHubBlockers {
  /** When a reference was last found closed (or gone) by asking, and during which listing. */
  private readonly closedAt = new Map<number, { at: number; listing: number }>();
  private listing = 0;
  private readonly native = new Map<number, { summary: string; open: string[] }>();
  /** GitHub Enterprise before 3.19 has no dependencies endpoint (404): asked once per daemon, not per poll. */
  private dependenciesMissing = false;

  constructor(
    private readonly gh: GitHubClient,
    private readonly repo: { owner: string; repo: string },
    private readonly now: () => number,
    private readonly mapError: (err: unknown, what: string) => TrackerError,
  ) {}

  /**
   * Identifiers ("#N", or "owner/name#N" for another repository) of the issue's blockers that are still
   * open. When a look-up fails the unresolved references are returned: unknown stays blocked rather than
   * starting work that may be premature.
   */
  /** A new poll's listing begins (candidates()): what it asks is what a claim in the same poll may believe. */
  newListing(): void {
    this.listing++;
  }

  async open(issue: GhIssue, ctx: BlockerContext): Promise<OpenBlockers> {
    const out: string[] = [];
    const refs = blockerNumbersFromBody(issue.body).filter((n) => n !== issue.number);
    for (const n of refs.slice(0, MAX_BODY_REFERENCES)) {
      try {
        if (await this.isOpen(n, ctx)) out.push(`#${n}`);
      } catch {
        out.push(`#${n}`);
      }
    }
    try {
      for (const id of await this.nativeOpen(issue)) if (!out.includes(id)) out.push(id);
    } catch {
      out.push('native dependencies (could not be read)');
    }
    return { open: out, ignored: Math.max(0, refs.length - MAX_BODY_REFERENCES) };
  }

  private async isOpen(n: number, ctx: BlockerContext): Promise<boolean> {
    if (ctx.listed.has(n)) return true;
    const seen = this.closedAt.get(n);
    if (seen !== undefined && (ctx.fresh ? seen.listing === this.listing : this.now() - seen.at < CLOSED_MEMORY_MS)) return false;
    let state: 'open' | 'closed' | 'gone';
    try {
      const res = await this.gh.request('GET /repos/{owner}/{repo}/issues/{issue_number}', { ...this.repo, issue_number: n });
      const blocker = parseIssue(res.data);
      const here = blocker.repositoryUrl === null || isRepository(blocker.repositoryUrl, `${this.repo.owner}/${this.repo.repo}`);
      state = !here ? 'gone' : blocker.state === 'open' ? 'open' : 'closed';
    } catch (err) {
      // No such issue (404), deleted (410) or transferred away (301): nothing here can block.
      const status = statusOf(err);
      if (status !== 404 && status !== 410 && status !== 301) throw this.mapError(err, `reading blocker #${n}`);
      state = 'gone';
    }
    if (state === 'open') {
      this.closedAt.delete(n);
      return true;
    }
    if (this.closedAt.size > 2000) this.forgetOld();
    this.closedAt.set(n, { at: this.now(), listing: this.listing });
    return false;
  }

  private forgetOld(): void {
    const now = this.now();
    for (const [n, seen] of this.closedAt) if (now - seen.at >= CLOSED_MEMORY_MS) this.closedAt.delete(n);
  }

  /** Open native blockers, asked only when the issue's summary counts some (or the server sends none). */
  private async nativeOpen(issue: GhIssue): Promise<string[]> {
    const summary = issue.dependencies;
    if (summary !== null && summary.blockedBy === 0) {
      this.native.delete(issue.number);
      return [];
    }
    if (this.dependenciesMissing) return summary === null ? [] : [`${summary.blockedBy} native blocker(s)`];
    const key = summary === null ? null : `${summary.blockedBy}/${summary.totalBlockedBy}`;
    const known = this.native.get(issue.number);
    if (key !== null && known?.summary === key) return known.open;
    let raw: unknown;
    try {
      raw = (await this.gh.request(DEPENDENCIES, { ...this.repo, issue_number: issue.number, per_page: PAGE })).data;
    } catch (err) {
      if (statusOf(err) === 404) {
        this.dependenciesMissing = true;
        return summary === null ? [] : [`${summary.blockedBy} native blocker(s)`];
      }
      throw this.mapError(err, 'reading dependencies');
    }
    const open: string[] = [];
    // The list holds closed blockers too (each with its `state`): only open ones block.
    for (const item of Array.isArray(raw) ? raw : []) {
      const blocker = parseIssue(item);
      if (blocker.state !== 'open') continue;
      const url = blocker.repositoryUrl;
      const other = url !== null && !isRepository(url, `${this.repo.owner}/${this.repo.repo}`);
      open.push(other ? `${url.replace(/^.*\/repos\//, '')}#${blocker.number}` : `#${blocker.number}`);
    }
    if (key !== null) this.native.set(issue.number, { summary: key, open });
    return open;
  }
}
