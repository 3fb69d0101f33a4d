// How the Linear adapter lists candidates without paying for the whole listing every poll. Linear prices
// a page by its size, not by what it returns (~3,700 points per 50 issues), and asks integrations to
// filter on `updatedAt` rather than poll everything (linear.app/developers/rate-limiting, "Avoid polling" /
// "Order data"; the per-key budget is 3,000,000 points an hour). So:
// - a full sweep — the candidates query, every page — at the first poll and every `tracker.full_sweep`
//   (default 10m), which replaces the listing;
// - between sweeps, one small page of the team's issues updated since the previous poll (Linear's own
//   clock, from its Date header, less a skew for writes still committing and clocks that differ), whatever
//   their state and labels: each one found replaces its entry, or leaves the listing when it is no longer a
//   candidate (moved, unlabelled, closed). A closed issue found this way also stops blocking the listed
//   issues it blocked. An idle poll is one request of one small page.
// Not persisted: a restart (or a new configuration) starts with a full sweep. What an incremental poll
// cannot see waits for the next sweep: a blocker in another team or project being closed, an issue
// archived or deleted (neither moves updatedAt within the filter).
import type { LinearDocument as L } from '@linear/sdk';
import type { Ticket } from '../types.js';
import type { LinearTransport } from './transport.js';
import * as Q from './queries.js';

/** Issues on the first page of an incremental poll: what an idle poll is priced at (~370 points). */
export const CHANGES_FIRST_PAGE = 5;
/** How far before the previous poll an incremental poll looks back (Linear's clock). */
export const CHANGES_SKEW_MS = 60_000;

export interface PollerDeps {
  api: Pick<LinearTransport, 'requestMeta'>;
  /** The validated ticket of one issue payload (and the rest of its labels and relations). */
  remember(raw: unknown): Promise<Ticket>;
  /** The candidates filter (eligible states and running_state, labels, project). */
  candidatesFilter(): L.IssueFilter;
  /** The team (and project) only: where changes are looked for. */
  scopeFilter(): L.IssueFilter;
  /** Whether a ticket matches the candidates filter (the same rules, applied here). */
  isCandidate(t: Ticket): boolean;
  pageSize(): number;
  fullSweepMs(): number;
  now(): number;
  /** Errors of the candidates query (Linear refusing it as too complex gets its fix here). */
  onCandidatesError(err: unknown): never;
}

/** What the last poll cost, as Linear charged it (for `swarm doctor` and tests). */
export interface PollCost {
  kind: 'sweep' | 'changes';
  requests: number;
  /** Sum of X-Complexity over its requests (null when Linear sent none). */
  complexity: number | null;
  /** Issues in the listing afterwards. */
  listed: number;
}

export class LinearPoller {
  private listing: Map<string, Ticket> | null = null;
  private filterKey = '';
  private sweptAt = 0;
  /** Linear's clock when the previous poll asked (epoch ms). */
  private since = 0;
  private cost: PollCost | null = null;

  constructor(private readonly d: PollerDeps) {}

  /** Candidates now: a full sweep when one is due, else the listing brought up to date with what changed. */
  async poll(): Promise<Ticket[]> {
    const key = JSON.stringify(this.d.candidatesFilter());
    const due = this.listing === null || key !== this.filterKey || this.d.now() - this.sweptAt >= this.d.fullSweepMs();
    return due ? this.sweep(key) : this.changes();
  }

  /** The next poll is a full sweep (the configuration changed). */
  reset(): void {
    this.listing = null;
  }

  lastCost(): PollCost | null {
    return this.cost;
  }

  private async sweep(key: string): Promise<Ticket[]> {
    const startedAt = this.d.now();
    const tally = newTally();
    const listing = new Map<string, Ticket>();
    let after: string | null = null;
    let since: number | null = null;
    for (let i = 0; i < Q.MAX_PAGES; i++) {
      const vars: Q.Vars['candidates'] = { filter: this.d.candidatesFilter(), first: this.d.pageSize(), after };
      const res = await this.d.api.requestMeta<{ issues: unknown }>(Q.CANDIDATES_QUERY, vars).catch((err: unknown) => this.d.onCandidatesError(err));
      since ??= res.serverTime ?? startedAt;
      count(tally, res.complexity);
      for (const n of Q.nodes(res.data.issues, 'issues')) {
        const t = await this.d.remember(n);
        listing.set(t.key, t);
      }
      const p = Q.pageInfo(res.data.issues, 'issues');
      if (!p.hasNextPage || !p.endCursor) break;
      after = p.endCursor;
    }
    this.listing = listing;
    this.filterKey = key;
    this.sweptAt = startedAt;
    this.since = since ?? startedAt;
    this.cost = { kind: 'sweep', ...tally, listed: listing.size };
    return [...listing.values()];
  }

  private async changes(): Promise<Ticket[]> {
    const listing = this.listing!;
    const tally = newTally();
    const filter = { ...this.d.scopeFilter(), updatedAt: { gt: new Date(this.since - CHANGES_SKEW_MS).toISOString() } };
    let after: string | null = null;
    let since: number | null = null;
    for (let i = 0; i < Q.MAX_PAGES; i++) {
      const vars: Q.Vars['changes'] = { filter, first: i === 0 ? CHANGES_FIRST_PAGE : this.d.pageSize(), after };
      const res = await this.d.api.requestMeta<{ issues: unknown }>(Q.CHANGES_QUERY, vars);
      since ??= res.serverTime ?? this.d.now();
      count(tally, res.complexity);
      for (const n of Q.nodes(res.data.issues, 'issues')) this.apply(listing, await this.d.remember(n));
      const p = Q.pageInfo(res.data.issues, 'issues');
      if (!p.hasNextPage || !p.endCursor) break;
      after = p.endCursor;
    }
    // Only once every page arrived: a poll that failed half way looks back as far again next time.
    this.since = since ?? this.since;
    this.cost = { kind: 'changes', ...tally, listed: listing.size };
    return [...listing.values()];
  }

  /** One changed issue: in or out of the listing; a closed one no longer blocks anything listed. */
  private apply(listing: Map<string, Ticket>, t: Ticket): void {
    if (this.d.isCandidate(t)) listing.set(t.key, t);
    else listing.delete(t.key);
    if (t.open) return;
    for (const [k, other] of listing) {
      if (other.blockers.includes(t.identifier)) listing.set(k, { ...other, blockers: other.blockers.filter((b) => b !== t.identifier) });
    }
  }
}

const newTally = () => ({ requests: 0, complexity: null as number | null });
function count(t: { requests: number; complexity: number | null }, complexity: number | null): void {
  t.requests++;
  if (complexity !== null) t.complexity = (t.complexity ?? 0) + complexity;
}
