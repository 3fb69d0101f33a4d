// One attempt, start to finish: worktree → before_run hook → prompt → (the gate, the start, the spawn, in
// one synchronous step) → claude → after_run hook → handoff facts (PR through the API, commits through
// git) → classify → auto-open the PR if the agent committed but opened none. No scheduling and no state
// transitions: the gate callback and the caller apply them.
import { join } from 'node:path';
import type { Workflow } from '../config/types.js';
import type { PendingFollowup, TicketState } from '../core/types.js';
import type { RunResult, StreamEvent, StreamSummary } from '../agent/types.js';
import type { PullRequest, Ticket } from '../tracker/types.js';
import type { Runtime, Services } from './runtime.js';
import { buildClaudeArgs, writeMcpConfig } from '../agent/args.js';
import type { Inbox } from '../agent/inbox.js';
import { classify } from '../agent/classify.js';
import { agentEnv } from '../config/env.js';
import { buildPromptVars, renderPrompt } from '../prompt/render.js';
import { hookEnv, runHook } from '../workspace/hooks.js';
import { commitsAhead } from '../workspace/git.js';
import { remainingBudget } from '../core/budget.js';
import { resumeFailed } from '../agent/resume.js';
import { branchCommits, checkoutHead, remoteBranchHead } from '../workspace/branch-facts.js';
import { guardBranch } from '../workspace/branch-guard.js';
import { GUARD_DIR, installPushGuard } from '../workspace/push-guard.js';
import { launchAgent, launchEnv } from './agent-launch.js';
import { infraCls, publish, publishAndOpen, publishOntoOpenPr, refusedCls } from './handoff.js';
import type { AttemptOutput } from '../core/types.js';

export interface AttemptInput {
  ticket: Ticket;
  /** The record as it was when the attempt was prepared (branch, worktree, earlier attempts). */
  ts: TicketState;
  /** The attempt about to run: its number, model and transcript file. */
  attempt: number;
  model: string;
  runFile: string;
  signal: AbortSignal;
  /** PR follow-through: the follow-up this attempt is (same branch and worktree, never a new PR). */
  followup?: PendingFollowup | null;
  /** The Claude session to resume (`--resume`), when the ticket's last one may still exist. */
  resume?: string | null;
  /** Awaited just before the gate: brings the shared pause up to date (fleet mode, one account). */
  ready?: () => Promise<void>;
  /** Asked right before the spawn, synchronously: null to start (recording the start), or why not. */
  gate: () => string | null;
  /** Whether another ticket's attempt for `branch` was prepared or ran since `since` (ref-guard.ts leaves those alone). */
  busyBranch?: (branch: string, since: number) => boolean;
  onSpawn: (pid: number, pidStart: string | null) => void;
  onEvent: (ev: StreamEvent, summary: StreamSummary) => void;
  /** A fresh operator inbox for each spawn (stream-json input; see agent/inbox.ts); absent: prompt on stdin, then EOF. */
  newInbox?: () => Inbox;
}

