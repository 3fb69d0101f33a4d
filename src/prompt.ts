// The prompt: WORKFLOW.md's body rendered with nunjucks against the documented variables (SPEC §3).
// Only the operator's template is ever compiled. Ticket text (title, body, comments) is passed as data,
// so `{{ }}` or `{% raw %}` inside an issue appears literally. Every variable is normalised first
// (nunjucks' throwOnUndefined also throws on null), and a fresh random `fence` marks where untrusted
// ticket text starts and ends; any occurrence of the fence inside ticket text is removed. PR text of a
// follow-up (check summaries, log excerpts, review comments) is ticket text in every respect.
import { randomBytes } from 'node:crypto';
import { TemplateError } from './errors.js';
import nunjucks from 'nunjucks';
import type { Ticket } from './tracker/types.js';

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

/** `issue` in the template: the ticket's documented fields (SPEC §3) plus its trusted comments. */
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

function newEnvironment(): nunjucks.Environment {
  return new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });
}

const renderEnv = newEnvironment();

const POSITION = /\[Line (\d+), Column (\d+)\]/;

/** The `{{ … }}` expression that starts at (line, column) of the template, if there is one. */
function expressionAt(template: string, line: number, column: number): string | null {
  const src = template.split(/\r?\n/)[line - 1];
  if (src === undefined) return null;
  const open = src.lastIndexOf('{{', Math.max(0, column - 1) + 1);
  if (open === -1) return null;
  const close = src.indexOf('}}', open);
  const inner = src.slice(open + 2, close === -1 ? undefined : close).replace(/^-/, '').replace(/-$/, '');
  return inner.trim() || null;
}

/** Best effort: the first template line that mentions the variable's last segment. */
function lineOf(template: string, variable: string): number | null {
  const name = variable.split('.').pop()!.replace(/[^A-Za-z0-9_]/g, '');
  const re = variable.includes('.') ? new RegExp(`\\.${name}\\b`) : new RegExp(`\\b${name}\\b`);
  const idx = template.split(/\r?\n/).findIndex((l) => re.test(l));
  return idx === -1 ? null : idx + 1;
}

/** Turn a nunjucks error into a TemplateError whose message names the line and, if possible, the variable. */
function explain(err: unknown, template: string, unknown: string[] = []): TemplateError {
  const raw = err instanceof Error ? err.message : String(err);
  const pos = POSITION.exec(raw);
  const line = pos ? Number(pos[1]) : unknown.length > 0 ? lineOf(template, unknown[0]!) : null;
  const detail = raw
    .replace(/^\(unknown path\)\s*/, '')
    .replace(POSITION, '')
    .replace(/^\s*(Error:\s*)?/, '')
    .trim();
  const where = line !== null ? `prompt template line ${line}` : 'prompt template';
  if (unknown.length > 0) {
    const list = unknown.join(', ');
    return new TemplateError(`${where}: unknown variable ${list} (${DOCUMENTED})`, line, unknown[0]!);
  }
  if (/null or undefined/.test(detail) && pos) {
    const expr = expressionAt(template, Number(pos[1]), Number(pos[2]));
    if (expr) {
      return new TemplateError(`${where}: {{ ${expr} }} is undefined — not a documented variable (${DOCUMENTED})`, line, expr);
    }
  }
  return new TemplateError(`${where}: ${detail}`, line);
}

const DOCUMENTED =
  'documented: issue.{id, identifier, number, title, body, url, labels, priority, state, comments[{author, body, created_at}]}, ' +
  'attempt, model, branch, base_branch, repo, workspace, previous_attempts[{number, model, outcome, reason, summary}], ' +
  'followup.{kind, round, head_sha, checks[{name, conclusion, summary, log_excerpt}], comments[{author, body, path, line}]}, fence';

