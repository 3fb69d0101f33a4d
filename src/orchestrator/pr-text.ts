// The text of a pull request swarm opens itself. Its title is swarm's own words — `swarm: #12 <slug>` or
// `swarm: ENG-12 <slug>`, the slug made like the branch's (a-z, 0-9, -) — never the ticket's title: a
// same-repository PR title is read by workflows (`github.event.pull_request.title` interpolated into a
// `run:` step executes it with the repository's secrets), and an issue's author chose that text. The
// original title is quoted in the body inside a code fence longer than any backtick run in it, where
// Markdown renders it verbatim: no mention, no link, no HTML.
import type { RunResult } from '../agent/types.js';
import type { Ticket } from '../tracker/types.js';
import { attemptSummary } from '../core/summary.js';
import { slugify } from '../workspace/naming.js';

type TicketText = Pick<Ticket, 'key' | 'number' | 'identifier' | 'title'>;

function isGithubIssue(t: TicketText): boolean {
  return t.number > 0 && /^\d+$/.test(t.key);
}

/** `#12` on GitHub, the identifier elsewhere (ENG-12), cut down to characters that are inert everywhere. */
function reference(t: TicketText): string {
  if (isGithubIssue(t)) return `#${t.number}`;
  return t.identifier.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'ticket';
}

/** The title of a PR swarm opens: `swarm: #12 fix-login-redirect`. */
export function prTitle(t: TicketText): string {
  return `swarm: ${reference(t)} ${slugify(t.title)}`;
}

/** `text` as a fenced block Markdown shows verbatim (the fence outgrows every backtick run inside). */
export function fenced(text: string): string {
  const flat = text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, ' ');
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}text\n${flat}\n${fence}`;
}

/** The body: the closing keyword, the ticket's own title quoted, the agent's summary, and who opened it. */
export function prBody(t: TicketText, run: RunResult | null): string {
  const link = isGithubIssue(t) ? `Closes #${t.number}` : `Resolves ${reference(t)}`;
  const summary = attemptSummary(run);
  const title = t.title.trim() ? `Ticket title, as written there:\n\n${fenced(t.title.replace(/\s*\n\s*/g, ' '))}\n\n` : '';
  return `${link}\n\n${title}${summary ? `${summary}\n\n` : ''}_Opened by swarm: the agent committed on this branch but did not open a pull request._`;
}
