// `swarm explain`: why a ticket is or is not being worked on, built (purely) from the same policy
// eligibility() the poll loop uses, plus the three checks the loop makes with I/O — labeler trust, an
// existing pull request for the branch, free capacity — the model ladder, the attempts so far, and one
// sentence on what happens next.
import { dispatchHold } from '../core/verify-policy.js';
import { verifyConfig } from '../config/verify.js';
import type { Config } from '../config/types.js';
import type { PullRequest, Ticket, TrustVerdict } from '../tracker/types.js';
import type { TicketState, ViewedState } from '../core/types.js';
import { capacity, eligibility, modelFor, scopePause } from '../core/policy.js';
import { formatMs } from '../util/format.js';
import { canaryTurn, canaryWaitReason, type AccountView } from '../core/account-policy.js';
import { laneOf, type Lane } from '../core/lanes.js';
import { plain, type Paint } from './status.js';
import { terminalSafe } from '../util/terminal.js';
import { verificationOf, verificationLines, verificationNext, type VerificationExplained } from './explain-verify.js';

export interface ExplainInput {
  ticket: Ticket;
  config: Config;
  state: ViewedState;
  now: number;
  daemon: { running: boolean; pid: number | null };
  /** Keys with a live agent (from the state while a daemon runs). */
  running: ReadonlySet<string>;
  trust: TrustVerdict | { error: string };
  /** The PR for the ticket's branch, null for none, or why it could not be checked. */
  pr: PullRequest | null | { error: string };
  codeHost: 'github' | 'none';
  branch: string;
  /** The shared Claude account (its pause, canary and window figures), as freshly as it can be read. */
  account?: AccountView | null;
  /** Background-lane tickets the daemon is running now. */
  backgroundRunning?: number;
}

export interface ExplainCheck {
  rule: string;
  pass: boolean;
  detail: string;
}

export interface ExplainReport {
  ticket: { key: string; identifier: string; title: string; url: string; state: string };
  branch: string;
  lane: Lane;
  checks: ExplainCheck[];
  eligible: boolean;
  ladder: { failure: number; model: string; next: boolean }[];
  attempts: { number: number; model: string; outcome: string; counted: boolean; reason: string; cost_usd: number; duration_ms: number; summary: string }[];
  /** The agent's own final words when its last finished attempt failed or changed nothing. */
  last_words: { attempt: number; text: string } | null;
  /** PR follow-through: rounds so far, what the watcher last saw and decided; null before a PR was watched. */
  followup: { rounds: number; max: number; head_sha: string | null; checks: string | null; decision: string | null; stopped: string | null; watched_at: string | null } | null;
  /** Verification after merge: what it saw of the ticket's last merge, the charge and the revert; null before a merge. */
  verification: VerificationExplained | null;
  next: string;
}

export function explain(inp: ExplainInput): ExplainReport {
  const { ticket: t, config, state, now } = inp;
  const ts: TicketState | undefined = state.tickets[t.key];
  // A red base holds new tickets as the daemon does (verify.hold_while_red: dispatch).
  const ctx = { config, state, now, running: inp.running, account: inp.account ?? null, backgroundRunning: inp.backgroundRunning ?? 0, hold: dispatchHold(state.base, verifyConfig(config)), disk: state.daemon?.disk_full ?? null };
  const checks: ExplainCheck[] = eligibility(t, ctx).map((c) => ({ rule: c.rule, pass: c.pass, detail: c.detail }));
  const trust: ExplainCheck = 'error' in inp.trust
    ? { rule: 'trust', pass: false, detail: `could not check who wrote the ticket: ${inp.trust.error}` }
    : { rule: 'trust', pass: inp.trust.trusted, detail: inp.trust.reason };
  checks.push(trust);
  // What the tracker read only in part (a flood of references or comments): shown, never blocking.
  for (const note of t.notes ?? []) checks.push({ rule: 'limits', pass: true, detail: note });
  const prOpen = inp.pr !== null && !('error' in inp.pr) && inp.pr.state !== 'closed' ? inp.pr : null;
  checks.push(prCheck(inp));
  const isRunning = inp.running.has(t.key);
  const used = inp.running.size;
  const turn = canaryTurn(inp.account, now);
  const free = capacity(config, state, used, turn);
  const accountCanary = turn === 'elsewhere' || (turn !== 'none' && used > 0) ? canaryWaitReason(inp.account, now, used) : null;
  checks.push({
    rule: 'concurrency',
    pass: isRunning || free > 0,
    detail: isRunning
      ? 'holds one of the slots'
      : free > 0
        ? `${used} of ${config.agent.max_concurrent} slots in use${state.canary || turn !== 'none' ? ' (canary: one run first after a pause)' : ''}`
        : accountCanary
          ? accountCanary
          : state.canary && used > 0
            ? 'after a pause one canary run goes first; other slots wait for it to get past fast_fail'
            : `all ${config.agent.max_concurrent} slots in use`,
  });
  const failures = ts?.failures ?? 0;
  const ladder = Array.from({ length: config.agent.max_attempts }, (_, i) => ({ failure: i, model: modelFor(i, config.agent.models), next: i === failures }));
  return {
    ticket: { key: t.key, identifier: t.identifier, title: t.title, url: t.url, state: t.state },
    branch: inp.branch,
    lane: laneOf(t, config),
    checks,
    eligible: checks.every((c) => c.pass),
    ladder,
    attempts: (ts?.attempts ?? []).map((a) => ({ number: a.number, model: a.model, outcome: a.outcome, counted: a.counted, reason: a.reason, cost_usd: a.cost_usd, duration_ms: a.duration_ms, summary: a.summary })),
    last_words: lastWordsOf(ts),
    followup: followupOf(ts, config),
    verification: verificationOf(ts, state),
    next: withDaemon(verificationNext(ts) ?? nextStep(inp, checks, ts, prOpen), inp),
  };
}

