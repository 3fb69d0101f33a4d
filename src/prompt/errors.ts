// A nunjucks error, as an operator can act on: the template line and, where it can be told, the variable
// that is not documented (the list of documented ones is part of the message).
import { TemplateError } from '../errors.js';
import { closest } from '../util/did-you-mean.js';

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
export function explain(err: unknown, template: string, unknown: string[] = []): TemplateError {
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
    const near = closest(unknown[0]!.replace(/\[\]/g, ''), VARIABLES);
    return new TemplateError(`${where}: unknown variable ${list}${near ? ` (did you mean ${near}?)` : ''} (${DOCUMENTED})`, line, unknown[0]!);
  }
  if (/null or undefined/.test(detail) && pos) {
    const expr = expressionAt(template, Number(pos[1]), Number(pos[2]));
    if (expr) {
      return new TemplateError(`${where}: {{ ${expr} }} is undefined — not a documented variable (${DOCUMENTED})`, line, expr);
    }
  }
  return new TemplateError(`${where}: ${detail}`, line);
}

/** Every documented name, for "did you mean" (list members without their brackets). */
const VARIABLES = [
  'issue', ...['id', 'identifier', 'number', 'title', 'body', 'url', 'labels', 'priority', 'state', 'comments'].map((k) => `issue.${k}`),
  ...['author', 'body', 'created_at'].map((k) => `issue.comments.${k}`),
  'attempt', 'model', 'branch', 'base_branch', 'repo', 'workspace', 'fence',
  'previous_attempts', ...['number', 'model', 'outcome', 'reason', 'summary'].map((k) => `previous_attempts.${k}`),
  'followup', ...['kind', 'round', 'head_sha', 'checks', 'comments'].map((k) => `followup.${k}`),
  ...['name', 'conclusion', 'summary', 'log_excerpt'].map((k) => `followup.checks.${k}`), ...['author', 'body', 'path', 'line'].map((k) => `followup.comments.${k}`),
];

const DOCUMENTED =
  'documented: issue.{id, identifier, number, title, body, url, labels, priority, state, comments[{author, body, created_at}]}, ' +
  'attempt, model, branch, base_branch, repo, workspace, previous_attempts[{number, model, outcome, reason, summary}], ' +
  'followup.{kind, round, head_sha, checks[{name, conclusion, summary, log_excerpt}], comments[{author, body, path, line}]}, fence';
