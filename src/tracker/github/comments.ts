// Issue comments on GitHub: reading them (bounded: comment-pages.ts) and keeping swarm's one sticky status comment, found by
// marker + token author, its id cached so later updates are a single PATCH (or nothing when unchanged).
// Creating it is the one non-idempotent write here: after an ambiguous failure the comment is looked up
// before it is created again, so a lost answer never leaves two status comments.
//
// One listing per claim: the listing the first sticky write needs (to find an existing status comment) is
// handed, with that write applied, to the prompt's comments() read that follows moments later, instead of
// listing the same comments twice. It is used once and only while fresh (HANDOFF_MS).

import type { GitHubClient } from './client.js';
import { isAmbiguous, statusOf } from './errors.js';
import { parseComment, type GhComment } from './map.js';
import { readComments, type CommentRead } from './comment-pages.js';
import { findSticky, stickyBody } from '../sticky.js';
import { STICKY_MARKER } from '../types.js';
import { type TrackerError } from '../../errors.js';

/** How long a listing taken for the sticky may stand in for the prompt's read of the same comments. */
export const HANDOFF_MS = 30_000;

export class GitHubComments {
  private readonly stickies = new Map<number, { id: number; body: string }>();
  private readonly handoff = new Map<number, { at: number; read: CommentRead }>();

  constructor(
    private readonly gh: GitHubClient,
    private readonly repo: { owner: string; repo: string },
    private readonly selfLogin: () => Promise<string | null>,
    private readonly mapError: (err: unknown, what: string) => TrackerError,
    private readonly now: () => number = Date.now,
  ) {}

  /** The issue's comments: the listing the sticky write just took (once, while fresh), else a new one. */
  async current(issue: number): Promise<CommentRead> {
    const h = this.handoff.get(issue);
    this.handoff.delete(issue);
    if (h && h.read.hasNewest && this.now() - h.at < HANDOFF_MS) return h.read;
    return this.list(issue);
  }

  private keep(issue: number, at: number, listed: CommentRead, sticky: GhComment): void {
    const has = listed.comments.some((c) => c.id === sticky.id);
    const comments = has ? listed.comments.map((c) => (c.id === sticky.id ? sticky : c)) : [...listed.comments, sticky];
    if (this.handoff.size > 500) this.handoff.clear();
    this.handoff.set(issue, { at, read: { ...listed, comments, total: listed.total + (has ? 0 : 1) } });
  }

  /** A bounded read of the issue's comments; with `sticky`, it goes on looking for swarm's status comment. */
  async list(issue: number, sticky = false): Promise<CommentRead> {
    const self = sticky ? await this.selfLogin() : null;
    const wanted = sticky ? (c: GhComment) => c.body.includes(STICKY_MARKER) && (self === null || (c.author ?? '').toLowerCase() === self.toLowerCase()) : undefined;
    try {
      return await readComments(this.gh, this.repo, issue, wanted);
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
    const listedAt = this.now();
    const listed = await this.list(issue, true);
    const found = await this.stickyAmong(listed.comments);
    if (found && (found.body === body || (await this.edit(found.id, body)))) {
      this.stickies.set(issue, { id: found.id, body });
      this.keep(issue, listedAt, listed, { ...found, body });
      return;
    }
    try {
      // Not idempotent: sent once, never re-sent by the retry plugin.
      const res = await this.gh.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...this.repo, issue_number: issue, body, request: { retries: 0 } });
      const created = parseComment(res.data);
      this.stickies.set(issue, { id: created.id, body });
      this.keep(issue, listedAt, listed, created);
    } catch (err) {
      // A timeout or a 5xx may still have created it: look before creating a second one.
      if (isAmbiguous(err)) {
        const landed = await this.list(issue, true).then((r) => this.stickyAmong(r.comments)).catch(() => null);
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
