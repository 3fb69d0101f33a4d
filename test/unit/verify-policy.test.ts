// The pure decisions of verification after merge (verify-policy.ts): the checks' verdict (required, all,
// the first parent's checks awaited for a grace period, the timeout), charging (own checks, the newest of
// several merges when only the command is red), what a charged merge gets, how it is reverted, the branch
// names, and the holds while the base is red.
import { describe, expect, it } from 'vitest';
import type { PrCheck } from '../../src/tracker/pr-watch.js';
import type { BaseView } from '../../src/core/verify-record.js';
import { chargeCommand, chargeOwn, checksVerdict, dispatchHold, mergeHeld, redAction, revertArgs, revertCommand, revertPlan, type ChecksInput } from '../../src/core/verify-policy.js';
import { reattemptBranch, revertBranch } from '../../src/orchestrator/verify-branches.js';

const SHA = 'abcdef0123456789abcdef0123456789abcdef01';
const check = (name: string, conclusion: string | null): PrCheck => ({ name, conclusion, required: false } as unknown as PrCheck);
const input = (over: Partial<ChecksInput>): ChecksInput => ({ sha: SHA, mode: 'all', checks: [], required: null, expected: [], graceMs: 60_000, elapsedMs: 0, timeoutMs: 1_800_000, ...over });

describe('checksVerdict', () => {
  it('red on a failing check that counts; a failing check the base does not require does not count in required mode', () => {
    expect(checksVerdict(input({ checks: [check('ci', 'success'), check('lint', 'failure')] }))).toMatchObject({ kind: 'red', detail: 'check lint (failure) failed on abcdef0' });
    const required = new Set(['ci']);
    expect(checksVerdict(input({ mode: 'required', required, checks: [check('ci', 'success'), check('lint', 'failure')] }))).toMatchObject({ kind: 'green', detail: '1 required check passed on abcdef0' });
    // Required checks unknown (null): every check counts.
    expect(checksVerdict(input({ mode: 'required', required: null, checks: [check('lint', 'timed_out')] })).kind).toBe('red');
    expect(checksVerdict(input({ mode: 'none', checks: [check('ci', 'failure')] })).kind).toBe('green');
  });

  it('waits for running checks and for the first parent\'s checks during the grace period only; required checks until the timeout', () => {
    expect(checksVerdict(input({ checks: [check('ci', null)] }))).toMatchObject({ kind: 'wait', why: expect.stringMatching(/1 running/) });
    expect(checksVerdict(input({ expected: ['ci'], elapsedMs: 1000 }))).toMatchObject({ kind: 'wait', why: expect.stringMatching(/ci not reported yet/) });
    // Past the grace period a check that never came (a path filter) is not waited for.
    expect(checksVerdict(input({ expected: ['ci'], elapsedMs: 61_000 }))).toMatchObject({ kind: 'green', detail: expect.stringMatching(/no checks reported/) });
    const required = new Set(['ci']);
    expect(checksVerdict(input({ mode: 'required', required, elapsedMs: 61_000 })).kind).toBe('wait');
    expect(checksVerdict(input({ mode: 'required', required, elapsedMs: 1_800_000 }))).toMatchObject({ kind: 'timeout', detail: expect.stringMatching(/did not finish within verify\.checks_timeout/) });
  });
});

