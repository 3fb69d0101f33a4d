// Which of an issue's comments may reach the prompt: the newest NEWEST_COMMENTS (swarm's own status comment
// left out), each trusted only when its author is the token user or has write access. A commenter's access
// is looked up once per PERMISSION_TTL_MS (people.ts), and at most COMMENTER_LOOKUPS new look-ups are made
// per read: an issue with hundreds of commenters costs a bounded number of requests per attempt, and the
// commenters not looked up yet count as untrusted this time (left out, never let in). Who is looked up
// first: authors GitHub marks as owner, member or collaborator (author_association — a hint for the order
// only, as it misreports private organization members), then the newest comments' authors.

import type { TicketComment } from '../types.js';
import { NEWEST_COMMENTS, type CommentRead } from './comment-pages.js';
import type { GhComment } from './map.js';
import type { GitHubPeople } from './people.js';

/** New permission look-ups one read of the comments may make. */
export const COMMENTER_LOOKUPS = 10;

const RANK: Record<string, number> = { OWNER: 0, MEMBER: 0, COLLABORATOR: 0, CONTRIBUTOR: 1 };

export async function commentsForPrompt(read: CommentRead, sticky: GhComment | null, people: Pick<GitHubPeople, 'knows' | 'isSelf' | 'isWriter'>): Promise<TicketComment[]> {
  const newest = read.comments.filter((c) => c.id !== sticky?.id).sort((a, b) => a.id - b.id).slice(-NEWEST_COMMENTS);
  const unknown = new Map<string, { rank: number; at: number }>();
  for (const c of newest) {
    if (c.author === null || people.knows(c.author) || (await people.isSelf(c.author))) continue;
    const key = c.author.toLowerCase();
    const prev = unknown.get(key);
    unknown.set(key, { rank: Math.min(prev?.rank ?? 2, RANK[c.association] ?? 2), at: Math.max(prev?.at ?? 0, c.id) });
  }
  const lookups = new Set([...unknown.entries()].sort((a, b) => a[1].rank - b[1].rank || b[1].at - a[1].at).slice(0, COMMENTER_LOOKUPS).map(([k]) => k));
  const out: TicketComment[] = [];
  for (const c of newest) {
    const checkable = c.author !== null && (!unknown.has(c.author.toLowerCase()) || lookups.has(c.author.toLowerCase()));
    out.push({ author: c.author ?? 'ghost', body: c.body, created_at: c.created_at, trusted: checkable && (await people.isWriter(c.author)) });
  }
  return out;
}
