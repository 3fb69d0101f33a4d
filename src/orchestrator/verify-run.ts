// One verification of a merged swarm PR, in order: hooks.after_merge in a clean detached checkout of the
// merge commit (env SWARM_* + SWARM_MERGE_SHA); the base branch's own checks on the merge commit, waited
// for up to verify.checks_timeout (the checks its first parent had are expected here too); verify.command
// after verify.wait, tried 1 + verify.retries times. Each step's failure is red, with its evidence. No
// state changes here: the verifier records the outcome. The checkout is removed whatever happens.
import { join } from 'node:path';
import type { Config } from '../config/types.js';
import type { TicketState } from '../core/types.js';
import type { VerifyCheck, VerifyRun, RedReason } from '../core/verify-record.js';
import type { PrCheck } from '../tracker/pr-watch.js';
import type { MergeHost } from '../tracker/merge-host.js';
import type { Runtime, Services } from './runtime.js';
import { verifyConfig } from '../config/verify.js';
import { agentEnv } from '../config/env.js';
import { hookEnv, runHook } from '../workspace/hooks.js';
import { checkout, commitParents, fetchBase, onBase, removeCheckout } from '../workspace/verify-git.js';
import { checksVerdict, countedChecks } from '../core/verify-policy.js';

export type VerifyOutcome =
  | { kind: 'green'; detail: string }
  | { kind: 'red'; reason: RedReason; detail: string; checks: VerifyCheck[]; command_output: string; hook_output: string; parent: { sha: string; red: string[] } | null }
  | { kind: 'unverified'; detail: string };

export interface RunCtx {
  rt: Runtime;
  svc: Services;
  cfg: Config;
  merges: MergeHost;
  /** What the verifier is doing now, for status and explain (a note, not a transition). */
  note: (text: string) => void;
  /** Sleep, cut short (rejecting) when the verification is aborted. */
  sleep: (ms: number) => Promise<void>;
}

/** At most this many failing checks get a log excerpt (each is a download). */
const MAX_LOGS = 3;
/** The end of a command's or hook's output that the evidence keeps. */
const OUTPUT_TAIL = 2000;
const FAILING = new Set(['failure', 'timed_out', 'startup_failure', 'error']);
const short = (sha: string) => sha.slice(0, 7);

/** Where a verification's clean checkout of `sha` lives (outside workspace.root: gc never sees it). */
export function verifyDir(rt: Runtime, sha: string, what = 'merge'): string {
  return join(rt.paths.dir, 'verify', `${sha.slice(0, 12)}-${what}`);
}

