// The Linear tracker adapter: maps one team's issues onto Ticket and swarm's lifecycle onto
// workflow states, one sticky comment and a PR attachment. Pull requests live on GitHub (the CodeHost);
// this adapter only links them. Transport, budgets and error mapping: transport.ts; queries, their
// complexity and payload validation: queries.ts.

import type { Config, LinearTrackerConfig } from '../../config/types.js';
import { reopenState, verifyConfig } from '../../config/verify.js';
import type { CandidateList, PullRequest, Ticket, Tracker } from '../types.js';
import { createLinearTransport } from './transport.js';
import { createLinearSticky } from './sticky.js';
import { createLinearTrust } from './trust.js';
import * as Q from './queries.js';
import type { LinearDocument as L } from '@linear/sdk';
import { TrackerError } from '../../errors.js';
import { LinearPoller, type PollCost } from './poll.js';
import { resolveTeam, type Resolved } from './resolve.js';
import { statePhase } from '../phase.js';
import { LINEAR_DEFAULT_PAGE_SIZE } from '../../config/linear-limits.js';
import type { BudgetView } from './budgets.js';

export { LINEAR_DEFAULT_PAGE_SIZE };
export const LINEAR_DEFAULT_API_URL = 'https://api.linear.app/graphql';

export interface LinearTrackerOptions {
  config: Config;
  apiKey: string;
  now?: () => number;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

export interface LinearTracker extends Tracker {
  readonly kind: 'linear';
  /** Look up the team, its workflow states and labels; TrackerError 'config' names any that are missing. */
  resolve(): Promise<void>;
  /**
   * Fresh read of the ticket's open blockers (identifiers), for `swarm explain`. Deliberately not named
   * `openBlockers`: the poll listing already drops completed/canceled blockers, so the loop must not
   * spend one more request per blocked issue every poll.
   */
  freshBlockers(ticket: Ticket): Promise<string[]>;
  /** Attach the PR URL to the issue (idempotent: Linear keeps one attachment per issue and URL). */
  linkPullRequest(ticket: Ticket, pr: PullRequest): Promise<void>;
  /**
   * Send the first page of the candidates query once (for `swarm doctor`): how many issues it listed and
   * the complexity Linear charged. Throws TrackerError 'too_complex' with the fix when Linear refuses it.
   */
  probeCandidates(): Promise<{ listed: number; complexity: number | null }>;
  /**
   * For `swarm doctor`: one full sweep and one incremental poll as the daemon makes them, what Linear charged
   * for each, and the budgets it reported.
   */
  measurePolling(): Promise<{ sweep: PollCost; changes: PollCost; budgets: BudgetView }>;
}

export function createLinearTracker(opts: LinearTrackerOptions): LinearTracker {
  const given = opts.config.tracker;
  if (given.kind !== 'linear') throw new TypeError(`the Linear tracker needs tracker.kind: linear (got ${given.kind})`);
  const cfg: LinearTrackerConfig = given;
  const api = createLinearTransport({
    apiUrl: cfg.api_url ?? LINEAR_DEFAULT_API_URL, apiKey: opts.apiKey, now: opts.now, timeoutMs: opts.timeoutMs,
  });
  const sticky = createLinearSticky(api);
  let resolving: Promise<Resolved> | null = null;

  const doResolve = () => resolveTeam(api, opts.config, cfg);

  const ensure = (): Promise<Resolved> => {
    resolving ??= doResolve().catch((err) => { resolving = null; throw err; });
    return resolving;
  };
  // Who wrote what (history, roles) and whose comments reach the prompt: trust.ts.
  const trust = createLinearTrust({
    request: (query, variables) => api.request(query, variables), config: () => cfg, resolved: ensure, now: opts.now ?? Date.now,
  });
  const stateId = (r: Resolved, name: string) => r.states.get(name)!; // checked in resolve()

  /** All pages of one issue's connection after `after` (the first page came with the issue). */
  async function rest(query: string, issueId: string, field: 'labels' | 'inverseRelations', after: string, read: (conn: unknown) => string[]): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | null = after;
    for (let i = 0; i < Q.MAX_PAGES && cursor; i++) {
      const conn: unknown = Q.obj((await api.request(query, { id: issueId, after: cursor } satisfies Q.Vars['issuePage'])).issue, 'issue')[field];
      out.push(...read(conn));
      const p = Q.pageInfo(conn, field);
      cursor = p.hasNextPage ? p.endCursor : null;
    }
    return out;
  }

