// PURE lane decisions: which lane a ticket runs in (urgent, normal, background), the queue order
// (lane → priority → age → key), whether the background lane's daily hours are open, and the gate a ticket
// passes before it starts given the account's usage window, pacing, the background lane's own limits and
// the urgent share of the daily budget. No I/O, no clock reads: `now` (and the local zone, for hours
// written without one) are passed in. Each refusal is one sentence, shown by `swarm explain` after
// "waiting: " and in `swarm status`, so what they say is what the loop does.
//
// Lanes only order and gate starts: urgent work never evicts a running agent, and no slot is held idle
// for it (a free slot goes to the first ticket whose gate is open).
import type { Config } from '../config/types.js';
import type { DailyHours } from '../config/hours.js';
import type { Ticket } from '../tracker/types.js';
import type { WindowFigures } from './account-record.js';
import { formatMs } from '../util/format.js';
import { addDays, clockTime, hhmm, instantOf, localZone, transitionBetween, wallAt } from '../util/wall-clock.js';
import { limitFamily } from './limits.js';

export type Lane = 'urgent' | 'normal' | 'background';

/** Queue order of the lanes. */
export const LANES: readonly Lane[] = ['urgent', 'normal', 'background'];

/** Linear's scale, as Ticket.priority uses it: 0 urgent (P0, priority:critical, Linear Urgent) … 3 low. */
const URGENT_PRIORITY = 0;
const LOW_PRIORITY = 3;

/**
 * The ticket's lane. Labels win over priority (an operator's label says more than a default): an urgent
 * label → urgent; else a background label → background; else priority 0 → urgent, priority 3 (low) →
 * background, anything else (including no priority) → normal. Labels compare case-insensitively.
 */
export function laneOf(t: Pick<Ticket, 'labels' | 'priority'>, config: Config): Lane {
  const labels = new Set(t.labels.map((l) => l.toLowerCase()));
  const lanes = config.agent.lanes;
  if (lanes.urgent.labels.some((l) => labels.has(l.toLowerCase()))) return 'urgent';
  if (lanes.background.labels.some((l) => labels.has(l.toLowerCase()))) return 'background';
  if (t.priority === URGENT_PRIORITY) return 'urgent';
  if (t.priority === LOW_PRIORITY) return 'background';
  return 'normal';
}

export type Laned = Pick<Ticket, 'priority' | 'created_at' | 'key'> & { lane: Lane };

/** Queue order: lane (urgent, normal, background), then priority, then oldest first, then key. */
export function byLane(a: Laned, b: Laned): number {
  return LANES.indexOf(a.lane) - LANES.indexOf(b.lane) ||
    a.priority - b.priority ||
    a.created_at.localeCompare(b.created_at) ||
    a.key.localeCompare(b.key, 'en', { numeric: true });
}

/** byLane for plain tickets, their lanes read from `config` (a drop-in for sort()). */
export function laneComparator(config: Config): (a: Ticket, b: Ticket) => number {
  return (a, b) => byLane({ ...a, lane: laneOf(a, config) }, { ...b, lane: laneOf(b, config) });
}

/** How many of `tickets` are in each lane (for /metrics and `swarm status`). */
export function laneCounts(tickets: readonly Pick<Ticket, 'labels' | 'priority'>[], config: Config): Record<Lane, number> {
  const out: Record<Lane, number> = { urgent: 0, normal: 0, background: 0 };
  for (const t of tickets) out[laneOf(t, config)]++;
  return out;
}

export interface HoursState {
  open: boolean;
  /** Closed: when it next opens (epoch ms). Open: null. */
  opensAt: number | null;
  /** Open: when this window closes. Closed: when the next window (the one at opensAt) closes. */
  closesAt: number | null;
}

/**
 * Whether daily `hours` are open at `now`, read on the clocks of the hours' zone (or `zone`, the daemon's
 * local zone, when they name none). A window whose end is at or before its start runs past midnight.
 * Open means the clocks show a time inside it, so when clocks change the window follows them: a night over
 * the spring change is an hour shorter, one over the autumn change an hour longer.
 */
export function backgroundWindow(hours: DailyHours, now: number, zone: string = localZone()): HoursState {
  const z = hours.zone ?? zone;
  const overnight = hours.end <= hours.start;
  const minuteAt = (t: number) => {
    const w = wallAt(t, z);
    return { day: { y: w.y, mo: w.mo, d: w.d }, minute: w.h * 60 + w.mi };
  };
  const inside = (t: number) => {
    const { minute } = minuteAt(t);
    return overnight ? minute >= hours.start || minute < hours.end : minute >= hours.start && minute < hours.end;
  };
  /** The first instant after `t` at which the clocks show `minutes` on the day `plus` days from t's. */
  const next = (t: number, plus: number, minutes: number, after: number): number => {
    const { day } = minuteAt(t);
    const cand = instantOf(addDays(day, plus), minutes, z, after) ?? instantOf(addDays(day, plus + 1), minutes, z, after)!;
    // Clocks that jump between t and cand may cross the boundary sooner (a time inside the repeated hour).
    const jump = transitionBetween(t, cand, z);
    return jump !== null && inside(jump) !== inside(t) ? jump : cand;
  };
  const closeAfter = (t: number) => next(t, overnight && minuteAt(t).minute >= hours.start ? 1 : 0, hours.end, t + 1);
  if (inside(now)) return { open: true, opensAt: null, closesAt: closeAfter(now) };
  const opensAt = next(now, minuteAt(now).minute < hours.start ? 0 : 1, hours.start, now);
  return { open: false, opensAt, closesAt: closeAfter(opensAt) };
}