export async function runVerification(c: RunCtx, ts: TicketState, run: VerifyRun): Promise<VerifyOutcome> {
  const { rt, svc, cfg } = c;
  const v = verifyConfig(cfg);
  const sha = run.merge_sha;
  c.note(`fetching ${run.base} to verify ${short(sha)}`);
  await fetchBase(rt.repoDir, run.base);
  if (!(await onBase(rt.repoDir, sha, run.base))) return { kind: 'unverified', detail: `merge commit ${short(sha)} is not on ${run.base} (rewritten?): nothing to verify` };
  const hook = cfg.hooks.after_merge ?? '';
  const dir = verifyDir(rt, sha);
  const needsCheckout = hook.trim() !== '' || v.command.trim() !== '';
  const env = () => agentEnv(rt.env, svc.secrets, {}, {
    ...hookEnv({ ticketId: ts.key, ticketNumber: Number(ts.key) || 0, ticketUrl: ts.url, branch: ts.branch, baseBranch: run.base, workspace: dir, attempt: ts.attempts.length, model: ts.attempts.at(-1)?.model ?? '', repo: svc.repoSlug }),
    SWARM_MERGE_SHA: sha,
  });
  try {
    if (needsCheckout) await checkout(rt.repoDir, dir, sha);
    if (hook.trim() !== '') {
      c.note(`running hooks.after_merge for ${short(sha)}`);
      const res = await runHook('after_merge', hook, { cwd: dir, env: env(), timeoutMs: cfg.hooks.timeout });
      if (!res.ok) {
        const why = res.timedOut ? `timed out after ${cfg.hooks.timeout / 1000}s` : `exited with ${res.code}`;
        return { kind: 'red', reason: 'hook', detail: `hooks.after_merge ${why} for ${short(sha)}`, checks: [], command_output: '', hook_output: tail(res.output), parent: null };
      }
    }
    const checks = await waitForChecks(c, run);
    if (checks.kind !== 'green') return checks;
    if (v.command.trim() === '') return checks;
    const left = Date.parse(run.started_at) + v.wait - rt.now();
    if (left > 0) {
      c.note(`checks green; verify.command in ${Math.ceil(left / 1000)}s (verify.wait)`);
      await c.sleep(left);
    }
    let output = '';
    for (let i = 0; i <= v.retries; i++) {
      c.note(`running verify.command (try ${i + 1} of ${v.retries + 1})`);
      const res = await runHook('verify.command', v.command, { cwd: dir, env: env(), timeoutMs: cfg.hooks.timeout });
      if (res.ok) return { kind: 'green', detail: `${checks.detail}; verify.command passed${i > 0 ? ` on try ${i + 1}` : ''}` };
      output = tail(res.output || `exit ${res.code}`);
      if (i < v.retries) await c.sleep(Math.min(v.wait, 10_000));
    }
    return { kind: 'red', reason: 'command', detail: `verify.command failed ${v.retries + 1} time(s) after ${short(sha)} landed (its checks are green)`, checks: [], command_output: output, hook_output: '', parent: null };
  } finally {
    if (needsCheckout) await removeCheckout(rt.repoDir, dir);
  }
}

/** The merge commit's checks, until they are all in or verify.checks_timeout has passed. */
async function waitForChecks(c: RunCtx, run: VerifyRun): Promise<VerifyOutcome> {
  const v = verifyConfig(c.cfg);
  const sha = run.merge_sha;
  const parentSha = (await commitParents(c.rt.repoDir, sha))?.[0] ?? null;
  let parent: PrCheck[] | null = null;
  const every = Math.min(c.cfg.pr.watch_interval, 30_000);
  for (;;) {
    const cc = await c.merges.commitChecks(sha, run.base, v.checks === 'required');
    const required = v.checks === 'required' ? cc.required : null;
    if (parent === null) parent = parentSha ? (await c.merges.commitChecks(parentSha, run.base, false)).checks : [];
    const expected = [...new Set(countedChecks(parent, v.checks, required).map((p) => p.name))];
    const verdict = checksVerdict({ sha, mode: v.checks, checks: cc.checks, required, expected, graceMs: v.wait, elapsedMs: c.rt.now() - Date.parse(run.started_at), timeoutMs: v.checks_timeout });
    switch (verdict.kind) {
      case 'wait':
        c.note(verdict.why);
        await c.sleep(every);
        continue;
      case 'green':
        return verdict;
      case 'timeout':
        return { kind: 'unverified', detail: verdict.detail };
      case 'red': {
        c.note(`${verdict.detail}: reading the logs`);
        const checks: VerifyCheck[] = [];
        for (const [i, f] of verdict.failing.entries()) {
          const excerpt = i < MAX_LOGS ? await c.merges.logExcerpt(f, c.cfg.pr.log_excerpt_bytes).catch(() => '') : '';
          checks.push({ name: f.name, conclusion: f.conclusion ?? '', log_excerpt: excerpt });
        }
        const parentRed = countedChecks(parent, v.checks, required).filter((p) => p.conclusion !== null && FAILING.has(p.conclusion)).map((p) => p.name);
        return { kind: 'red', reason: 'checks', detail: verdict.detail, checks, command_output: '', hook_output: '', parent: parentSha ? { sha: parentSha, red: parentRed } : null };
      }
    }
  }
}

function tail(text: string): string {
  const t = text.replace(/\s+$/, '');
  return t.length > OUTPUT_TAIL ? `…${t.slice(t.length - OUTPUT_TAIL)}` : t;
}
