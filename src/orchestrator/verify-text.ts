// The words of a revert: its PR's title and body, with the evidence (failing checks and their log
// excerpts, the command's or the hook's output) fenced as untrusted text. The body names the ticket without
// a closing keyword, and closing keywords inside the evidence are defused: merging the revert must never
// close an issue (GitHub closes what "closes #n" names in a PR body). Secrets are masked by the code host
// wrapper (tracker/redacting.ts). Pure.
import type { TicketState } from '../core/types.js';
import type { VerifyRun } from '../core/verify-record.js';
import { fenced } from '../core/verify-sticky.js';

const short = (sha: string) => sha.slice(0, 7);
const ZWSP = '\u200b';
/** GitHub's closing keywords ("Linking a pull request to an issue using a keyword"). */
const CLOSING = /\b(close[sd]?|fix(?:e[sd])?|resolve[sd]?)(\s*:?\s+)([\w.-]+\/[\w.-]+)?#(\d+)/gi;

/** Text with every "closes #n" made inert (a zero-width space before the number). */
export function defuseClosing(text: string): string {
  return text.replace(CLOSING, (_m, kw: string, sep: string, repo: string | undefined, n: string) => `${kw}${sep}${repo ?? ''}#${ZWSP}${n}`);
}

export function revertTitle(ts: TicketState, run: VerifyRun): string {
  const title = ts.title.replace(/\s+/g, ' ').trim().slice(0, 80);
  return `Revert ${ts.identifier}${title ? ` "${title}"` : ''} (merge ${short(run.merge_sha)} turned ${run.base} red)`;
}

export function revertBody(ts: TicketState, run: VerifyRun, command: string): string {
  const lines = [
    `swarm's verification after merge found \`${run.base}\` red after PR #${run.pr_number} (${ts.identifier}) merged as ${run.merge_sha}.`,
    '',
    `- What it saw: ${defuseClosing(run.detail)}`,
    `- Charged: ${defuseClosing(run.charge_note)}`,
    `- Revert: \`${command}\``,
    '',
    `swarm reopens ${ts.identifier} and tries again with this evidence. Review this revert before merging it.`,
  ];
  lines.push(...evidenceBlocks(run));
  return lines.join('\n');
}

/** The evidence as Markdown: each failing check, the hook's and the command's output, fenced. */
export function evidenceBlocks(run: Pick<VerifyRun, 'checks' | 'hook_output' | 'command_output'>): string[] {
  const out: string[] = [];
  if (run.checks.length > 0 || run.hook_output || run.command_output) out.push('', '### Evidence');
  for (const c of run.checks) out.push('', `Failing check (${defuseClosing(c.conclusion) || 'failed'}):`, fenced(defuseClosing(`${c.name}\n${c.log_excerpt}`)));
  if (run.hook_output) out.push('', 'hooks.after_merge output (end):', fenced(defuseClosing(run.hook_output)));
  if (run.command_output) out.push('', 'verify.command output (end):', fenced(defuseClosing(run.command_output)));
  return out;
}
