// Issue comments on GitHub: reading them (paginated) and keeping swarm's one sticky status comment, found by
// marker + token author, its id cached so later updates are a single PATCH (or nothing when unchanged).
// Creating it is the one non-idempotent write here: after an ambiguous failure the comment is looked up
// before it is created again, so a lost answer never leaves two status comments.

import type { GitHubClient } from './client.js';
import { isAmbiguous, statusOf } from './errors.js';
import { parseComment, type GhComment } from './map.js';
import { findSticky, stickyBody } from '../sticky.js';
import { type TrackerError } from '../../errors.js';

const PAGE = 100;

export class GitHubComments {
  private readonly stickies = new Map<number, { id: number; body: string }>();

  constructor(
    private readonly gh: GitHubClient,
    private readonly repo: { owner: string; repo: string },
    private readonly selfLogin: () => Promise<string | null>,
    private readonly mapError: (err: unknown, what: string) => TrackerError,
  ) {}

  async list(issue: number): Promise<GhComment[]> {
    try {
      const raw = await this.gh.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...this.repo, issue_number: issue, per_page: PAGE });
      return (raw as unknown[]).map(parseComment);
    } catch (err) {
      throw this.mapError(err, 'reading comments');
    }
  }

  /** The sticky among already-listed comments (to leave it out of the conversation). */
  async stickyAmong(comments: readonly GhComment[]): Promise<GhComment | null> {
    return findSticky(comments, await this.selfLogin());
  }

  /** Create-or-edit the one status comment on `issue`. */
  async upsertSticky(issue: number, content: string): Promise<void> {
    const body = stickyBody(content);
    const known = this.stickies.get(issue);
    if (known) {
      if (known.body === body) return;
      if (await this.edit(known.id, body)) {
        this.stickies.set(issue, { id: known.id, body });
        return;
      }
      this.stickies.delete(issue); // deleted by someone: find another or recreate
    }
    const found = await this.stickyAmong(await this.list(issue));
    if (found && (found.body === body || (await this.edit(found.id, body)))) {
      this.stickies.set(issue, { id: found.id, body });
      return;
    }
    try {
      // Not idempotent: sent once, never re-sent by the retry plugin.
      const res = await this.gh.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...this.repo, issue_number: issue, body, request: { retries: 0 } });
      this.stickies.set(issue, { id: parseComment(res.data).id, body });
    } catch (err) {
      // A timeout or a 5xx may still have created it: look before creating a second one.
      if (isAmbiguous(err)) {
        const landed = await this.stickyAmong(await this.list(issue)).catch(() => null);
        if (landed && (landed.body === body || (await this.edit(landed.id, body)))) {
          this.stickies.set(issue, { id: landed.id, body });
          return;
        }
      }
      throw this.mapError(err, 'creating the status comment');
    }
  }

  /** PATCH a comment; false when it no longer exists. */
  private async edit(id: number, body: string): Promise<boolean> {
    try {
      await this.gh.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { ...this.repo, comment_id: id, body });
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw this.mapError(err, 'editing the status comment');
    }
  }
}
