// PURE: what a configuration's polling costs Linear an hour, from what one full sweep and one incremental
// poll cost when measured (X-Complexity of each answer), against the key's budgets as Linear reports them
// (X-RateLimit-Complexity-Limit / X-RateLimit-Requests-Limit: buckets that refill over an hour, Linear's
// rate-limiting page). `swarm doctor` warns above half of either: the rest is for claims, comments and
// everything else the key is used for.
import type { PollCost } from './poll.js';
import type { BudgetView } from './budgets.js';

export interface PollingCostEstimate {
  polls: number;
  sweeps: number;
  points: number;
  requests: number;
  /** Whether either figure is more than half the reported hourly budget (false when none was reported). */
  overHalf: boolean;
  /** One sentence for doctor. */
  detail: string;
}

const HOUR = 3_600_000;
const n = (x: number) => Math.round(x).toLocaleString('en-US');

export function pollingCostPerHour(intervalMs: number, fullSweepMs: number, sweep: PollCost, changes: PollCost, budgets: BudgetView): PollingCostEstimate {
  const polls = HOUR / Math.max(1, intervalMs);
  // A sweep takes the place of the poll at which it falls due.
  const sweeps = Math.min(polls, HOUR / Math.max(intervalMs, fullSweepMs));
  const points = sweeps * (sweep.complexity ?? 0) + (polls - sweeps) * (changes.complexity ?? 0);
  const requests = sweeps * sweep.requests + (polls - sweeps) * changes.requests;
  const pointsLimit = budgets.complexity.limit;
  const requestsLimit = budgets.requests.limit;
  const overPoints = pointsLimit !== null && points > pointsLimit / 2;
  const overRequests = requestsLimit !== null && requests > requestsLimit / 2;
  const what = `polling costs about ${n(points)} complexity points and ${n(requests)} requests an hour ` +
    `(${n(sweeps)} full sweep(s) of ${sweep.requests} page(s) at ~${n(sweep.complexity ?? 0)} points, ` +
    `${n(polls - sweeps)} incremental poll(s) at ~${n(changes.complexity ?? 0)} points)`;
  const budget = pointsLimit === null && requestsLimit === null
    ? 'Linear reported no hourly budget'
    : `the key's hourly budget is ${pointsLimit === null ? '?' : n(pointsLimit)} points and ${requestsLimit === null ? '?' : n(requestsLimit)} requests`;
  return { polls, sweeps, points, requests, overHalf: overPoints || overRequests, detail: `${what}; ${budget}` };
}
