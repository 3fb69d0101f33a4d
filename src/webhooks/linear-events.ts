// A verified Linear delivery → the issue to look at again (pure). Payload shape as Linear's webhook docs
// describe it (linear.app/developers/webhooks, "The webhook payload"): `{action: create|update|remove,
// type: "Issue"|"Comment"|…, data: {…the entity…}, url, webhookTimestamp, webhookId}`; an Issue's data has
// `id` and `identifier` ("ENG-12") and its team (`teamId`, and `team.key` in current payloads); a Comment's
// data has `issueId` (and `issue {id, identifier}` in current payloads). Nothing read here is believed: the
// issue is re-read through the API and checked against the team there. A payload for another team is
// ignored on its word only because ignoring cannot do harm (the next poll sees whatever the hook missed).
import { emptyHints, obj, push, str, hintCount, type Mapped } from './hints.js';

/** The resource types `swarm webhooks setup` subscribes to. */
export const LINEAR_RESOURCE_TYPES = ['Issue', 'Comment'] as const;

const ACTIONS = ['create', 'update', 'remove'];
const IDENTIFIER = /^[A-Za-z0-9]{1,20}-\d{1,9}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `team`: tracker.team (its key). */
export function mapLinearDelivery(payload: unknown, team: string | null): Mapped {
  const p = obj(payload);
  const type = str(p?.type, 100) ?? '(no type)';
  const action = str(p?.action, 100);
  const ignored = (reason: string): Mapped => ({ kind: 'ignored', event: type, action, reason });
  if (!p) return ignored('the payload is not a JSON object');
  if (type !== 'Issue' && type !== 'Comment') return ignored(`swarm does not use ${type} events`);
  if (action === null || !ACTIONS.includes(action)) return ignored(`${type}.${action ?? '(no action)'} changes nothing swarm decides`);
  const data = obj(p.data);
  const issue = type === 'Issue' ? data : obj(data?.issue);
  const identifier = str(issue?.identifier, 40);
  const ref = identifier !== null && IDENTIFIER.test(identifier) ? identifier.toUpperCase() : uuidOf(type === 'Issue' ? data?.id : data?.issueId ?? issue?.id);
  const teamKey = str(obj(issue?.team)?.key, 40) ?? (identifier !== null && IDENTIFIER.test(identifier) ? identifier.split('-')[0]! : null);
  if (team !== null && teamKey !== null && teamKey.toUpperCase() !== team.toUpperCase()) return ignored(`it is about team ${teamKey}, not ${team}`);
  const h = emptyHints();
  push(h.tickets, ref, () => hintCount(h));
  if (hintCount(h) === 0) return ignored('it names no issue swarm can look up');
  return { kind: 'hints', event: type, action, hints: h };
}

function uuidOf(v: unknown): string | null {
  const s = str(v, 36);
  return s !== null && UUID.test(s) ? s.toLowerCase() : null;
}