describe('charging', () => {
  it('own checks: charged unless the first parent was already red; a failing hook is always charged', () => {
    expect(chargeOwn('checks', SHA, { sha: 'f'.repeat(40), red: [] })).toMatchObject({ charged: true });
    expect(chargeOwn('checks', SHA, { sha: 'f'.repeat(40), red: ['ci'] })).toMatchObject({ charged: false, note: expect.stringMatching(/already red at its first parent fffffff \(ci\)/) });
    expect(chargeOwn('hook', SHA, { sha: 'f'.repeat(40), red: ['ci'] }).charged).toBe(true);
  });

  it('only the command is red: the newest swarm merge since the last green base is charged, and the note says so', () => {
    const a = { key: '1', identifier: '#1', sha: '1'.repeat(40) };
    const b = { key: '2', identifier: '#2', sha: '2'.repeat(40) };
    expect(chargeCommand(a, [])).toMatchObject({ charged: true });
    expect(chargeCommand(a, [a, b])).toMatchObject({ charged: false, note: expect.stringMatching(/2 swarm merges landed .*the newest, #2, is charged, not this one/) });
    expect(chargeCommand(b, [a, b])).toMatchObject({ charged: true, note: expect.stringMatching(/the newest, #2, is charged/) });
  });
});

describe('what a red merge gets', () => {
  it('by verify.revert and max_reverts; nothing when not charged', () => {
    expect(redAction({ revert: 'pr', max_reverts: 1 }, false, 0)).toEqual({ act: 'none' });
    expect(redAction({ revert: 'pr', max_reverts: 1 }, true, 0)).toEqual({ act: 'revert', mode: 'pr' });
    expect(redAction({ revert: 'push', max_reverts: 1 }, true, 0)).toEqual({ act: 'revert', mode: 'push' });
    expect(redAction({ revert: 'pr', max_reverts: 1 }, true, 1)).toEqual({ act: 'max_reverts' });
    expect(redAction({ revert: 'report', max_reverts: 1 }, true, 5)).toEqual({ act: 'report' });
    expect(redAction({ revert: 'off', max_reverts: 1 }, true, 0)).toEqual({ act: 'record' });
  });

  it('git revert -m 1 for a merge commit, plain for a squash, the range for a rebase of several commits', () => {
    expect(revertArgs(revertPlan(2, 1), SHA)).toEqual(['revert', '--no-edit', '-m', '1', SHA]);
    expect(revertArgs(revertPlan(1, 1), SHA)).toEqual(['revert', '--no-edit', SHA]);
    expect(revertArgs(revertPlan(1, 3), SHA)).toEqual(['revert', '--no-edit', `${SHA}~3..${SHA}`]);
    expect(revertCommand(revertPlan(2, 1), SHA)).toBe(`git revert -m 1 ${SHA}`);
  });

  it('branches: swarm/revert-<n>-<slug> (then -<k>), the re-attempt <branch>-r<k>, within the length limit', () => {
    const ts = { key: '12', identifier: '#12', title: 'Fix the widget', branch: 'swarm/12-fix-the-widget' };
    expect(revertBranch('swarm/', ts, 1)).toBe('swarm/revert-12-fix-the-widget');
    expect(revertBranch('swarm/', ts, 2)).toBe('swarm/revert-12-fix-the-widget-2');
    expect(reattemptBranch(ts.branch, 1)).toBe('swarm/12-fix-the-widget-r1');
    expect(reattemptBranch('swarm/12-fix-the-widget-r1', 2)).toBe('swarm/12-fix-the-widget-r2');
    expect(reattemptBranch(`swarm/12-${'x'.repeat(300)}`, 1).endsWith('-r1')).toBe(true);
  });
});

describe('holds while the base is red', () => {
  const red = { branch: 'main', red: true, reason: 'ci failed' } as BaseView;
  it('merge holds auto-merge; dispatch also new tickets; off nothing; a green base nothing', () => {
    expect(mergeHeld(red, { hold_while_red: 'merge' })).toBe(true);
    expect(dispatchHold(red, { hold_while_red: 'merge' })).toBeNull();
    expect(mergeHeld(red, { hold_while_red: 'dispatch' })).toBe(true);
    expect(dispatchHold(red, { hold_while_red: 'dispatch' })).toMatch(/base branch main is red \(ci failed\); no new ticket starts/);
    expect(mergeHeld(red, { hold_while_red: 'off' })).toBe(false);
    expect(mergeHeld({ ...red, red: false }, { hold_while_red: 'dispatch' })).toBe(false);
    expect(dispatchHold(null, { hold_while_red: 'dispatch' })).toBeNull();
  });
});

describe('the reverted notification', () => {
  it('says reverted only when a revert PR was opened or a revert pushed', async () => {
    const { notificationFor } = await import('../../src/log/notify.js');
    const ev = { at: '2030-01-01T00:00:00Z', type: 'reverted' as const, ticket: '#3', key: '3', merge_sha: SHA, mode: 'pr' as const, branch: 'swarm/revert-3-x', pr: 'https://github.com/a/b/pull/9', number: 9, pushed_sha: null };
    expect(notificationFor({ ...ev, outcome: 'opened', detail: 'revert PR https://github.com/a/b/pull/9' })).toBe('↩ #3 reverted (verify.revert pr): revert PR https://github.com/a/b/pull/9');
    expect(notificationFor({ ...ev, mode: 'report', outcome: 'reported', pr: null, number: null, detail: 'swarm would revert' })).toBe('↩ #3 not reverted (verify.revert report, reported): swarm would revert');
  });
});
