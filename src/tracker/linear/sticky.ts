// The Linear adapter's sticky comment: one comment per issue, written by the viewer (swarm's API key) and
// carrying STICKY_MARKER, created once and edited after. Its id and body are remembered, so an unchanged
// status costs nothing; a comment someone deleted is created again; a create that timed out or met a
// server error is looked up before a second one is created (it may have landed).
import { STICKY_MARKER } from '../types.js';
import { stickyBody } from '../sticky.js';
import type { LinearTransport } from './transport.js';
import * as Q from './queries.js';
import { TrackerError } from '../../errors.js';

export interface LinearSticky {
  /** Bring the issue's sticky comment to `text` (idempotent). */
  show(issueId: string, text: string, viewerId: string): Promise<void>;
}

export function createLinearSticky(api: LinearTransport): LinearSticky {
  const known = new Map<string, { id: string; body: string }>(); // issue id → sticky comment and its body

  async function find(issueId: string, viewerId: string): Promise<string | null> {
    let after: string | null = null;
    for (let i = 0; i < Q.MAX_PAGES; i++) {
      const conn: unknown = Q.obj((await api.request(Q.COMMENTS_QUERY, { id: issueId, after } satisfies Q.Vars['issuePage'])).issue, 'issue').comments;
      for (const c of Q.nodes(conn, 'comments')) {
        const user = c.user === null || c.user === undefined ? null : Q.obj(c.user, 'comment.user');
        if (user?.id === viewerId && Q.str(c.body, 'comment.body').includes(STICKY_MARKER)) return Q.str(c.id, 'comment.id');
      }
      const p = Q.pageInfo(conn, 'comments');
      if (!p.hasNextPage || !p.endCursor) break;
      after = p.endCursor;
    }
    return null;
  }

  const update = (id: string, body: string) => api.request(Q.COMMENT_UPDATE_MUTATION, { id, input: { body } } satisfies Q.Vars['commentUpdate']);

  return {
    async show(issueId, text, viewerId) {
      const body = stickyBody(text);
      const seen = known.get(issueId);
      if (seen?.body === body) return;
      const id = seen?.id ?? (await find(issueId, viewerId));
      if (id) {
        try {
          await update(id, body);
          known.set(issueId, { id, body });
          return;
        } catch (err) {
          // Someone deleted the comment: forget it and create a new one.
          if (!(err instanceof TrackerError && err.kind === 'not_found')) throw err;
          known.delete(issueId);
        }
      }
      let data: Record<string, unknown>;
      try {
        data = await api.request(Q.COMMENT_CREATE_MUTATION, { input: { issueId, body } } satisfies Q.Vars['commentCreate']);
      } catch (err) {
        // No answer or a server error: the comment may exist anyway. Look before creating a second one.
        const landed = err instanceof TrackerError && err.kind === 'unavailable' ? await find(issueId, viewerId).catch(() => null) : null;
        if (landed === null) throw err;
        await update(landed, body);
        known.set(issueId, { id: landed, body });
        return;
      }
      const comment = Q.obj(Q.obj(data.commentCreate, 'commentCreate').comment, 'commentCreate.comment');
      known.set(issueId, { id: Q.str(comment.id, 'comment.id'), body });
    },
  };
}
