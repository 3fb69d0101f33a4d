// A verified GitHub delivery → the objects to look at again (pure). Shapes as GitHub's webhook schemas
// define them ("webhook-issues-labeled", "webhook-check-run-completed", "webhook-status", … in the REST
// description, github/rest-api-description as shipped in @octokit/openapi-types; docs.github.com "Webhook
// events and payloads"). Nothing read here is believed: an issue number becomes "re-read issue N of this
// repository", a sha "re-observe the PR whose head this is". Hostile payloads — missing fields, wrong
// types, enormous arrays — map to fewer hints or none, never to an exception.
import { emptyHints, hintCount, MAX_HINTS_PER_DELIVERY, num, obj, push, sha, str, type Hints, type Mapped } from './hints.js';
import { STICKY_MARKER } from '../tracker/types.js';

/** The events `swarm webhooks setup` subscribes to (and the only ones mapped here, besides ping). */
export const GITHUB_EVENTS = [
  'issues', 'issue_comment', 'pull_request', 'pull_request_review', 'pull_request_review_comment',
  'check_run', 'check_suite', 'status', 'workflow_run',
] as const;

/** Actions that can change what swarm decides; other actions of these events are ignored. */
const ACTIONS: Record<string, readonly string[] | null> = {
  // Eligibility (labels, state, title/body trust) and the fate of a claimed or handed-off ticket.
  issues: ['opened', 'labeled', 'unlabeled', 'edited', 'closed', 'reopened', 'transferred', 'deleted'],
  issue_comment: ['created', 'edited', 'deleted'],
  // A PR closed or merged ends or verifies its ticket; a push (synchronize) changes its head.
  pull_request: ['closed', 'reopened', 'synchronize'],
  pull_request_review: ['submitted', 'edited', 'dismissed'],
  pull_request_review_comment: ['created', 'edited', 'deleted'],
  // Only a finished check or workflow can fail; a queued or started one changes nothing yet.
  check_run: ['completed'],
  check_suite: ['completed'],
  workflow_run: ['completed'],
  // Commit statuses have no action; `pending` is filtered below.
  status: null,
};

/**
 * `repo`: this daemon's owner/name; a delivery about another repository (a hook shared by mistake, an
 * organization hook) is ignored. Compared regardless of case, as GitHub treats repository names.
 */
export function mapGithubDelivery(event: string, payload: unknown, repo: string | null): Mapped {
  const p = obj(payload);
  const action = str(p?.action, 100);
  if (event === 'ping') return { kind: 'ping', event };
  const ignored = (reason: string): Mapped => ({ kind: 'ignored', event, action, reason });
  if (!p) return ignored('the payload is not a JSON object');
  if (!(event in ACTIONS)) return ignored(`swarm does not use ${event} events`);
  const allowed = ACTIONS[event];
  if (allowed && (action === null || !allowed.includes(action))) return ignored(`${event}.${action ?? '(no action)'} changes nothing swarm decides`);
  const fullName = str(obj(p.repository)?.full_name);
  if (repo !== null && (fullName === null || fullName.toLowerCase() !== repo.toLowerCase())) {
    return ignored(`it is about ${fullName ?? 'no repository'}, not ${repo}`);
  }
  const h = emptyHints();
  const total = () => hintCount(h);
  switch (event) {
    case 'issues':
    case 'issue_comment': {
      // swarm's own status comment changes with every step of a claim: nothing to look at (skipping a look
      // on the payload's word can only delay, never cause, an action — the next poll sees it all).
      const body = str(obj(p.comment)?.body, 1_000_000);
      if (event === 'issue_comment' && body !== null && body.includes(STICKY_MARKER)) return ignored("it is swarm's own status comment");
      const issue = obj(p.issue);
      const n = num(issue?.number);
      // issue_comment is sent for pull requests too: the issue then carries a `pull_request` object.
      if (issue && obj(issue.pull_request)) push(h.prs, n, total);
      else push(h.tickets, n === null ? null : String(n), total);
      break;
    }
    case 'pull_request':
    case 'pull_request_review':
    case 'pull_request_review_comment':
      push(h.prs, num(obj(p.pull_request)?.number), total);
      break;
    case 'check_run':
    case 'check_suite':
    case 'workflow_run': {
      const run = obj(p[event]);
      push(h.commits, sha(run?.head_sha), total);
      prsOf(run?.pull_requests, h.prs, total);
      break;
    }
    case 'status':
      if (p.state === 'pending') return ignored('a pending commit status changes nothing yet');
      push(h.commits, sha(p.sha), total);
      break;
  }
  if (total() === 0) return ignored('it names no issue, pull request or commit swarm can look up');
  return { kind: 'hints', event, action, hints: h };
}

/** `pull_requests: [{number, …}]` of a check run, check suite or workflow run: only the first few are read. */
function prsOf(list: unknown, into: Hints['prs'], total: () => number): void {
  if (!Array.isArray(list)) return;
  const end = Math.min(list.length, MAX_HINTS_PER_DELIVERY);
  for (let i = 0; i < end; i++) push(into, num(obj(list[i])?.number), total);
}
