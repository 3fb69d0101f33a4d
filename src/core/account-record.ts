// The record one Claude account's daemons share: the usage-limit pause and its reset, the one canary run
// after it, the latest usage-window figures the CLI reported, and which daemons use the account. PURE:
// parseAccount() validates whatever a store read (a file another version wrote, a database row) into a
// complete record, and the with…/claim… helpers are the only way it changes. Each helper returns the
// record it was given, unchanged and by the same reference, when there is nothing to change, so a store
// can skip the write.
import type { StreamSummary } from '../agent/types.js';
import { outlasts, pauseInForce as inForce } from './pause.js';
import { isObj, numOrNull as num } from '../util/json.js';

export type WindowStatus = 'allowed' | 'allowed_warning' | 'rejected';

/** Usage-window figures as the lane rules use them: resetsAt in epoch ms. */
export interface WindowFigures {
  status: WindowStatus;
  /** Share of the window used, 0–1 (the CLI reports a fraction); null when the CLI did not say. */
  utilization: number | null;
  /** five_hour | seven_day | … */
  type: string | null;
  resetsAt: number | null;
  /** The answer was served from paid extra usage (the CLI's isUsingOverage): the window is spent, runs go on. */
  overage?: boolean;
}

export interface AccountPause {
  /** ISO time the limit resets (plus jitter): nobody on the account starts before it. */
  until: string;
  reason: string;
  limit_type: string | null;
  since: string;
  /** Daemon id that recorded it. */
  by: string;
}

export interface AccountCanary {
  /** After a pause, one run across the whole account must pass before the others start. */
  pending: boolean;
  /** The daemon running it, or null while nobody has claimed it. */
  holder: string | null;
  since: string | null;
}

export interface AccountWindow {
  status: WindowStatus;
  utilization: number | null;
  type: string | null;
  resets_at: string | null;
  seen_at: string;
  /** Daemon id whose agent reported it. */
  seen_by: string;
  /** Served from paid extra usage (isUsingOverage): `swarm status` says "extra usage". */
  overage: boolean;
}

export interface AccountMember {
  host: string;
  pid: number;
  /** The repository (or scope) the daemon works on, for `swarm status`. */
  repo: string;
  heartbeat_at: string;
}

export interface AccountRecord {
  version: 1;
  name: string;
  pause: AccountPause | null;
  canary: AccountCanary;
  window: AccountWindow | null;
  /**
   * Weekly limits scoped to one model family (seven_day_opus, seven_day_sonnet), by family (opus, sonnet):
   * only attempts on that family wait for them; everything else goes on. Never shortened, like the pause.
   */
  model_limits: Record<string, AccountPause>;
  members: Record<string, AccountMember>;
}

/** A member whose heartbeat is older than this is gone (daemons beat every few seconds). */
export const MEMBER_STALE_MS = 60_000;

const STATUSES: readonly WindowStatus[] = ['allowed', 'allowed_warning', 'rejected'];
const NO_CANARY: AccountCanary = { pending: false, holder: null, since: null };

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const time = (v: unknown): string | null => (typeof v === 'string' && Number.isFinite(Date.parse(v)) ? v : null);
const iso = (ms: number) => new Date(ms).toISOString();
const ms = (t: string | null) => (t === null ? NaN : Date.parse(t));

export function emptyAccount(name: string): AccountRecord {
  return { version: 1, name, pause: null, canary: { ...NO_CANARY }, window: null, model_limits: {}, members: {} };
}