export async function runAttempt(rt: Runtime, svc: Services, wf: Workflow, input: AttemptInput): Promise<AttemptOutput> {
  const { ticket, ts } = input;
  let started = false;
  const gate = () => {
    const why = input.gate();
    started = why === null;
    return why;
  };
  const cfg = wf.config;
  const swarmVars = hookEnv({
    ticketId: ticket.key,
    ticketNumber: ticket.number,
    ticketUrl: ticket.url,
    branch: ts.branch,
    baseBranch: svc.baseBranch,
    workspace: svc.worktrees.pathFor(ts.branch),
    attempt: input.attempt,
    model: input.model,
    repo: svc.repoSlug,
    repoId: svc.worktrees.repoId,
  });
  const hookEnvironment = agentEnv(rt.env, svc.secrets, {}, swarmVars);

  // The prompt needs the ticket's comments: read them while git checks the worktree out.
  const comments = svc.tracker.comments(ticket).then((list) => list.filter((c) => c.trusted));
  comments.catch(() => {}); // awaited below; an early return must not leave it unhandled
  let wsPath: string;
  try {
    wsPath = (await svc.worktrees.ensure(ticket, ts.branch, hookEnvironment)).path;
  } catch (err) {
    return infra(`could not prepare the worktree: ${msg(err)}`, 'workspace');
  }
  if (input.signal.aborted) return cancelledBeforeRun(input.signal);
  if (input.followup) {
    try {
      const backup = await checkoutHead(wsPath, ts.branch, input.followup.head_sha);
      if (backup) rt.log.warn(`local commits the PR head ${input.followup.head_sha.slice(0, 7)} does not have are kept under ${backup}`, ticket.identifier);
    } catch (err) {
      return infra(`could not bring the worktree to the PR head ${input.followup.head_sha.slice(0, 7)}: ${msg(err)}`, 'workspace');
    }
  } else {
    // A branch someone else rewrote is theirs now: no agent on the stale local copy (branch-guard.ts).
    const stop = await guardBranch(wsPath, ts.branch, (m) => rt.log.info(m, ticket.identifier)).catch((err: Error) => ({ error: msg(err) }));
    if (stop && 'error' in stop) return infra(`could not compare the branch with origin: ${stop.error}`, 'workspace');
    if (stop) return { ...infra(stop.reason, 'diverged'), diverged: stop };
  }
  const before = await runHook('before_run', cfg.hooks.before_run, { cwd: wsPath, env: hookEnvironment, timeoutMs: cfg.hooks.timeout });
  if (!before.ok) return infra(`hooks.before_run failed (${before.timedOut ? 'timed out' : `exit ${before.code}`}): ${lastLine(before.output)}`, 'hook');

  let prompt: string;
  try {
    prompt = renderPrompt(
      wf.template,
      buildPromptVars({
        issue: { ...ticket, comments: await comments },
        attempt: input.attempt,
        model: input.model,
        branch: ts.branch,
        base_branch: svc.baseBranch,
        repo: svc.repoSlug,
        workspace: wsPath,
        previous_attempts: ts.attempts.filter((a) => a.number < input.attempt && a.outcome !== 'running'),
        followup: input.followup ?? null,
        // After a revert: what broke the base branch (empty otherwise).
        verification: ts.verify?.evidence ?? null,
        publish: cfg.pr.publish,
      }),
    );
  } catch (err) {
    return infra(`could not build the prompt: ${msg(err)}`, 'prompt');
  }

  const launchedEnv = launchEnv(rt, cfg, swarmVars, svc.secrets);
  if (typeof launchedEnv === 'string') return infra(launchedEnv, 'root');
  let env: Record<string, string>;
  try {
    // The agent's git refuses non-fast-forward pushes (push-guard.ts); no agent runs without the guard.
    env = { ...launchedEnv, ...installPushGuard(svc.worktrees.home, svc.worktrees.repoDir, svc.worktrees.commonDir, launchedEnv) };
  } catch (err) {
    return infra(`could not install the pre-push guard: ${msg(err)}`, 'workspace');
  }
  // Memory the operator did not write, above the worktree, would reach this agent outside any fence.
  const alert = (await rt.containment?.memory.check(wsPath)) ?? null;
  if (alert) return { ...infra(`containment: ${alert}`, 'containment'), halt: alert };
  const mcpConfigPath = writeMcpConfig(join(rt.paths.runs, safeSegment(ts.key)), cfg.agent.mcp_servers);
  const budget = remainingBudget(cfg, ts);
  await input.ready?.().catch(() => undefined); // a stale view still meets the gate's own checks
  const launch = { id: ticket.identifier, key: ts.key, branch: ts.branch, worktree: wsPath, workspaceRoot: svc.worktrees.root, hooksDir: join(svc.worktrees.home, GUARD_DIR), workflowPath: wf.path, secrets: svc.secrets, busy: input.busyBranch ?? (() => false) };
  const spawn = async (resume: string | null, gateFn: () => string | null) => launchAgent(rt, cfg, launch, {
    command: cfg.agent.command,
    args: buildClaudeArgs(cfg.agent, { model: input.model, mcpConfigPath, maxBudgetUsd: budget, resume: resume ?? undefined, streamInput: input.newInbox !== undefined }),
    inbox: input.newInbox?.(),
    cwd: wsPath,
    env,
    prompt,
    runFile: input.runFile,
    transcriptMax: cfg.agent.transcript_max,
    secrets: [...svc.secrets, ...wf.secrets],
    timeoutMs: cfg.agent.timeout,
    stallTimeoutMs: cfg.agent.stall_timeout,
    onSpawn: input.onSpawn,
    onEvent: input.onEvent,
    signal: input.signal,
    gate: gateFn,
  });
  let launched = await spawn(input.resume ?? null, gate);
  // The session to resume is gone (another machine, a cleaned config dir): start fresh at once, in the
  // same attempt — the prompt already carries the previous attempts.
  if ('run' in launched && started && input.resume && resumeFailed(launched.run) && !input.signal.aborted) {
    rt.log.info(`Claude session ${input.resume} is not there to resume; starting a fresh session`, ticket.identifier);
    launched = await spawn(null, () => null);
  }
  if ('setupError' in launched) return { ...infra(launched.setupError, 'sandbox'), started };
  const run = launched.run;
  const none = { commits: [] as string[], followupHead: null };
  if (run.held !== null) return { ...infra('held', 'held'), held: run.held };
  if (!started) return { cls: classify(run, { prExists: false, commitsAhead: 0, canAutoOpen: false }, { fastFailMs: cfg.agent.fast_fail, now: rt.now() }), pr: null, run, held: null, started, ...none };
  const after = await runHook('after_run', cfg.hooks.after_run, { cwd: wsPath, env: hookEnvironment, timeoutMs: cfg.hooks.timeout });
  if (!after.ok) rt.log.warn(`hooks.after_run failed (exit ${after.code}): ${lastLine(after.output)}`, ticket.identifier);
  if (input.followup) return followupOutcome(rt, svc, cfg, input.followup, ts, wsPath, run, wf.secrets, input.signal);

  let pr: PullRequest | null;
  let ahead: number;
  let commits: string[];
  try {
    pr = await svc.codeHost.findPullRequest(ts.branch);
    ahead = await commitsAhead(wsPath, svc.baseBranch);
    commits = await branchCommits(wsPath, svc.baseBranch);
  } catch (err) {
    // Without the facts we cannot tell success from failure; never guess. The next claim re-checks.
    return { cls: { ...infraCls(`could not check for a pull request: ${msg(err)}`, 'handoff-check') }, pr: null, run, held: null, started, ...none };
  }
  const open = pr && pr.state !== 'closed' ? pr : null;
  // Under pr.publish: swarm the agent never pushes: swarm publishes whatever it committed.
  const publishing = cfg.pr.publish === 'swarm';
  let cls = classify(run, { prExists: open !== null, commitsAhead: ahead, canAutoOpen: publishing || cfg.pr.auto_open || svc.codeHost.kind === 'none' }, { fastFailMs: cfg.agent.fast_fail, now: rt.now() });
  if (cls.outcome === 'pr_auto_opened') {
    ({ cls, pr } = await publishAndOpen(rt, svc, cfg, ticket, ts, run, cls, wf.secrets, input.signal));
  } else if (cls.outcome === 'pr_opened' && publishing && ahead > 0) {
    cls = await publishOntoOpenPr(rt, svc, ts, cls, wf.secrets, input.signal);
  }
  return { cls, pr: cls.outcome === 'pr_opened' || cls.outcome === 'pr_auto_opened' ? (pr ?? open) : null, run, held: null, started, commits, followupHead: null };
}

