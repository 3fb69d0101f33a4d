// The queue as `swarm status` and /metrics show it (PURE): every listed ticket's lane, the tickets that
// could run but wait for their lane, a pause or the budget — with the sentence eligibility() gives, so what
// status says is what the loop does — and how many tickets wait to start in each lane.
import type { Ticket } from '../tracker/types.js';
import type { Config } from '../config/types.js';
import { retrustFix } from '../config/tracker-facts.js';
import { eligibility, type EligibilityChecks, type EligibilityContext } from './policy.js';
import { laneComparator, laneOf } from './lanes.js';
import type { QueueView } from './views.js';


/** The tickets held as untrusted at this poll, for `swarm status` and the console. */
export function untrustedView(refused: Pick<ReadonlyMap<string, string>, 'has' | 'get'>, tickets: readonly Ticket[], config: Config): NonNullable<QueueView['untrusted']> {
  const fix = retrustFix(config.tracker);
  return tickets.filter((t) => refused.has(t.key)).map((t) => ({ ticket: t.identifier, key: t.key, title: t.title, reason: refused.get(t.key)!, fix }));
}

/** Rules that make a ticket wait (for a known end, or a budget) rather than rule it out. */
const WAITS: ReadonlySet<string> = new Set(['pause', 'lane', 'budget']);

export function queueView(tickets: readonly Ticket[], ctx: EligibilityContext, checks?: EligibilityChecks): QueueView {
  const out: QueueView = { waiting: [], lanes: {}, lane_queue: { urgent: 0, normal: 0, background: 0 } };
  for (const t of [...tickets].sort(laneComparator(ctx.config))) {
    const lane = laneOf(t, ctx.config);
    const failing = (checks?.get(t.key) ?? eligibility(t, ctx)).filter((c) => !c.pass);
    const waits = failing.filter((c) => WAITS.has(c.rule));
    const others = failing.filter((c) => !WAITS.has(c.rule));
    const entry: QueueView['lanes'][string] = { lane };
    if (waits.length > 0 && others.every((c) => c.rule === 'retry_wait')) entry.waiting_because = waits[0]!.detail;
    out.lanes[t.key] = entry;
    if (others.length > 0) continue; // running, retrying, or not something swarm works on
    out.lane_queue[lane]++;
    if (waits.length > 0) out.waiting.push({ ticket: t.identifier, key: t.key, title: t.title, lane, waiting_because: waits[0]!.detail });
  }
  return out;
}