  /** Validate one issue payload; the few issues with more labels or relations than fit get the rest. */
  const remember = async (raw: unknown): Promise<Ticket> => {
    const { ticket, more } = Q.toTicket(raw);
    const at = `issue ${ticket.identifier}`;
    if (more.labels) ticket.labels.push(...(await rest(Q.ISSUE_LABELS_QUERY, ticket.id, 'labels', more.labels, (c) => Q.labelNames(c, at))));
    if (more.relations) ticket.blockers.push(...(await rest(Q.ISSUE_RELATIONS_QUERY, ticket.id, 'inverseRelations', more.relations, (c) => Q.openBlockers(c, at))));
    return { ...ticket, phase: statePhase(ticket, cfg) };
  };

  const pageSize = () => cfg.page_size ?? LINEAR_DEFAULT_PAGE_SIZE;
  /** Linear refused the candidates document: say what to change. */
  const tooComplex = (err: unknown): never => {
    if (!(err instanceof TrackerError && err.kind === 'too_complex')) throw err;
    const size = pageSize();
    const fix = size !== LINEAR_DEFAULT_PAGE_SIZE
      ? `lower tracker.page_size (now ${size}; the default ${LINEAR_DEFAULT_PAGE_SIZE} costs about 3,700 points)`
      : 'this is a bug in swarm\'s query; please report it';
    throw new TrackerError('too_complex', `${err.message}: ${fix}`);
  };

  function candidatesFilter(r: Resolved): L.IssueFilter {
    // Eligible states plus running_state, so reconciliation sees the tickets swarm holds.
    const filter: L.IssueFilter = {
      team: { key: { eq: r.teamKey } },
      state: { name: { in: [...new Set([...cfg.states, cfg.running_state])] } },
    };
    if (cfg.labels.length) filter.and = cfg.labels.map((l): L.IssueFilter => ({ labels: { some: { name: { eq: l } } } }));
    if (r.projectId) filter.project = { id: { eq: r.projectId } };
    return filter;
  }

  const candidatesPage = async (r: Resolved, after: string | null): Promise<unknown> =>
    (await api.request(Q.CANDIDATES_QUERY, { filter: candidatesFilter(r), first: pageSize(), after } satisfies Q.Vars['candidates']).catch(tooComplex)).issues;

  // The poll: full sweeps every tracker.full_sweep, incremental polls between (poll.ts).
  let current: Resolved | null = null;
  const candidateStates = () => new Set([...cfg.states, cfg.running_state]);
  const poller = new LinearPoller({
    api,
    remember,
    candidatesFilter: () => candidatesFilter(current!),
    scopeFilter: () => ({ team: { key: { eq: current!.teamKey } }, ...(current!.projectId ? { project: { id: { eq: current!.projectId } } } : {}) }),
    // The candidates filter, applied here: a state named in it, every trigger label (names compared exactly,
    // as the filter's `eq` does); team and project are already the changes query's own filter.
    isCandidate: (t) => candidateStates().has(t.state) && cfg.labels.every((l) => t.labels.includes(l)),
    pageSize,
    fullSweepMs: () => cfg.full_sweep,
    now: opts.now ?? Date.now,
    onCandidatesError: tooComplex,
  });

  async function moveTo(ticket: Ticket, state: string): Promise<void> {
    const r = await ensure();
    const data = await api.request(Q.ISSUE_UPDATE_MUTATION, { id: ticket.id, input: { stateId: stateId(r, state) } } satisfies Q.Vars['issueUpdate']);
    if (Q.obj(data.issueUpdate, 'issueUpdate').success !== true)
      throw new TrackerError('unavailable', `Linear did not move ${ticket.identifier} to "${state}"`);
  }

  async function fetchTicket(key: string): Promise<Ticket | null> {
    try {
      return await remember((await api.request(Q.ISSUE_QUERY, { id: key } satisfies Q.Vars['issue'])).issue);
    } catch (err) {
      if (err instanceof TrackerError && err.kind === 'not_found') return null;
      throw err;
    }
  }

