// The prompt: WORKFLOW.md's body rendered with nunjucks against the documented variables.
// Only the operator's template is ever compiled. Ticket text (title, body, comments) is passed as data,
// so `{{ }}` or `{% raw %}` inside an issue appears literally. Every variable is normalised first
// (nunjucks' throwOnUndefined also throws on null), and a fresh random `fence` marks where untrusted
// ticket text starts and ends; any occurrence of the fence inside ticket text is removed. PR text of a
// follow-up (check summaries, log excerpts, review comments) is ticket text in every respect.
import { randomBytes } from 'node:crypto';
import { explain } from './errors.js';
import nunjucks from 'nunjucks';
import type { Ticket } from '../tracker/types.js';

export interface PromptComment {
  author: string;
  body: string;
  created_at: string;
}

export interface PromptAttempt {
  number: number;
  model: string;
  outcome: string;
  reason: string;
  summary: string;
}

/** One failing check of a follow-up: name, conclusion, summary and the end of its log (all PR text: untrusted). */
export interface PromptFollowupCheck {
  name: string;
  conclusion: string;
  summary: string;
  log_excerpt: string;
}

/** One review or PR comment of a follow-up; a conversation comment has path "" and line 0. */
export interface PromptFollowupComment {
  author: string;
  body: string;
  path: string;
  line: number;
}

/**
 * `followup` in the template: why this attempt follows up on the ticket's open pull request — `ci` (checks
 * failed on the head) or `review` (a trusted reviewer asked for changes) — or kind "" (round 0, empty lists)
 * when the attempt is not a follow-up, so a template can test `{% if followup.kind %}`.
 */
export interface PromptFollowup {
  kind: 'ci' | 'review' | '';
  /** 1-based follow-up number on this ticket; 0 when not a follow-up. */
  round: number;
  head_sha: string;
  checks: PromptFollowupCheck[];
  comments: PromptFollowupComment[];
}

/** One failing check of a reverted merge: name, conclusion and the end of its log (CI text: untrusted). */
export interface PromptVerificationCheck {
  name: string;
  conclusion: string;
  log_excerpt: string;
}

/**
 * `verification` in the template: the attempt after swarm reverted this ticket's merge because the base
 * branch went red — the merge commit, the revert (PR URL or pushed commit), the failing checks and the end
 * of verify.command's output. Empty strings and lists otherwise, so a template can test
 * `{% if verification.merge_sha %}`.
 */
export interface PromptVerification {
  merge_sha: string;
  revert_pr: string;
  checks: PromptVerificationCheck[];
  command_output: string;
}

/** `issue` in the template: the ticket's documented fields plus its trusted comments. */
export interface PromptIssue extends Pick<Ticket, 'id' | 'identifier' | 'number' | 'title' | 'body' | 'url' | 'labels' | 'priority' | 'state'> {
  comments: PromptComment[];
}

/** Exactly the variables a WORKFLOW.md template may use. Never null or undefined anywhere. */
export interface PromptVars {
  issue: PromptIssue;
  /** 1-based attempt number. */
  attempt: number;
  model: string;
  branch: string;
  base_branch: string;
  /** owner/name */
  repo: string;
  workspace: string;
  previous_attempts: PromptAttempt[];
  followup: PromptFollowup;
  verification: PromptVerification;
  /** Who pushes (pr.publish): "swarm" — the agent only commits — or "agent" — it pushes and opens the PR. */
  publish: 'swarm' | 'agent';
  /** Random per-render marker, e.g. "untrusted-9f2c…": wrap untrusted text in <<<{{ fence }} … {{ fence }}>>>. */
  fence: string;
}

type Loose<T> = { [K in keyof T]?: T[K] | null };

/** What callers have: any field may be missing or null (a Ticket, a TicketComment and an Attempt fit). */
export interface PromptInput {
  issue?: (Loose<Omit<PromptIssue, 'comments' | 'labels'>> & {
    labels?: (string | null | undefined)[] | null;
    /** Comments with `trusted: false` are dropped. */
    comments?: (Loose<PromptComment> & { trusted?: boolean | null })[] | null;
  }) | null;
  attempt?: number | null;
  model?: string | null;
  branch?: string | null;
  base_branch?: string | null;
  repo?: string | null;
  workspace?: string | null;
  previous_attempts?: (Loose<PromptAttempt> & { attempt?: number | null })[] | null;
  followup?: (Loose<Pick<PromptFollowup, 'round' | 'head_sha'>> & {
    kind?: string | null;
    checks?: Loose<PromptFollowupCheck>[] | null;
    /** Comments with `trusted: false` are dropped; a null path / line (conversation comment) is "" / 0. */
    comments?: (Loose<PromptFollowupComment> & { trusted?: boolean | null })[] | null;
  }) | null;
  verification?: (Loose<Pick<PromptVerification, 'merge_sha' | 'revert_pr' | 'command_output'>> & { checks?: Loose<PromptVerificationCheck>[] | null }) | null;
  publish?: string | null;
}