/** Lenient: anything missing or malformed gets its default; a broken part never discards the rest. */
export function parseAccount(raw: unknown, name = ''): AccountRecord {
  const r = isObj(raw) ? raw : {};
  const rec = emptyAccount(str(r.name) ?? name);
  const pauseOf = (p: unknown): AccountPause | null => {
    const until = isObj(p) ? time(p.until) : null;
    if (!isObj(p) || until === null) return null;
    return { until, reason: str(p.reason) ?? 'usage limit', limit_type: str(p.limit_type), since: time(p.since) ?? until, by: str(p.by) ?? '' };
  };
  rec.pause = pauseOf(r.pause);
  if (isObj(r.model_limits)) {
    for (const [family, p] of Object.entries(r.model_limits)) {
      const limit = family === '__proto__' ? null : pauseOf(p);
      if (limit) rec.model_limits[family] = limit;
    }
  }
  if (isObj(r.canary) && r.canary.pending === true) {
    rec.canary = { pending: true, holder: str(r.canary.holder), since: time(r.canary.since) };
  }
  const w = isObj(r.window) ? r.window : null;
  const seen = time(w?.seen_at);
  if (w && seen !== null && STATUSES.includes(w.status as WindowStatus)) {
    const u = num(w.utilization);
    rec.window = {
      status: w.status as WindowStatus, utilization: u !== null && u >= 0 ? u : null, type: str(w.type),
      resets_at: time(w.resets_at), seen_at: seen, seen_by: str(w.seen_by) ?? '', overage: w.overage === true,
    };
  }
  if (isObj(r.members)) {
    for (const [id, m] of Object.entries(r.members)) {
      const hb = isObj(m) ? time(m.heartbeat_at) : null;
      const pid = isObj(m) ? num(m.pid) : null;
      if (!isObj(m) || hb === null || pid === null || id === '__proto__') continue;
      rec.members[id] = { host: str(m.host) ?? '', pid, repo: str(m.repo) ?? '', heartbeat_at: hb };
    }
  }
  return rec;
}

/** The pause still in force at `now`, or null. */
export function pauseInForce(rec: AccountRecord, now: number): AccountPause | null {
  return inForce(rec.pause, now);
}

/**
 * Record a usage limit. A pause in force is never shortened: the later `until` wins, and the earlier
 * `since` is kept. Any limit (re)arms the canary: after it, one run goes first across the account.
 */
export function withLimit(rec: AccountRecord, pause: Omit<AccountPause, 'since'> & { since?: string }, now: number): AccountRecord {
  const current = pauseInForce(rec, now);
  if (outlasts(current, pause)) {
    return rec.canary.pending && rec.canary.holder === null ? rec : { ...rec, canary: { pending: true, holder: null, since: null } };
  }
  const since = current?.since ?? pause.since ?? iso(now);
  return { ...rec, pause: { ...pause, since }, canary: { pending: true, holder: null, since: null } };
}

/** Clear a pause whose time has come (the canary it armed stays pending), and model-family limits that ended. */
export function resumeIfEnded(rec: AccountRecord, now: number): AccountRecord {
  const ended = Object.keys(rec.model_limits).filter((f) => inForce(rec.model_limits[f]!, now) === null);
  const pauseEnded = rec.pause !== null && pauseInForce(rec, now) === null;
  if (!pauseEnded && ended.length === 0) return rec;
  const model_limits = { ...rec.model_limits };
  for (const f of ended) delete model_limits[f];
  return { ...rec, pause: pauseEnded ? null : rec.pause, model_limits };
}

/** The weekly limit on `family` still in force at `now`, or null. */
export function modelLimitInForce(rec: AccountRecord, family: string | null, now: number): AccountPause | null {
  return inForce(family !== null && Object.hasOwn(rec.model_limits, family) ? rec.model_limits[family]! : null, now);
}

/**
 * Record a weekly limit scoped to one model family. Never shortened (the later `until` wins, the earlier
 * `since` is kept); it arms no canary: runs on other families never stopped, and the first run on this
 * family after the reset finds out for itself.
 */
export function withModelLimit(rec: AccountRecord, family: string, limit: Omit<AccountPause, 'since'> & { since?: string }, now: number): AccountRecord {
  const current = modelLimitInForce(rec, family, now);
  if (outlasts(current, limit)) return rec;
  const since = current?.since ?? limit.since ?? iso(now);
  return { ...rec, model_limits: { ...rec.model_limits, [family]: { ...limit, since } } };
}

/** The latest figures win: a report older than the one on record (another daemon's, seen later) is dropped. */
export function withWindow(rec: AccountRecord, figures: WindowFigures, now: number, by: string): AccountRecord {
  if (rec.window !== null && ms(rec.window.seen_at) > now) return rec;
  const window: AccountWindow = {
    status: figures.status, utilization: figures.utilization, type: figures.type,
    resets_at: figures.resetsAt === null ? null : iso(figures.resetsAt), seen_at: iso(now), seen_by: by, overage: figures.overage === true,
  };
  return { ...rec, window };
}

