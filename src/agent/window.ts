// The share of the usage window used, from one rate_limit_event's `rate_limit_info` (subscription logins
// only). Real CLIs (2.1.x) put `utilization` (a fraction) at the top level only on some events
// (allowed_warning); a rejected one carries it only per window, under unifiedWindows[rateLimitType], so
// that is read when the top level has none. Absent or not a number ≥ 0: null.
import { isObj, type Obj } from '../util/json.js';

const share = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);

export function utilizationOf(info: Obj): number | null {
  const top = share(info.utilization);
  if (top !== null) return top;
  const windows = info.unifiedWindows;
  const type = info.rateLimitType;
  if (!isObj(windows) || typeof type !== 'string') return null;
  const own = windows[type];
  return isObj(own) ? share(own.utilization) : null;
}
