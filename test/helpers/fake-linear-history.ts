// Who did what in the fake Linear: workspace roles on User, Issue.history entries recorded for every change
// (through the API or the test's own hands), integration actors, and the schema slice that serves them. Names
// and meanings from Linear's schema (packages/sdk/src/schema.graphql of github:linear/linear):
// - User: `admin` ("Whether the user is a workspace administrator. On Free plans, all members are treated as
//   admins."), `owner` ("a workspace owner, which is the highest permission level"), `guest` ("a guest in the
//   workspace and limited to accessing a subset of teams"), `app` ("Whether the user is an app"), `active`
//   ("active or disabled (suspended)"), `isMe`.
// - IssueHistory: `actor` ("may be empty in the case of integrations or automations"), `botActor: ActorBot`
//   ("The bot that performed the action"), `addedLabelIds` / `removedLabelIds`, `fromStateId` / `toStateId`,
//   `fromTitle` / `toTitle`, `updatedDescription` ("Whether the issue's description was updated"),
//   `descriptionUpdatedBy` ("The actors that edited the description of the issue, if any"), `createdAt`,
//   `updatedAt`.
// - ActorBot: `id`, `type` ("the source type of the bot … e.g. 'github', 'slack', 'workflow', 'ai'"), `subType`,
//   `name`, `userDisplayName`, `avatarUrl`. Comment.botActor likewise.
// Not verified, and what the fake does: the order of `Issue.history` (served newest first, like comments;
// swarm reads the order from the data), and whether creating an issue with labels writes a history entry (it
// does not here: swarm then takes the creator as the one who applied them). Each change is one entry (Linear
// groups a run of edits into one entry whose `updatedAt` moves; `editIssue(…, {merge: true})` models that).

import { randomUUID } from 'node:crypto';
import type { FieldDef, Schema } from './fake-graphql.js';

export interface FBot { id: string; type: string; name: string }

export interface FHistory {
  id: string;
  issueId: string;
  createdAt: string;
  updatedAt: string;
  actorId: string | null;
  bot: FBot | null;
  addedLabelIds: string[] | null;
  removedLabelIds: string[] | null;
  fromStateId: string | null;
  toStateId: string | null;
  fromTitle: string | null;
  toTitle: string | null;
  updatedDescription: boolean | null;
  /** User ids of those who edited the description in this entry. */
  descriptionUpdatedBy: string[] | null;
}

/** Who makes a change: a user (by id), an integration, or nobody known. */
export type Doer = { userId: string } | { bot: FBot } | null;

export type HistoryChange = Partial<Pick<FHistory, 'addedLabelIds' | 'removedLabelIds' | 'fromStateId' | 'toStateId' | 'fromTitle' | 'toTitle'>> & { description?: boolean };

/**
 * Append one history entry for `change` made by `doer` at `at`. `merge` folds a description edit into the
 * newest entry instead — its `updatedAt` moves and the editor joins `descriptionUpdatedBy` — the way Linear
 * shows a run of edits as one entry (its actor stays the entry's first).
 */
export function recordChange(history: FHistory[], issueId: string, change: HistoryChange, doer: Doer, at: string, merge = false): void {
  const by = doer && 'userId' in doer ? doer.userId : null;
  const last = history.at(-1);
  if (merge && last) {
    last.updatedAt = at;
    if (change.description) {
      last.updatedDescription = true;
      if (by && !(last.descriptionUpdatedBy ?? []).includes(by)) last.descriptionUpdatedBy = [...(last.descriptionUpdatedBy ?? []), by];
    }
    return;
  }
  history.push({
    id: randomUUID(), issueId, createdAt: at, updatedAt: at, actorId: by, bot: doer && 'bot' in doer ? doer.bot : null,
    addedLabelIds: change.addedLabelIds?.length ? [...change.addedLabelIds] : null,
    removedLabelIds: change.removedLabelIds?.length ? [...change.removedLabelIds] : null,
    fromStateId: change.fromStateId ?? null, toStateId: change.toStateId ?? null,
    fromTitle: change.fromTitle ?? null, toTitle: change.toTitle ?? null,
    updatedDescription: change.description ? true : null,
    descriptionUpdatedBy: change.description && by ? [by] : null,
  });
}

/** The label ids added and removed going from `before` to `after`. */
export function labelDiff(before: string[], after: string[]): Pick<HistoryChange, 'addedLabelIds' | 'removedLabelIds'> {
  return { addedLabelIds: after.filter((id) => !before.includes(id)), removedLabelIds: before.filter((id) => !after.includes(id)) };
}

/**
 * Add the history slice to a schema: User's role fields, Issue.history, IssueHistory, ActorBot, Comment.botActor.
 * `user(id)` finds a user; `historyOf(issue)` and `botOf(comment)` read the fake's records.
 */
export function addHistorySchema(
  schema: Schema,
  o: {
    user: (id: string | null) => unknown;
    historyOf: (issue: any) => FHistory[];
    botOf: (comment: any) => FBot | null;
    viewerId: () => string | null;
    conn: (node: string) => Pick<FieldDef, 'args'> & { type: string };
    page: <T extends { id: string }>(items: T[], args: Record<string, any>) => unknown;
  },
): void {
  const bool = (name: string) => ({ type: 'Boolean', resolve: (u: Record<string, unknown>) => u[name] === true });
  schema.User = {
    ...schema.User,
    admin: bool('admin'), owner: bool('owner'), guest: bool('guest'), app: bool('app'),
    active: { type: 'Boolean', resolve: (u: Record<string, unknown>) => u.active !== false },
    isMe: { type: 'Boolean', resolve: (u: { id: string }) => u.id === o.viewerId() },
  };
  schema.ActorBot = { id: { type: 'ID' }, type: { type: 'String' }, subType: { type: 'String' }, name: { type: 'String' }, userDisplayName: { type: 'String' }, avatarUrl: { type: 'String' } };
  schema.IssueHistory = {
    id: { type: 'ID' }, createdAt: { type: 'DateTime' }, updatedAt: { type: 'DateTime' },
    actorId: { type: 'String' },
    actor: { type: 'User', resolve: (h: FHistory) => o.user(h.actorId) },
    botActor: { type: 'ActorBot', resolve: (h: FHistory) => h.bot },
    addedLabelIds: { type: '[String]' }, removedLabelIds: { type: '[String]' },
    fromStateId: { type: 'String' }, toStateId: { type: 'String' },
    fromTitle: { type: 'String' }, toTitle: { type: 'String' },
    updatedDescription: { type: 'Boolean' },
    descriptionUpdatedBy: { type: '[User]', resolve: (h: FHistory) => (h.descriptionUpdatedBy === null ? null : h.descriptionUpdatedBy.map((id) => o.user(id)).filter(Boolean)) },
  };
  schema.IssueHistoryConnection = { nodes: { type: '[IssueHistory]' }, pageInfo: { type: 'PageInfo' } };
  schema.Issue = { ...schema.Issue, history: { ...o.conn('IssueHistory'), resolve: (i: unknown, a) => o.page([...o.historyOf(i)].reverse(), a) } };
  schema.Comment = { ...schema.Comment, botActor: { type: 'ActorBot', resolve: (c: unknown) => o.botOf(c) } };
}
