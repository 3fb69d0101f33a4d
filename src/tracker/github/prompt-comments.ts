// Which of an issue's comments may reach the prompt: the newest NEWEST_COMMENTS (swarm's own status comment
// left out), each trusted only when its author is the token user or has write access. A commenter's access
// is looked up once per PERMISSION_TTL_MS (people.ts), and each read makes a bounded number of new look-ups,
// newest comments' authors first: at most COMMENTER_LOOKUPS for authors GitHub marks as owner, member,
// collaborator or contributor; for everyone else (author_association NONE, FIRST_TIMER, …: almost never
// writers, though GitHub reports a private organization member that way, actions/github-script#643 — so the
// association orders the look-ups and never decides trust) only while there are at most STRANGER_LOOKUPS of
// them to look up: a flood of strangers costs no request at all. A commenter not looked up yet counts as
// untrusted this time: left out, never let in.

import type { TicketComment } from '../types.js';
import { NEWEST_COMMENTS, type CommentRead } from './comment-pages.js';
import type { GhComment } from './map.js';
import type { GitHubPeople } from './people.js';

/** New permission look-ups one read may make for commenters GitHub associates with the repository. */
export const COMMENTER_LOOKUPS = 10;
/** … and for everyone else, only when there are no more unknown ones than this (none in a flood). */
export const STRANGER_LOOKUPS = 3;

const ASSOCIATED = new Set(['OWNER', 'MEMBER', 'COLLABORATOR', 'CONTRIBUTOR']);

export async function commentsForPrompt(read: CommentRead, sticky: GhComment | null, people: Pick<GitHubPeople, 'knows' | 'isSelf' | 'isWriter'>): Promise<TicketComment[]> {
  const newest = read.comments.filter((c) => c.id !== sticky?.id).sort((a, b) => a.id - b.id).slice(-NEWEST_COMMENTS);
  const unknown = new Map<string, { associated: boolean; at: number }>();
  for (const c of newest) {
    if (c.author === null || people.knows(c.author) || (await people.isSelf(c.author))) continue;
    const key = c.author.toLowerCase();
    const prev = unknown.get(key);
    unknown.set(key, { associated: (prev?.associated ?? false) || ASSOCIATED.has(c.association), at: Math.max(prev?.at ?? 0, c.id) });
  }
  const newestFirst = [...unknown.entries()].sort((a, b) => b[1].at - a[1].at);
  const lookups = new Set([
    ...newestFirst.filter(([, u]) => u.associated).slice(0, COMMENTER_LOOKUPS),
    ...((strangers) => (strangers.length <= STRANGER_LOOKUPS ? strangers : []))(newestFirst.filter(([, u]) => !u.associated)),
  ].map(([k]) => k));
  const out: TicketComment[] = [];
  for (const c of newest) {
    const checkable = c.author !== null && (!unknown.has(c.author.toLowerCase()) || lookups.has(c.author.toLowerCase()));
    out.push({ author: c.author ?? 'ghost', body: c.body, created_at: c.created_at, trusted: checkable && (await people.isWriter(c.author)) });
  }
  return out;
}
