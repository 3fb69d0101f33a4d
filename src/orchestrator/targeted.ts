// A targeted round: what webhook deliveries named, re-read one object at a time through the API and acted
// on with the loop's own steps — reconcile for tickets swarm holds, the claim path (re-read, trust, dedup
// guard, claim) for new candidates, the PR follower for handed-off PRs. Nothing a payload said is used: a
// ticket is read by key, a PR observed by number (a commit is mapped to the watched PR whose head it is).
// Fleet mode: an object is re-read by the daemon holding its lease, or by the one that wins the lease now
// (the claimer); the others leave it, and are told it was served so they drop it.
import type { Ticket } from '../tracker/types.js';
import type { Ledger } from '../state/ledger.js';
import type { DirtyBatch, DirtyKey } from '../webhooks/dirty.js';
import type { WebhookStats } from '../webhooks/stats.js';
import { inScope, wouldList } from '../webhooks/listing.js';
import { choose, type EligibilityContext } from '../core/policy.js';
import { reconcile } from './reconcile.js';
import type { Dispatcher } from './dispatcher.js';
import type { PrFollower } from './follower.js';
import type { TrackerSync } from './sync.js';
import type { Runtime, Settings } from './runtime.js';

export interface TargetedDeps {
  rt: Runtime;
  ledger: Ledger;
  sync: TrackerSync;
  settings: Settings;
  work: Dispatcher;
  follower: PrFollower;
  /** The loop's latest view of the listing, updated with what is re-read here. */
  listing: { get(): readonly Ticket[]; set(tickets: Ticket[]): void };
  context: () => EligibilityContext;
  /** Whether a new claim may start now (a free slot, claims allowed). */
  canStart: () => boolean;
  draining: () => boolean;
  stats: WebhookStats;
  /** Objects re-read here (fleet: the others drop them). */
  served: (keys: DirtyKey[]) => void;
  /** Commits were named that no watched PR has as its head: the base branch's watch looks now. */
  baseNamed?: () => Promise<void>;
}

export interface TargetedResult {
  /** A full poll is needed (more was named than fits, or a new ticket whose scope only a poll can tell). */
  pollWanted: boolean;
}