export function newFence(): string {
  return `untrusted-${randomBytes(8).toString('hex')}`;
}

function text(v: unknown, fence: string): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'string' ? v : String(v);
  // Repeat: removing one occurrence could join its neighbours into a new one.
  while (fence !== '' && s.includes(fence)) s = s.split(fence).join('');
  return s;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/**
 * Normalise whatever the caller has into PromptVars: no nulls, a fresh random fence per call (tests may
 * pass one), and every occurrence of the fence removed from the text.
 */
export function buildPromptVars(input: PromptInput, fence: string = newFence()): PromptVars {
  const t = (v: unknown): string => text(v, fence);
  const issue = input.issue ?? {};
  const comments = (issue.comments ?? []).filter((c) => c && c.trusted !== false);
  return {
    issue: {
      id: t(issue.id),
      identifier: t(issue.identifier),
      number: num(issue.number),
      title: t(issue.title),
      body: t(issue.body),
      url: t(issue.url),
      labels: (issue.labels ?? []).filter((l): l is string => typeof l === 'string').map(t),
      priority: num(issue.priority),
      state: t(issue.state),
      comments: comments.map((c) => ({ author: t(c.author), body: t(c.body), created_at: t(c.created_at) })),
    },
    attempt: Math.max(1, num(input.attempt)),
    model: t(input.model),
    branch: t(input.branch),
    base_branch: t(input.base_branch),
    repo: t(input.repo),
    workspace: t(input.workspace),
    previous_attempts: (input.previous_attempts ?? [])
      .filter((a) => a)
      .map((a, i) => ({
        number: num(a.number ?? a.attempt) || i + 1,
        model: t(a.model),
        outcome: t(a.outcome),
        reason: t(a.reason),
        summary: t(a.summary),
      })),
    followup: followupVars(input.followup ?? null, t),
    verification: verificationVars(input.verification ?? null, t),
    publish: input.publish === 'agent' ? 'agent' : 'swarm',
    fence,
  };
}

/** The followup variable: PR text through the same fence removal as ticket text; never undefined. */
function followupVars(f: PromptInput['followup'], t: (v: unknown) => string): PromptFollowup {
  const kind = f?.kind === 'ci' || f?.kind === 'review' ? f.kind : '';
  if (!f || kind === '') return { kind: '', round: 0, head_sha: '', checks: [], comments: [] };
  return {
    kind,
    round: num(f.round),
    head_sha: t(f.head_sha),
    checks: (f.checks ?? [])
      .filter((c) => c)
      .map((c) => ({ name: t(c.name), conclusion: t(c.conclusion), summary: t(c.summary), log_excerpt: t(c.log_excerpt) })),
    comments: (f.comments ?? [])
      .filter((c) => c && c.trusted !== false)
      .map((c) => ({ author: t(c.author), body: t(c.body), path: t(c.path), line: num(c.line) })),
  };
}

/** The verification variable: CI text through the same fence removal as ticket text; never undefined. */
function verificationVars(v: PromptInput['verification'], t: (x: unknown) => string): PromptVerification {
  if (!v || !v.merge_sha) return { merge_sha: '', revert_pr: '', checks: [], command_output: '' };
  return {
    merge_sha: t(v.merge_sha),
    revert_pr: t(v.revert_pr),
    checks: (v.checks ?? []).filter((c) => c).map((c) => ({ name: t(c.name), conclusion: t(c.conclusion), log_excerpt: t(c.log_excerpt) })),
    command_output: t(v.command_output),
  };
}

/** A nunjucks environment as swarm renders with: no escaping, and an undefined or null value is an error. */
export function newEnvironment(): nunjucks.Environment {
  return new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });
}

const renderEnv = newEnvironment();

/** Render the operator's template. Throws TemplateError (code ETEMPLATE) naming the line and variable. */
export function renderPrompt(template: string, vars: PromptVars): string {
  try {
    return renderEnv.renderString(template, vars);
  } catch (err) {
    throw explain(err, template);
  }
}
