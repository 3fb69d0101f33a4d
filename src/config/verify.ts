// The verification-after-merge keys of WORKFLOW.md — `verify.*`, `pr.auto_merge`, `hooks.after_merge` — read
// with their defaults, and verifyConfig(): the one place a missing `verify` section (a configuration built
// by hand, an older caller) gets the same defaults as an empty one in the file.
import type { AutoMergeMethod, Config, VerifyConfig } from './types.js';
import type { Section } from './fields.js';

export const VERIFY_DEFAULTS: VerifyConfig = {
  checks: 'required',
  checks_timeout: 30 * 60_000,
  command: '',
  wait: 60_000,
  retries: 2,
  revert: 'pr',
  revert_draft: true,
  reopen_state: null,
  reverted_label: 'agent:reverted',
  max_reverts: 1,
  hold_while_red: 'merge',
};

export const AUTO_MERGE_METHODS: readonly AutoMergeMethod[] = ['off', 'merge', 'squash', 'rebase'];

/** `verify:` of the front matter. */
export function readVerify(root: Section): VerifyConfig {
  const v = root.sub('verify');
  const d = VERIFY_DEFAULTS;
  const out: VerifyConfig = {
    checks: v.oneOf('checks', d.checks, ['required', 'all', 'none'] as const),
    checks_timeout: v.duration('checks_timeout', d.checks_timeout),
    command: v.str('command', d.command),
    wait: v.duration('wait', d.wait, 0),
    retries: v.int('retries', d.retries, 0, 20),
    revert: v.oneOf('revert', d.revert, ['pr', 'push', 'report', 'off'] as const),
    revert_draft: v.bool('revert_draft', d.revert_draft),
    reopen_state: v.strOrNull('reopen_state'),
    reverted_label: v.str('reverted_label', d.reverted_label, { nonEmpty: true }),
    max_reverts: v.int('max_reverts', d.max_reverts, 0),
    hold_while_red: v.oneOf('hold_while_red', d.hold_while_red, ['dispatch', 'merge', 'off'] as const),
  };
  v.finish();
  return out;
}

/** `pr.auto_merge`. */
export function readAutoMerge(pr: Section): AutoMergeMethod {
  return pr.oneOf('auto_merge', 'off', AUTO_MERGE_METHODS);
}

/** The verify settings in force (the defaults when the configuration has none). */
export function verifyConfig(config: Pick<Config, 'verify'>): VerifyConfig {
  return config.verify ?? VERIFY_DEFAULTS;
}

/** The Linear state a reverted ticket returns to: verify.reopen_state, else the first of tracker.states. */
export function reopenState(config: Pick<Config, 'verify' | 'tracker'>): string | null {
  return verifyConfig(config).reopen_state ?? (config.tracker.kind === 'linear' ? config.tracker.states[0] : undefined) ?? null;
}
