// The loop's sleep between polls: until the next poll is due (the interval in force, a retry, a pause's
// end, a lane opening, the account's window resetting, a full disk's next probe), a webhook source's health
// running out, or a wake-up — a ring (poll now) or a nudge (webhook deliveries: a targeted round).
import type { Config } from '../config/types.js';
import type { DiskFull, SwarmState } from '../core/types.js';
import { nextWakeMs } from '../core/idle.js';
import { accountWakeTimes } from '../core/account-policy.js';
import { laneWakeTimes } from '../core/lanes.js';
import type { Alarm } from './alarm.js';
import type { AccountLink } from './account-link.js';
import type { WebhookLink } from './webhook-link.js';

export interface WakeDeps {
  alarm: Alarm;
  webhooks: WebhookLink;
  account: AccountLink | null;
  now: () => number;
  config: () => Config;
  state: () => SwarmState;
  lastPollAt: () => number;
  diskFull: () => DiskFull | null;
  /** Webhook health changed while asleep: show it (the daemon's report). */
  healthChanged: () => void;
}

/**
 * Sleep until the next poll, retry, pause end… or a nudge. True: poll next; false: a targeted round. A
 * wake only because webhook health may have run out re-checks it and polls only if that made a poll due.
 */
export async function sleepUntilDue(d: WakeDeps): Promise<boolean> {
  for (;;) {
    if (d.webhooks.checkHealth()) d.healthChanged();
    const now = d.now();
    const also = [...laneWakeTimes(d.config(), now), ...accountWakeTimes(d.account?.view(), now)];
    // When a poll is due, and when a webhook source's health runs out, which only needs a look at the health.
    const due = now + nextWakeMs(d.state(), d.lastPollAt(), d.webhooks.pollInterval(), now, also, d.diskFull());
    const wake = Math.min(due, ...d.webhooks.wakeTimes().filter((t) => t > now));
    const woke = await d.alarm.sleep(Math.max(50, wake - now));
    if (woke === 'ring') return true;
    const after = d.now();
    const pollDue = after - d.lastPollAt() >= d.webhooks.pollInterval();
    if (woke === 'nudge') return pollDue;
    if (pollDue || after >= due - 5) return true;
  }
}
