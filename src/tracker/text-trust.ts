// Trust as a property of the text the agent will read, decided the same way for every tracker: the
// trigger label's newest application must be by a trusted user, and nobody untrusted may have changed the
// title or the body since (labelling lends the agent swarm's hands only for the text the labeller saw).
// The adapters gather the evidence (GitHub: `labeled` and `renamed` issue events and the body's edit
// history; Linear: Issue.history) and say who is trusted (GitHub: write access; Linear: a trusted role);
// this file only weighs it. Pure apart from the `judge` callback, which may look a permission up.
import type { TrustVerdict } from './types.js';

/** Someone who changed a ticket, as the tracker names them. */
export interface Actor {
  /** Stable identity the adapter judges by (GitHub login, Linear user id). */
  key: string;
  /** How a human reads it in a reason: "@mallory", "Mallory <m@x.io>". */
  name: string;
}

/** The adapter's word on one actor: trusted or not, and the role that decided it, in words. */
export interface Judgement {
  trusted: boolean;
  /** Trusted: "admin", "token user", "member"; untrusted: "read permission", "a guest". */
  as: string;
}

export interface TextEvidence {
  /** Applications of labels (any order; only the trigger labels' matter). */
  applied: readonly { label: string; at: string; actor: Actor | null }[];
  /** Changes to the title or the body (any order). */
  edits: readonly { field: 'title' | 'body'; at: string; actor: Actor | null }[];
  /** Set when the adapter could not read every change that may matter: trusted only if nothing is missing. */
  incomplete?: string | null;
}

export interface TextRules {
  /** The trigger labels: each must carry a trusted application when `labelers` is on. */
  labels: readonly string[];
  /** trusted_labelers_only: the newest application of each trigger label decides. */
  labelers: boolean;
  /** Without `labelers`: every change since this moment counts (the ticket's creation). */
  since: string;
  judge(actor: Actor): Promise<Judgement>;
  /** Who can accept edited text, for the fix: "a writer", "a workspace member". */
  fixer: string;
}

const FIELD_WORDS = { title: 'renamed the ticket', body: 'edited the description' } as const;

/** The verdict on a ticket's text: who applied the trigger labels, and whether anyone untrusted edited it since. */
export async function judgeText(ev: TextEvidence, rules: TextRules): Promise<TrustVerdict> {
  const reasons: string[] = [];
  let endorsed = Date.parse(rules.since);
  let endorsedLabel: string | null = null;
  if (rules.labelers) {
    endorsed = Number.NEGATIVE_INFINITY;
    for (const label of rules.labels) {
      const newest = newestApplication(ev.applied, label);
      if (newest === undefined) return { trusted: false, reason: `no record of who applied label \`${label}\` (trusted_labelers_only)` };
      if (newest.actor === null) return { trusted: false, reason: `label \`${label}\` was applied by an unknown account (trusted_labelers_only)` };
      const j = await rules.judge(newest.actor);
      if (!j.trusted) return { trusted: false, reason: `label \`${label}\` was applied by ${newest.actor.name}, who has ${j.as} (trusted_labelers_only)` };
      reasons.push(`label \`${label}\` was applied by ${newest.actor.name} (${j.as})`);
      // The newest trusted application is when the text was last looked at by someone who may accept it.
      const at = Date.parse(newest.at);
      if (at > endorsed) {
        endorsed = at;
        endorsedLabel = label;
      }
    }
  }
  // Same-second ties count as after: the order within a second is unknowable, and unknown is untrusted.
  const later = ev.edits.filter((e) => Date.parse(e.at) >= endorsed).sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  const fix = endorsedLabel !== null
    ? `${rules.fixer} re-applies \`${endorsedLabel}\` to accept the text as it is now`
    : `${rules.fixer} must make the change, or the ticket must be recreated`;
  const since = endorsedLabel !== null ? ` after label \`${endorsedLabel}\` was applied` : '';
  const trustedEditors: string[] = [];
  for (const e of later) {
    if (e.actor === null) return { trusted: false, reason: `an unknown account ${FIELD_WORDS[e.field]}${since} (${e.at}): held until ${fix}` };
    const j = await rules.judge(e.actor);
    if (!j.trusted) return { trusted: false, reason: `${e.actor.name}, who has ${j.as}, ${FIELD_WORDS[e.field]}${since} (${e.at}): held until ${fix}` };
    if (!trustedEditors.includes(e.actor.name)) trustedEditors.push(e.actor.name);
  }
  if (ev.incomplete) return { trusted: false, reason: `${ev.incomplete}: held until ${fix}` };
  if (trustedEditors.length > 0) reasons.push(`edited since by ${trustedEditors.join(', ')} only`);
  return { trusted: true, reason: reasons.join('; ') || 'no untrusted edits' };
}

/** The newest application of `label` (case-insensitive); the later one in the list wins a tie. */
function newestApplication(applied: TextEvidence['applied'], label: string): TextEvidence['applied'][number] | undefined {
  let best: TextEvidence['applied'][number] | undefined;
  for (const a of applied) {
    if (a.label.toLowerCase() !== label.toLowerCase()) continue;
    if (best === undefined || Date.parse(a.at) >= Date.parse(best.at)) best = a;
  }
  return best;
}