const ACTIVE = new Set(['claimed', 'running', 'retry_wait']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-/i;

export async function targetedRound(d: TargetedDeps, batch: DirtyBatch): Promise<TargetedResult> {
  d.stats.rounds++;
  const leases = new Set<string>();
  let pollWanted = batch.overflow;
  try {
    if (batch.tickets.size > 0 && (await tickets(d, batch.tickets, leases))) pollWanted = true;
    if (batch.prs.size > 0 || batch.commits.size > 0) await pulls(d, batch, leases);
  } finally {
    await letGo(d, leases);
  }
  return { pollWanted };
}

/** Take `key` for this round (fleet: win its lease unless this daemon holds it). False: another daemon's. */
async function take(d: TargetedDeps, key: string, leases: Set<string>): Promise<boolean> {
  const c = d.rt.leases;
  if (c.holds(key)) return true;
  if (c.heldElsewhere(key) !== null) return false;
  if ((await c.acquire(key)) === null) return false;
  if (c.shared) leases.add(key);
  return true;
}

/** Re-read the named tickets, reconcile the ones swarm knows, claim the new candidates. True: a poll is wanted. */
async function tickets(d: TargetedDeps, named: ReadonlyMap<string, number>, leases: Set<string>): Promise<boolean> {
  const { rt, ledger, settings } = d;
  const cfg = settings.wf.config;
  const byId = new Map(d.listing.get().map((t) => [t.id, t.key]));
  const fresh = new Map<string, Ticket | null>();
  const arrived = new Map<string, number>();
  const served: DirtyKey[] = [];
  let pollWanted = false;
  for (const [ref, at] of named) {
    const key = byId.get(ref) ?? ref; // a Linear issue id the listing knows → its key
    const known = ledger.ticket(key) !== undefined;
    // A new ticket is only worth a read when it could be claimed now; a slot freed later polls anyway.
    if (!known && (d.draining() || !d.canStart())) continue;
    // Fleet mode: a lease is taken on the ticket's key, which an issue id unknown here is not.
    if (rt.leases.shared && key === ref && UUID.test(ref)) continue;
    if (!(await take(d, key, leases))) continue; // its holder (or the daemon that just won it) reads it
    let t: Ticket | null;
    try {
      t = await settings.svc.tracker.fetch(ref);
    } catch (err) {
      rt.log.warn(`webhooks: could not re-read ${ref}: ${(err as Error).message} (the next poll will)`);
      continue;
    }
    d.stats.refetched.tickets++;
    served.push(`t:${ref}`);
    const k = t?.key ?? key;
    if (t && !known && ledger.ticket(k) === undefined) {
      const scope = inScope(t, cfg);
      if (scope === null) pollWanted = true;
      if (scope !== true) continue;
    }
    fresh.set(k, t);
    arrived.set(k, at);
  }
  d.served(served);
  if (fresh.size === 0) return pollWanted;
  // The listing as it would read now: the re-read tickets replace (or drop out of) the last one.
  const view = d.listing.get().filter((t) => !fresh.has(t.key));
  for (const t of fresh.values()) if (t && wouldList(t, cfg)) view.push(t);
  d.listing.set(view);
  const knownKeys = new Set([...fresh.keys()].filter((k) => ledger.ticket(k) !== undefined));
  if (knownKeys.size > 0) await reconcile({ rt, ledger, sync: d.sync, settings, running: d.work.running, fresh }, view, knownKeys);
  if (!d.draining()) {
    for (const t of choose(view, d.context())) {
      if (!fresh.has(t.key) || d.work.running.has(t.key)) continue;
      if (!d.canStart()) break;
      await d.work.claimAndDispatch(t, { justRead: true });
    }
  }
  const now = rt.now();
  for (const at of arrived.values()) d.stats.acted(now - at);
  return pollWanted;
}

/** Observe the named PRs (and the PRs whose head is a named commit) now, and act on them. */
async function pulls(d: TargetedDeps, batch: DirtyBatch, leases: Set<string>): Promise<void> {
  const watched = d.follower.watched();
  const keys = new Map<string, number>();
  /** Each named PR or commit → the tickets it concerns. */
  const named = new Map<DirtyKey, string[]>();
  const note = (dirty: DirtyKey, key: string, at: number) => {
    keys.set(key, Math.min(at, keys.get(key) ?? at));
    named.set(dirty, [...(named.get(dirty) ?? []), key]);
  };
  for (const [n, at] of batch.prs) for (const ts of watched) if (ts.pr?.number === n) note(`p:${n}`, ts.key, at);
  let unmatched = false;
  for (const [sha, at] of batch.commits) {
    const heads = d.follower.keysForHead(sha);
    if (heads.length === 0) unmatched = true;
    for (const key of heads) note(`c:${sha}`, key, at);
  }
  // A check or status that finished on no watched PR's head may be the base's (a red base holds dispatch).
  if (unmatched) await d.baseNamed?.();
  const mine = new Set<string>();
  for (const key of keys.keys()) if (await take(d, key, leases)) mine.add(key);
  if (mine.size === 0) return;
  d.stats.refetched.prs += await d.follower.observeNow(mine, () => !d.draining() && d.canStart());
  d.served([...named].filter(([, ks]) => ks.every((k) => mine.has(k))).map(([dirty]) => dirty));
  const now = d.rt.now();
  for (const key of mine) d.stats.acted(now - keys.get(key)!);
}

/** Leases won for this round go back once nothing holds the ticket here (as the claim path does). */
async function letGo(d: TargetedDeps, leases: ReadonlySet<string>): Promise<void> {
  const c = d.rt.leases;
  for (const key of leases) {
    if (d.work.running.has(key) || !c.holds(key)) continue;
    const ts = d.ledger.ticket(key);
    if (ts && (ts.synced_rev < ts.rev || ACTIVE.has(ts.status))) continue;
    await c.release(key).catch(() => undefined);
  }
}
