// Reading an issue's comments without reading all of them (tail-pages.ts): page 1, where swarm's own
// status comment usually sits, then from the end backwards — enough for the newest NEWEST_COMMENTS, and
// further only while the caller still looks for something (the sticky comment), never beyond
// MAX_COMMENT_PAGES requests in all.

import type { GitHubClient } from './client.js';
import { NEWEST_COMMENTS, parseComment, type GhComment } from './map.js';
import { readTail } from './tail-pages.js';

export { NEWEST_COMMENTS };
/** Most pages one read of an issue's comments requests (10 × 100 comments). */
export const MAX_COMMENT_PAGES = 10;

export interface CommentRead {
  /** The comments read, oldest first (pages in the middle may be missing: see `complete`). */
  comments: GhComment[];
  /** Every comment of the issue was read. */
  complete: boolean;
  /** How many comments the issue has (from the page count; exact when complete). */
  total: number;
  /** The comments read include the issue's newest NEWEST_COMMENTS (or all of them). */
  hasNewest: boolean;
}

/**
 * Read the issue's comments until the newest NEWEST_COMMENTS are in hand and `wanted` (when given) has found
 * what it looks for among the comments read, or the page budget is spent.
 */
export async function readComments(gh: GitHubClient, repo: { owner: string; repo: string }, issue: number, wanted?: (c: GhComment) => boolean): Promise<CommentRead> {
  const read = await readTail(
    (page, perPage) => gh.request('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...repo, issue_number: issue, per_page: perPage, page }),
    parseComment,
    (newest, all) => newest.length >= NEWEST_COMMENTS && (wanted === undefined || all.some(wanted)),
    MAX_COMMENT_PAGES,
  );
  return { comments: read.items, complete: read.complete, total: read.total, hasNewest: read.complete || read.newest.length >= NEWEST_COMMENTS };
}
