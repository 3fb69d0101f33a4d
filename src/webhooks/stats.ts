// Counters behind the webhook part of /metrics: deliveries by source, event and result, the time from a
// delivery's arrival to the loop having re-read and acted on what it named, and the polls the relaxed
// interval saved. Label values are bounded: an unverified request's event header is never a label (it is
// the sender's word), and a verified event outside the known set counts as "other".
import { GITHUB_EVENTS } from './github-events.js';
import { LINEAR_RESOURCE_TYPES } from './linear-events.js';
import type { WebhookSource } from './hints.js';

export type DeliveryResult = 'accepted' | 'ignored' | 'ping' | 'duplicate' | 'bad_signature' | 'stale' | 'too_large' | 'malformed' | 'not_configured';

/** Upper bounds (seconds) of the delivery → action histogram. */
export const ACTION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const KNOWN = new Set<string>(['ping', ...GITHUB_EVENTS, ...LINEAR_RESOURCE_TYPES]);

export interface WebhookStatsView {
  deliveries: { source: WebhookSource; event: string; result: DeliveryResult; count: number }[];
  action: { buckets: { le: number; count: number }[]; count: number; sum: number };
  pollsSaved: number;
  /** Targeted rounds run, and the objects they re-read (tickets fetched, PRs observed). */
  rounds: number;
  refetched: { tickets: number; prs: number };
}

export class WebhookStats {
  private readonly deliveries = new Map<string, number>();
  private readonly buckets = ACTION_BUCKETS.map(() => 0);
  private actions = 0;
  private actionSum = 0;
  pollsSaved = 0;
  rounds = 0;
  readonly refetched = { tickets: 0, prs: 0 };

  /** `event`: null for a request whose signature did not verify (its headers are not believed). */
  delivery(source: WebhookSource, event: string | null, result: DeliveryResult): void {
    const e = event === null ? 'unverified' : KNOWN.has(event) ? event : 'other';
    const key = `${source}\u0000${e}\u0000${result}`;
    this.deliveries.set(key, (this.deliveries.get(key) ?? 0) + 1);
  }

  acted(ms: number): void {
    const s = Math.max(0, ms) / 1000;
    this.actions++;
    this.actionSum += s;
    ACTION_BUCKETS.forEach((le, i) => {
      if (s <= le) this.buckets[i]!++;
    });
  }

  view(): WebhookStatsView {
    return {
      deliveries: [...this.deliveries].map(([k, count]) => {
        const [source, event, result] = k.split('\u0000') as [WebhookSource, string, DeliveryResult];
        return { source, event, result, count };
      }),
      action: { buckets: ACTION_BUCKETS.map((le, i) => ({ le, count: this.buckets[i]! })), count: this.actions, sum: this.actionSum },
      pollsSaved: this.pollsSaved,
      rounds: this.rounds,
      refetched: { ...this.refetched },
    };
  }
}
