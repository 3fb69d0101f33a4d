// The one sticky status comment per ticket: how it is recognised and how its body is normalised.
// Shared by the adapters so "which comment is ours" means the same everywhere.

import { STICKY_MARKER } from './types.js';

/** The body swarm writes: always carries the hidden marker (prepended when the caller left it out). */
export function stickyBody(content: string): string {
  return content.includes(STICKY_MARKER) ? content : `${STICKY_MARKER}\n${content}`;
}

export interface CommentLike {
  id: string | number;
  author: string | null;
  body: string;
}

/**
 * The sticky comment among `comments`: carries the marker and was written by `self` (the token's user).
 * When `self` is unknown (e.g. an App token that cannot read /user) the marker alone decides.
 * The oldest match wins so a duplicate left by a crash never moves the sticky around.
 */
export function findSticky<T extends CommentLike>(comments: readonly T[], self: string | null): T | null {
  for (const c of comments) {
    if (!c.body.includes(STICKY_MARKER)) continue;
    if (self !== null && (c.author ?? '').toLowerCase() !== self.toLowerCase()) continue;
    return c;
  }
  return null;
}
