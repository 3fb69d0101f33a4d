// The Linear documents trust is decided on, and the edge validation of their payloads. Fields as in Linear's
// schema (packages/sdk/src/schema.graphql of github:linear/linear): Issue.history (IssueHistory: actor,
// botActor, addedLabelIds, removedLabelIds, fromStateId, toStateId, updatedDescription, descriptionUpdatedBy,
// fromTitle, toTitle, createdAt, updatedAt), Issue.creator, Comment.user / botActor, and the User fields that
// say who someone is in the workspace (admin, owner, guest, app, active, email). Each document is scored by
// test/unit/linear-complexity.test.ts (at most 5,000 points).

import type { LinearDocument as L } from '@linear/sdk';
import { nodes, obj, optStr, pageInfo, str } from './queries.js';

/** History entries per page; MAX_HISTORY_PAGES bound one read. */
export const HISTORY_PAGE = 50;
export const MAX_HISTORY_PAGES = 4;
/** Comments a prompt may carry: the newest this many. */
export const NEWEST_COMMENTS = 100;

const USER_FIELDS = `
fragment SwarmTrustUser on User { id name email admin owner guest app active }`;

/** The issue's creator and one page of its history (who applied labels, who changed the text). */
export const ISSUE_TRUST_QUERY = `
query SwarmIssueTrust($id: String!, $after: String) {
  issue(id: $id) {
    createdAt
    creator { ...SwarmTrustUser }
    history(first: ${HISTORY_PAGE}, after: $after) {
      nodes {
        createdAt updatedAt addedLabelIds removedLabelIds fromStateId toStateId updatedDescription fromTitle toTitle
        actor { ...SwarmTrustUser }
        descriptionUpdatedBy { ...SwarmTrustUser }
        botActor { id type name }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
${USER_FIELDS}`;

/**
 * The newest comments, with who wrote them. Linear returns comments newest first and `comments` has no
 * direction argument (schpet/linear-cli#214, apexcloudwise/linear-axi#19): the first page is the newest.
 */
export const TRUSTED_COMMENTS_QUERY = `
query SwarmTrustedComments($id: String!) {
  issue(id: $id) {
    comments(first: ${NEWEST_COMMENTS}) {
      nodes { id body createdAt user { ...SwarmTrustUser displayName } botActor { id type name } }
    }
  }
}
${USER_FIELDS}`;

export interface TrustVars {
  issueTrust: L.QueryIssueArgs & Pick<L.IssueHistoryArgs, 'after'>;
  comments: L.QueryIssueArgs;
}

/** Someone acting in Linear: a user (with their workspace role flags) or a bot (integration, automation). */
export type LinearActor =
  | { kind: 'user'; id: string; name: string; email: string; admin: boolean; owner: boolean; guest: boolean; app: boolean; active: boolean; displayName?: string }
  | { kind: 'bot'; id: string | null; type: string; name: string | null };

export interface HistoryEntry {
  createdAt: string;
  updatedAt: string;
  addedLabelIds: string[];
  removedLabelIds: string[];
  fromStateId: string | null;
  toStateId: string | null;
  titleChanged: boolean;
  descriptionUpdated: boolean;
  actor: LinearActor | null;
  descriptionUpdatedBy: LinearActor[];
}

const bool = (v: unknown) => v === true;
const ids = (v: unknown, what: string): string[] => (v === null || v === undefined ? [] : Array.isArray(v) ? v.map((x) => str(x, what)) : []);

export function parseUser(raw: unknown, what: string): LinearActor | null {
  if (raw === null || raw === undefined) return null;
  const u = obj(raw, what);
  return {
    kind: 'user', id: str(u.id, `${what}.id`), name: optStr(u.name, `${what}.name`) ?? '', email: optStr(u.email, `${what}.email`) ?? '',
    admin: bool(u.admin), owner: bool(u.owner), guest: bool(u.guest), app: bool(u.app), active: u.active !== false,
    ...(typeof u.displayName === 'string' ? { displayName: u.displayName } : {}),
  };
}

export function parseBot(raw: unknown, what: string): LinearActor | null {
  if (raw === null || raw === undefined) return null;
  const b = obj(raw, what);
  return { kind: 'bot', id: optStr(b.id, `${what}.id`), type: optStr(b.type, `${what}.type`) ?? 'integration', name: optStr(b.name, `${what}.name`) };
}

export function parseHistoryPage(raw: unknown, at: string): { entries: HistoryEntry[]; next: string | null; createdAt: string; creator: LinearActor | null } {
  const issue = obj(raw, at);
  const conn = issue.history;
  const entries = nodes(conn, `${at}.history`).map((h, i): HistoryEntry => {
    const w = `${at}.history[${i}]`;
    const actor = parseUser(h.actor, `${w}.actor`) ?? parseBot(h.botActor, `${w}.botActor`);
    const by = Array.isArray(h.descriptionUpdatedBy) ? h.descriptionUpdatedBy.map((u, k) => parseUser(u, `${w}.descriptionUpdatedBy[${k}]`)).filter((u): u is LinearActor => u !== null) : [];
    return {
      createdAt: str(h.createdAt, `${w}.createdAt`),
      updatedAt: optStr(h.updatedAt, `${w}.updatedAt`) ?? str(h.createdAt, `${w}.createdAt`),
      addedLabelIds: ids(h.addedLabelIds, `${w}.addedLabelIds`),
      removedLabelIds: ids(h.removedLabelIds, `${w}.removedLabelIds`),
      fromStateId: optStr(h.fromStateId, `${w}.fromStateId`),
      toStateId: optStr(h.toStateId, `${w}.toStateId`),
      titleChanged: h.fromTitle != null || h.toTitle != null,
      descriptionUpdated: h.updatedDescription === true,
      actor,
      descriptionUpdatedBy: by,
    };
  });
  const p = pageInfo(conn, `${at}.history`);
  return { entries, next: p.hasNextPage ? p.endCursor : null, createdAt: str(issue.createdAt, `${at}.createdAt`), creator: parseUser(issue.creator, `${at}.creator`) };
}