/** When the loop should wake for the lanes: the background hours opening, while they are closed. */
export function laneWakeTimes(config: Config, now: number, zone: string = localZone()): number[] {
  const hours = config.agent.lanes.background.hours;
  if (hours === null) return [];
  const h = backgroundWindow(hours, now, zone);
  return h.open || h.opensAt === null ? [] : [h.opensAt];
}

export interface LaneGateInput {
  /** The account's latest usage-window figures (resetsAt in epoch ms), or null when none were seen. */
  window: WindowFigures | null;
  config: Config;
  now: number;
  /** Background agents running now (across this daemon's slots). */
  backgroundRunning: number;
  /** Today's spend in US dollars (the same figure budget.daily_usd is checked against). */
  spentUsd: number;
  /** The daemon's local zone, for hours without a zone and for the reset time; default: the system's. */
  zone?: string;
}

/**
 * null: a ticket in `lane` may start now. Otherwise the reason it waits, in the order the rules apply:
 * a rejected usage window stops everyone until its reset; at or above agent.pacing.reserve only urgent
 * tickets start; background tickets start only inside agent.lanes.background.hours and below its
 * max_concurrent; once today's spend reaches budget.daily_usd less budget.urgent_reserve_usd only urgent
 * tickets start (the full daily budget, for every lane, is policy's budget rule).
 *
 * Window figures whose reset has passed, or that carry no reset time, are not used: nothing says they
 * still hold, and while nobody starts nobody reports new ones (a rejection without a reset time is the
 * usage-limit pause's job, which has its own default length).
 */
export function laneGate(lane: Lane, input: LaneGateInput): string | null {
  const { config, now } = input;
  const zone = input.zone ?? localZone();
  const win = input.window !== null && input.window.resetsAt !== null && input.window.resetsAt > now ? input.window : null;
  const resets = (w: WindowFigures) => `${clockTime(w.resetsAt!, zone, now)} (in ${formatMs(w.resetsAt! - now)})`;
  // A rejected window stops everyone — unless paid extra usage serves the answers (and the operator allows
  // it), or the limit is one model family's (seven_day_opus…: only attempts on that family wait, see
  // account-policy's modelLimitReason).
  if (win?.status === 'rejected' && (!win.overage || !config.agent.use_extra_usage) && limitFamily(win.type) === null) {
    return `waits for the usage window to reset at ${resets(win)}: the account's ${win.type ?? 'usage'} limit is reached${win.overage ? ' (extra usage is on, but agent.use_extra_usage is false)' : ''}`;
  }
  const reserve = config.agent.pacing.reserve;
  if (lane !== 'urgent' && reserve !== null && win?.utilization != null && win.utilization >= reserve) {
    return `only urgent tickets start: the usage window is ${pct(win.utilization)} used (agent.pacing.reserve ${pct(reserve)}) until it resets at ${resets(win)}`;
  }
  if (lane === 'background') {
    const bg = config.agent.lanes.background;
    if (bg.hours !== null) {
      const h = backgroundWindow(bg.hours, now, zone);
      if (!h.open && h.opensAt !== null) {
        const where = bg.hours.zone ? ` ${bg.hours.zone}` : '';
        return `background lane opens at ${hhmm(h.opensAt, bg.hours.zone ?? zone)}${where} (in ${formatMs(h.opensAt - now)})`;
      }
    }
    if (bg.max_concurrent !== null && input.backgroundRunning >= bg.max_concurrent) {
      return `background lane is full: ${input.backgroundRunning} background agent(s) running (agent.lanes.background.max_concurrent ${bg.max_concurrent})`;
    }
  }
  const { daily_usd: daily, urgent_reserve_usd: kept } = config.budget;
  if (lane !== 'urgent' && daily !== null && kept !== null && input.spentUsd >= daily - kept) {
    return `only urgent tickets start: today's spend ${usd(input.spentUsd)} reached ${usd(daily - kept)} ` +
      `(budget.daily_usd ${usd(daily)} less budget.urgent_reserve_usd ${usd(kept)} kept for urgent work)`;
  }
  return null;
}

const pct = (share: number) => `${Math.round(share * 100)}%`;
const usd = (n: number) => `$${n.toFixed(2)}`;