function lastWordsOf(ts: TicketState | undefined): ExplainReport['last_words'] {
  const a = [...(ts?.attempts ?? [])].reverse().find((x) => x.outcome !== 'running' && x.outcome !== 'interrupted');
  if (!a || !a.summary.trim() || a.outcome.startsWith('pr_') || a.outcome === 'cancelled') return null;
  return { attempt: a.number, text: a.summary.trim() };
}

function prCheck(inp: ExplainInput): ExplainCheck {
  if (inp.codeHost === 'none') return { rule: 'pull_request', pass: true, detail: 'no code host: the handoff is the pushed branch' };
  const pr = inp.pr;
  if (pr === null) return { rule: 'pull_request', pass: true, detail: `no pull request for ${inp.branch}` };
  if ('error' in pr) return { rule: 'pull_request', pass: false, detail: `could not look for a pull request: ${pr.error}` };
  if (pr.state === 'closed') return { rule: 'pull_request', pass: true, detail: `${pr.url} was closed without merging; a new attempt may open another` };
  return { rule: 'pull_request', pass: false, detail: `${pr.url} is ${pr.state} for ${inp.branch}` };
}

function nextStep(inp: ExplainInput, checks: ExplainCheck[], ts: TicketState | undefined, pr: PullRequest | null): string {
  const { ticket: t, config, state, now } = inp;
  const failing = (rule: string) => checks.find((c) => c.rule === rule && !c.pass);
  const model = modelFor(ts?.failures ?? 0, config.agent.models);
  const attemptNo = (ts?.attempts.length ?? 0) + 1;
  if (failing('open')) return 'nothing: the ticket is closed';
  if (inp.running.has(t.key)) {
    const a = ts?.attempts[ts.attempts.length - 1];
    const live = a?.outcome === 'running' ? `attempt ${a.number} on ${a.model}` : 'being prepared';
    return `an agent is working on it now (${live}${ts?.last_event ? `; last: ${ts.last_event}` : ''}); follow it with \`swarm logs ${t.key} --follow\``;
  }
  if (ts?.status === 'failed' && ts.followup?.stopped?.why === 'diverged') return `stopped for a human: ${ts.followup.stopped.detail}`;
  if (failing('attempts')) return `nothing until an operator runs \`swarm retry ${t.key}\` (and removes the ${config.tracker.failed_label} label if the tracker still shows it)`;
  const f = ts?.followup;
  if (ts?.status === 'done') return `nothing: ${ts.last_event}`;
  if (ts?.status === 'review' && f?.stopped) return `no more follow-ups: ${f.stopped.detail}; remove the ${config.pr.needs_human_label} label to let swarm follow up again`;
  if (ts?.status === 'review' && f?.seen && inp.codeHost === 'github') return `PR follow-through: ${f.seen.decision} (watched every ${formatMs(config.pr.watch_interval)}; ${f.rounds} of ${config.pr.max_followups} follow-ups used)`;
  if (failing('handed_off')) return `nothing: the work was handed off${ts?.pr ? ` (${ts.pr.url})` : ''}; remove the ${config.tracker.review_label} label or run \`swarm retry ${t.key}\` to run it again`;
  const held = failing('hold');
  if (held) return `nothing: ${held.detail}`;
  if (pr) return `the next poll finds ${pr.url} and marks the ticket handed off without running an agent`;
  const blocking = ['state', 'labels', 'exclude_labels', 'claimed_elsewhere', 'blockers', 'sub_issues', 'reclaim'].map(failing).filter((c): c is ExplainCheck => c !== undefined);
  if (blocking.length > 0) return `not picked up while: ${blocking.map((c) => c.detail).join('; ')}`;
  const trust = failing('trust');
  if (trust) return `ignored every poll: ${trust.detail}`;
  const prErr = failing('pull_request');
  if (prErr) return `the next poll tries again (${prErr.detail})`;
  if (failing('retry_wait') && ts?.next_retry_at) return `retry in ${formatMs(Date.parse(ts.next_retry_at) - now)} as attempt ${attemptNo} on ${model} (${ts.retry_reason ?? 'backoff'})`;
  const pause = scopePause(state, now, state.daemon?.disk_full ?? null);
  if (pause?.kind === 'disk_full') return `waits for disk space: ${pause.reason}; then attempt ${attemptNo} on ${model}`;
  if (pause) return pause.until ? `waits for the ${pause.kind} pause to end at ${pause.until} (${formatMs(Date.parse(pause.until) - now)}), then attempt ${attemptNo} on ${model}` : `waits until an operator runs \`swarm resume\` (${pause.kind} pause), then attempt ${attemptNo} on ${model}`;
  const paused = failing('pause');
  if (paused) return `waiting: ${paused.detail}`;
  const lane = failing('lane');
  if (lane) return `waiting: ${lane.detail}`;
  const budget = failing('budget');
  if (budget) return `waits: ${budget.detail}`;
  if (failing('concurrency')) return `eligible; waits for a free slot, then attempt ${attemptNo} on ${model}`;
  return `claimed at the next poll (within ${formatMs(config.polling.interval)}): attempt ${attemptNo} on ${model}, branch ${inp.branch}`;
}