/** The window on record as lane figures (resetsAt in ms), or null. */
export function windowFigures(rec: AccountRecord): WindowFigures | null {
  const w = rec.window;
  if (w === null) return null;
  const reset = ms(w.resets_at);
  return { status: w.status, utilization: w.utilization, type: w.type, resetsAt: Number.isFinite(reset) ? reset : null, overage: w.overage };
}

/**
 * A stream's latest rate_limit_event as lane figures (the CLI's resetsAt is epoch seconds). An unknown
 * status is read as allowed: only "rejected" stops anyone, and the utilization still paces.
 */
export function figuresFromStream(w: StreamSummary['window']): WindowFigures | null {
  if (w === null) return null;
  const status = STATUSES.includes(w.status as WindowStatus) ? (w.status as WindowStatus) : 'allowed';
  return { status, utilization: w.utilization, type: w.rateLimitType, resetsAt: w.resetsAt === null ? null : w.resetsAt * 1000, overage: w.overage === true };
}

/** Join, or beat: the member's heartbeat is now. */
export function withMember(rec: AccountRecord, id: string, m: Omit<AccountMember, 'heartbeat_at'>, now: number): AccountRecord {
  return { ...rec, members: { ...rec.members, [id]: { host: m.host, pid: m.pid, repo: m.repo, heartbeat_at: iso(now) } } };
}

/** Leave (a clean stop); a canary the member held is released for another daemon. */
export function withoutMember(rec: AccountRecord, id: string): AccountRecord {
  if (!(id in rec.members) && rec.canary.holder !== id) return rec;
  const members = { ...rec.members };
  delete members[id];
  return releaseHolder({ ...rec, members }, [id]);
}

/** Drop members whose heartbeat is older than staleMs (killed daemons), releasing a canary one held. */
export function pruneMembers(rec: AccountRecord, now: number, staleMs = MEMBER_STALE_MS): AccountRecord {
  const gone = Object.keys(rec.members).filter((id) => !(now - ms(rec.members[id]!.heartbeat_at) <= staleMs));
  if (gone.length === 0) return rec;
  const members = { ...rec.members };
  for (const id of gone) delete members[id];
  return releaseHolder({ ...rec, members }, gone);
}

function releaseHolder(rec: AccountRecord, gone: string[]): AccountRecord {
  const h = rec.canary.holder;
  return h !== null && gone.includes(h) ? { ...rec, canary: { pending: rec.canary.pending, holder: null, since: null } } : rec;
}

/**
 * Ask to start a run. granted: this daemon may start — no canary is pending, or it holds the canary (then
 * it starts that one run only). A pending canary goes to the first daemon that asks once the pause has
 * ended, and is taken over from a holder whose membership went stale; everyone else waits until the
 * holder reports canaryPassed. During a pause in force nobody is granted anything.
 */
export function claimCanary(rec: AccountRecord, daemonId: string, now: number, staleMs = MEMBER_STALE_MS): { rec: AccountRecord; granted: boolean } {
  if (pauseInForce(rec, now) !== null) return { rec, granted: false };
  const c = rec.canary;
  if (!c.pending || c.holder === daemonId) return { rec, granted: true };
  const holder = c.holder === null ? undefined : rec.members[c.holder];
  const holderAlive = holder !== undefined && now - ms(holder.heartbeat_at) <= staleMs;
  if (holderAlive) return { rec, granted: false };
  return { rec: { ...rec, canary: { pending: true, holder: daemonId, since: iso(now) } }, granted: true };
}

/**
 * The canary proved the way clear (the model took a turn): every daemon may start again. Reported by the
 * holder, or by anyone while nobody holds it; ignored while a pause is in force (a newer limit re-armed it).
 */
export function canaryPassed(rec: AccountRecord, daemonId: string, now: number): AccountRecord {
  if (!rec.canary.pending || pauseInForce(rec, now) !== null) return rec;
  if (rec.canary.holder !== null && rec.canary.holder !== daemonId) return rec;
  return { ...resumeIfEnded(rec, now), canary: { ...NO_CANARY } };
}

/** The holder's canary run ended without proving anything (killed, infra failure): let the next ask take it. */
export function releaseCanary(rec: AccountRecord, daemonId: string): AccountRecord {
  return rec.canary.holder === daemonId ? { ...rec, canary: { pending: rec.canary.pending, holder: null, since: null } } : rec;
}