  const tracker: LinearTracker = {
    kind: 'linear',
    resolve: async () => { await ensure(); },

    async candidates(): Promise<CandidateList> {
      current = await ensure();
      return { tickets: await poller.poll(), unchanged: false };
    },

    fetch: fetchTicket,

    async freshBlockers(ticket) {
      const fresh = await fetchTicket(ticket.id);
      return fresh ? fresh.blockers : [];
    },

    async probeCandidates() {
      const conn = await candidatesPage(await ensure(), null);
      return { listed: Q.nodes(conn, 'issues').length, complexity: api.lastComplexity() };
    },

    async measurePolling() {
      current = await ensure();
      poller.reset();
      await poller.poll();
      const sweep = poller.lastCost()!;
      await poller.poll();
      return { sweep, changes: poller.lastCost()!, budgets: api.budgets() };
    },

    comments: (ticket) => trust.comments(ticket),
    trust: (ticket) => trust.verdict(ticket),
    changedBy: (ticket, change) => trust.changedBy(ticket, change),

    async show(ticket, appearance) {
      const r = await ensure();
      const now = { name: ticket.state };
      // Never reopen or move a ticket a human (or Linear's GitHub integration) completed, canceled or
      // marked duplicate.
      let closed = !ticket.open;
      // Its merge was reverted: the one exception, once — back to verify.reopen_state (default: the first of states).
      const reopenTo = reopenState(opts.config);
      if (appearance.reopen && closed && reopenTo !== null) {
        await moveTo(ticket, reopenTo);
        now.name = reopenTo;
        closed = false;
      }
      const revertedLabel = r.labels.get(verifyConfig(opts.config).reverted_label) ?? null;
      if (appearance.reverted && revertedLabel !== null && !ticket.labels.includes(verifyConfig(opts.config).reverted_label)) {
        await api.request(Q.ADD_LABEL_MUTATION, { id: ticket.id, labelId: revertedLabel } satisfies Q.Vars['addLabel']);
      }
      const move = async (state: string | null) => {
        if (state !== null && !closed && now.name !== state) await moveTo(ticket, state);
      };
      const failedLabel = r.labels.get(cfg.failed_label) ?? null;
      const hasFailedLabel = failedLabel !== null && ticket.labels.some((l) => l === cfg.failed_label);
      const dropFailedLabel = async () => {
        if (hasFailedLabel) await api.request(Q.ISSUE_UPDATE_MUTATION, { id: ticket.id, input: { removedLabelIds: [failedLabel] } } satisfies Q.Vars['issueUpdate']);
      };
      // Back to the first eligible state — or, for a reverted ticket, to verify.reopen_state.
      const back = appearance.reopen && reopenTo !== null ? reopenTo : cfg.states[0]!;
      switch (appearance.mark) {
        case 'running':
          await move(cfg.running_state);
          break;
        case 'review':
          // Only a real PR URL becomes an attachment; the pushed-branch handoff (no GitHub) has none.
          if (appearance.pr && /^https?:\/\//i.test(appearance.pr.url)) await tracker.linkPullRequest(ticket, appearance.pr);
          await move(cfg.review_state);
          break;
        case 'failed':
          if (cfg.failed_state !== null) await move(cfg.failed_state);
          else {
            // Label first, so the ticket is never back in an eligible state without its failed label.
            if (!hasFailedLabel) await api.request(Q.ADD_LABEL_MUTATION, { id: ticket.id, labelId: failedLabel! } satisfies Q.Vars['addLabel']);
            if (now.name === cfg.running_state) await move(back);
          }
          break;
        case 'released':
          // Only our claim goes: a human who moved the issue elsewhere keeps it there.
          if (now.name === cfg.running_state) await move(back);
          break;
        case 'cleared':
          await dropFailedLabel();
          if ([cfg.running_state, cfg.review_state, cfg.failed_state].includes(now.name)) await move(back);
          break;
      }
      // pr.needs_human_label, when the team or workspace has it (a state for it is not supported: the sticky says it).
      const humanLabel = r.labels.get(opts.config.pr.needs_human_label) ?? null;
      const hasHuman = ticket.labels.some((l) => l === opts.config.pr.needs_human_label);
      if (humanLabel !== null && appearance.needsHuman && !hasHuman) await api.request(Q.ADD_LABEL_MUTATION, { id: ticket.id, labelId: humanLabel } satisfies Q.Vars['addLabel']);
      if (humanLabel !== null && !appearance.needsHuman && appearance.mark !== 'review' && hasHuman) {
        await api.request(Q.ISSUE_UPDATE_MUTATION, { id: ticket.id, input: { removedLabelIds: [humanLabel] } } satisfies Q.Vars['issueUpdate']);
      }
      if (appearance.sticky !== null) await sticky.show(ticket.id, appearance.sticky, (await ensure()).viewerId);
    },

    async linkPullRequest(ticket, pr) {
      const data = await api.request(Q.LINK_URL_MUTATION, { issueId: ticket.id, url: pr.url, title: `Pull request #${pr.number}` } satisfies Q.Vars['linkUrl']);
      if (Q.obj(data.attachmentLinkURL, 'attachmentLinkURL').success !== true)
        throw new TrackerError('unavailable', `Linear did not link ${pr.url} to ${ticket.identifier}`);
    },

    rateLimit: () => api.rateLimit(),
    requestCount: () => api.requestCount(),
  };
  return tracker;
}
