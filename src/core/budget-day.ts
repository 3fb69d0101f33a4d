// Which day a moment belongs to for the budget: today's totals (`daily`) and budget.daily_usd start afresh
// when it changes. One process-wide setting, like the machine's time zone it stands in for: a fleet's
// daemons can run in different zones, so fleet mode counts budget days in UTC unless budget.timezone names
// one zone for them all; a single daemon keeps the machine's local day by default.
import { wallAt } from '../util/wall-clock.js';

/** null: the machine's local zone. */
let zone: string | null = null;

/** Budget days from now on are days in `z` (an IANA zone Intl knows; null: the machine's local zone). */
export function setBudgetZone(z: string | null): void {
  zone = z;
}

/** The zone in force: budget.timezone, else UTC in fleet mode, else null (local). */
export function budgetZoneFor(config: { budget: { timezone: string | null }; state: { url: string | null } }): string | null {
  return config.budget.timezone ?? (config.state.url !== null ? 'UTC' : null);
}

/** YYYY-MM-DD of `now` in the budget's zone. */
export function budgetDate(now: number): string {
  if (zone === null) {
    const d = new Date(now);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  }
  const w = wallAt(now, zone);
  return `${w.y}-${pad(w.mo)}-${pad(w.d)}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