function followupOf(ts: TicketState | undefined, config: Config): ExplainReport['followup'] {
  const f = ts?.followup;
  if (!f) return null;
  return {
    rounds: f.rounds, max: config.pr.max_followups, head_sha: f.seen?.head_sha ?? null, checks: f.seen?.checks ?? null,
    decision: f.seen?.decision ?? null, stopped: f.stopped ? `${f.stopped.why}: ${f.stopped.detail}` : null, watched_at: f.seen?.at ?? null,
  };
}

function withDaemon(next: string, inp: ExplainInput): string {
  return inp.daemon.running ? next : `${next} — no daemon is running now (\`swarm start\`)`;
}

export function renderExplain(r: ExplainReport, p: Paint = plain): string {
  const out: string[] = [];
  out.push(`${p.bold(`${r.ticket.identifier} ${r.ticket.title}`)} (${r.ticket.state})`);
  if (r.ticket.url) out.push(p.dim(r.ticket.url));
  out.push(p.dim(`branch ${r.branch} · ${r.lane} lane`));
  out.push('');
  const width = Math.max(...r.checks.map((c) => c.rule.length));
  for (const c of r.checks) out.push(`  ${c.pass ? p.green('✓') : p.red('✗')} ${c.rule.padEnd(width)}  ${c.pass ? c.detail : p.red(c.detail)}`);
  out.push('');
  out.push(`Model ladder: ${r.ladder.map((s) => (s.next ? p.bold(`[${s.model}]`) : s.model)).join(' → ')}${r.ladder.some((s) => s.next) ? '' : ' (exhausted)'}`);
  if (r.attempts.length === 0) out.push('Attempts so far: none');
  else {
    out.push(`Attempts so far (${r.attempts.filter((a) => a.counted).length} counted):`);
    for (const a of r.attempts) {
      out.push(`  ${String(a.number).padStart(2)}  ${a.model.padEnd(7)} ${a.outcome.padEnd(15)} ${a.counted ? 'counted' : '       '}  $${a.cost_usd.toFixed(2)}  ${a.reason.replace(/\s+/g, ' ').slice(0, 80)}`);
    }
    if (r.last_words) {
      const words = r.last_words.text.replace(/\s+/g, ' ');
      out.push(`Last words of attempt ${r.last_words.attempt}: “${words.length > 600 ? `${words.slice(0, 599)}…` : words}”`);
    }
  }
  if (r.followup) {
    const f = r.followup;
    out.push(`Follow-through: ${f.rounds} of ${f.max} follow-ups${f.head_sha ? `; head ${f.head_sha.slice(0, 7)}` : ''}${f.checks ? ` (${f.checks})` : ''}${f.watched_at ? `, watched ${f.watched_at}` : ''}`);
    if (f.stopped) out.push(`  stopped: ${f.stopped}`);
    else if (f.decision) out.push(`  ${f.decision}`);
  }
  if (r.verification) out.push(...verificationLines(r.verification));
  out.push('');
  out.push(`${p.bold('Next:')} ${r.next}`);
  return terminalSafe(out.join('\n') + '\n', p.sgr);
}