/** Render the operator's template. Throws TemplateError (code ETEMPLATE) naming the line and variable. */
export function renderPrompt(template: string, vars: PromptVars): string {
  try {
    return renderEnv.renderString(template, vars);
  } catch (err) {
    throw explain(err, template);
  }
}

/**
 * Samples for checkTemplate: `full` (every list has an item, every string is set; a CI follow-up),
 * `review` (the same as a review follow-up) and `empty`.
 */
export function samplePromptVars(kind: 'full' | 'review' | 'empty' = 'full'): PromptVars {
  if (kind === 'empty') return buildPromptVars({});
  return buildPromptVars({
    issue: {
      id: 'I_sample',
      identifier: '#12',
      number: 12,
      title: 'Sample title',
      body: 'Sample body',
      url: 'https://example.invalid/issues/12',
      labels: ['agent'],
      priority: 2,
      state: 'open',
      comments: [{ author: 'octocat', body: 'Sample comment', created_at: '2025-01-01T00:00:00Z' }],
    },
    attempt: 2,
    model: 'sonnet',
    branch: 'swarm/12-sample-title',
    base_branch: 'main',
    repo: 'owner/name',
    workspace: '/tmp/worktree',
    previous_attempts: [{ number: 1, model: 'sonnet', outcome: 'no_changes', reason: 'sample', summary: 'sample' }],
    followup: {
      kind: kind === 'review' ? 'review' : 'ci',
      round: 1,
      head_sha: '0123456789abcdef0123456789abcdef01234567',
      checks: [{ name: 'test', conclusion: 'failure', summary: 'Sample summary', log_excerpt: 'Sample log' }],
      comments: [{ author: 'octocat', body: 'Sample review comment', path: 'src/sample.ts', line: 12 }],
    },
  });
}

/** Wrap documented objects so that reading an undocumented member is recorded, even inside `{% if %}`. */
function watched<T extends object>(obj: T, path: string, unknown: Set<string>): T {
  return new Proxy(obj, {
    get(target, key, receiver) {
      if (typeof key === 'string' && !(key in target) && !key.startsWith('__') && key !== 'then' && key !== 'toJSON') {
        unknown.add(`${path}.${key}`);
      }
      return Reflect.get(target, key, receiver);
    },
  });
}

function watchedVars(vars: PromptVars, unknown: Set<string>): PromptVars {
  return {
    ...vars,
    issue: watched(
      { ...vars.issue, comments: vars.issue.comments.map((c) => watched(c, 'issue.comments[]', unknown)) },
      'issue',
      unknown,
    ),
    previous_attempts: vars.previous_attempts.map((a) => watched(a, 'previous_attempts[]', unknown)),
    followup: watched(
      {
        ...vars.followup,
        checks: vars.followup.checks.map((c) => watched(c, 'followup.checks[]', unknown)),
        comments: vars.followup.comments.map((c) => watched(c, 'followup.comments[]', unknown)),
      },
      'followup',
      unknown,
    ),
  };
}

/**
 * Compile and render the template against the full and the empty sample. Throws TemplateError on a
 * syntax error or on any variable that is not documented — output or merely tested in a condition.
 */
export function checkTemplate(template: string): void {
  for (const kind of ['full', 'review', 'empty'] as const) {
    const unknown = new Set<string>();
    const vars = watchedVars(samplePromptVars(kind), unknown);
    const env = newEnvironment() as nunjucks.Environment & { globals: Record<string, unknown> };
    // Top-level names nunjucks cannot find in the frame are looked up in the context, which first
    // asks `name in env.globals`: record names that are neither documented nor real globals.
    const real = env.globals;
    env.globals = new Proxy(real, {
      has(target, key) {
        if (typeof key === 'string' && !(key in target) && !(key in vars)) unknown.add(key);
        return key in target;
      },
    });
    try {
      env.renderString(template, vars);
    } catch (err) {
      throw explain(err, template, [...unknown]);
    }
    if (unknown.size > 0) throw explain(new Error(''), template, [...unknown]);
  }
}
