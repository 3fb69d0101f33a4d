// Checking the operator's template before any ticket is run: compiled and rendered against sample
// variables (a CI follow-up, a review follow-up and an empty set), and any variable that is not documented
// is an error naming its line — whether it is output or only tested in a condition.
import type nunjucks from 'nunjucks';
import { buildPromptVars, newEnvironment, type PromptVars } from './render.js';
import { explain } from './errors.js';

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
    verification: {
      merge_sha: '89abcdef0123456789abcdef0123456789abcdef',
      revert_pr: 'https://example.invalid/pull/13',
      checks: [{ name: 'test', conclusion: 'failure', log_excerpt: 'Sample log' }],
      command_output: 'Sample command output',
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
    verification: watched({ ...vars.verification, checks: vars.verification.checks.map((c) => watched(c, 'verification.checks[]', unknown)) }, 'verification', unknown),
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