/**
 * A follow-up's facts: what it committed is published onto the PR's branch like any run's (scanned, never
 * forced), then it succeeded exactly when origin's branch moved past the head it was started for onto a
 * commit of this worktree. A secret in its commits stops follow-ups for a human.
 */
async function followupOutcome(rt: Runtime, svc: Services, cfg: Workflow['config'], f: PendingFollowup, ts: TicketState, wsPath: string, run: RunResult, extraSecrets: readonly string[], signal: AbortSignal): Promise<AttemptOutput> {
  let head: string | null;
  let commits: string[];
  try {
    const pub = await publish(rt, svc, extraSecrets, ts, signal);
    if (pub.kind === 'refused') return { cls: refusedCls(pub.reason), pr: null, run, held: null, started: true, commits: [], followupHead: null };
    if (pub.kind === 'failed' || pub.kind === 'diverged') rt.log.warn(`could not push the follow-up's commits: ${pub.reason}`, ts.identifier);
    head = await remoteBranchHead(wsPath, ts.branch);
    commits = await branchCommits(wsPath, svc.baseBranch);
  } catch (err) {
    return { cls: infraCls(`could not read the branch after the follow-up: ${msg(err)}`, 'handoff-check'), pr: null, run, held: null, started: true, commits: [], followupHead: null };
  }
  const pushed = head !== null && head !== f.head_sha && commits.includes(head);
  const cls = classify(run, { prExists: pushed, commitsAhead: 0, canAutoOpen: false }, { fastFailMs: cfg.agent.fast_fail, now: rt.now() });
  const reason = pushed && cls.outcome === 'pr_opened' ? `pushed ${head!.slice(0, 7)} to ${ts.branch}` : cls.reason;
  return { cls: { ...cls, reason }, pr: null, run, held: null, started: true, commits, followupHead: pushed ? head : null };
}

function infra(reason: string, rule: string): AttemptOutput {
  return { cls: infraCls(reason, rule), pr: null, run: null, held: null, started: false, commits: [], followupHead: null };
}
function cancelledBeforeRun(signal: AbortSignal): AttemptOutput {
  const why = signal.reason === 'shutdown' ? 'interrupted by shutdown' : 'cancelled before the agent started';
  return { cls: { outcome: 'cancelled', counted: false, reason: why, resetAt: null, limitType: null, rule: 'cancel' }, pr: null, run: null, held: null, started: false, commits: [], followupHead: null };
}
export function safeSegment(key: string): string {
  return key.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 80) || 'ticket';
}
const msg = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
const lastLine = (s: string) => s.trim().split('\n').pop()?.slice(0, 200) ?? '';
