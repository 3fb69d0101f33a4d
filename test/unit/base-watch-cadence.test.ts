// The base branch's watch follows the PR watch interval in force: relaxed while webhooks are healthy and the
// base is green (a delivery naming a commit no watched PR has as its head makes it look at once), kept at
// pr.watch_interval while the base is red (its way back to green may come with no check, so no delivery).
import { describe, expect, it } from 'vitest';
import { BaseWatch } from '../../src/orchestrator/base-watch.js';
import { validateConfig } from '../../src/config/schema.js';
import { emptyState } from '../../src/state/empty-state.js';
import type { MergeHost } from '../../src/tracker/merge-host.js';
import type { BaseWatchDeps } from '../../src/orchestrator/base-watch.js';
import { targetedRound, type TargetedDeps } from '../../src/orchestrator/targeted.js';

function world(relaxedMs: number | null, checks: 'none' | 'all' = 'none') {
  const config = validateConfig({ pr: { watch_interval: '30s' }, verify: { checks } }, { file: 'WORKFLOW.md', env: {} }).config;
  let now = Date.parse('2026-12-07T00:00:00Z');
  const state = emptyState(now);
  const reads: number[] = [];
  const merges = {
    branch: async () => (reads.push(now), { sha: 'a'.repeat(40) }),
    // A check still running on the head: the verdict waits, the base stays as it is.
    commitChecks: async () => ({ checks: [{ name: 'build', status: 'in_progress', conclusion: null, summary: '', details_url: null }], required: null }),
  } as unknown as MergeHost;
  const deps = {
    rt: { now: () => now, log: { info: () => undefined, debug: () => undefined } },
    ledger: { state, saveSoon: () => undefined },
    settings: { wf: { config }, svc: { baseBranch: 'main' } },
    watchInterval: relaxedMs === null ? undefined : () => relaxedMs,
  } as unknown as BaseWatchDeps;
  const watch = new BaseWatch(deps);
  const at = async (s: number) => {
    now = Date.parse('2026-12-07T00:00:00Z') + s * 1000;
    await watch.poll(merges, () => null);
  };
  return { watch, reads, at, state };
}

describe('the base watch cadence', () => {
  it('reads the base every pr.watch_interval without webhooks', async () => {
    const w = world(null);
    for (const s of [0, 10, 31, 45, 62]) await w.at(s);
    expect(w.reads).toHaveLength(3); // 0, 31, 62
  });

  it('reads it at the relaxed interval while webhooks are healthy and the base is green; a named commit makes it look at once', async () => {
    const w = world(300_000);
    for (const s of [0, 31, 62, 120]) await w.at(s);
    expect(w.reads).toHaveLength(1);
    w.watch.due();
    await w.at(121);
    expect(w.reads).toHaveLength(2);
    await w.at(200);
    expect(w.reads).toHaveLength(2);
    await w.at(422);
    expect(w.reads).toHaveLength(3);
  });

  it('keeps pr.watch_interval while the base is red, webhooks or not', async () => {
    const w = world(300_000, 'all');
    await w.at(0);
    w.watch.markRed('b'.repeat(40), 'command', 'verify.command failed', null);
    for (const s of [31, 62]) await w.at(s);
    expect(w.state.base?.red).toBe(true);
    expect(w.reads).toHaveLength(3);
  });
});

describe('a targeted round naming commits', () => {
  const deps = (heads: Record<string, string[]>, named: string[][]) =>
    ({
      stats: { rounds: 0, refetched: { prs: 0 }, acted: () => undefined },
      follower: { watched: () => [], keysForHead: (sha: string) => heads[sha] ?? [], observeNow: async () => 0 },
      rt: { now: () => 0, leases: { holds: () => true, heldElsewhere: () => null, acquire: async () => 'free' } },
      ledger: { ticket: () => undefined },
      work: { running: new Map() },
      served: () => undefined,
      draining: () => false,
      canStart: () => true,
      baseNamed: async () => void named.push(Object.keys(heads)),
    }) as unknown as TargetedDeps;
  const batch = (shas: string[]) => ({ tickets: new Map(), prs: new Map(), commits: new Map(shas.map((s) => [s, 0])), overflow: false });

  it('asks the base watch to look when a commit is no watched PR head (it may be the base\'s), and not otherwise', async () => {
    const named: string[][] = [];
    await targetedRound(deps({}, named), batch(['c'.repeat(40)]));
    expect(named).toHaveLength(1);
    await targetedRound(deps({ ['d'.repeat(40)]: [] , ['e'.repeat(40)]: ['7'] }, named), batch(['e'.repeat(40)]));
    expect(named).toHaveLength(1);
  });
});
