// Never two holders (issue #23): fleet daemons as real processes on one real PostgreSQL, one fake GitHub,
// the fake claude.
//  - Two daemons with the same host name whose pids mean nothing to each other (each in a PID namespace of
//    its own, as on two machines cloned from one image) and one long ticket: never two live agents
//    (sampled from the process table), no takeover while the holder heartbeats.
//  - A daemon frozen (SIGSTOP) for lease_ttl + 30 s right after its agent committed: the other takes the
//    ticket over and publishes; resumed, the frozen one sends no push, no PR request and no tracker write
//    for it (the fake's request log and the origin's push log say who sent what); exactly one PR.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveAgents, logPushes, useFleetSuite, type Member } from '../helpers/fleet.js';
import { waitFor } from '../helpers/daemon.js';
import { pidNamespacesWork } from '../helpers/pidns.js';

const suite = useFleetSuite();
const TTL = 5_000;

describe('fleet fencing', () => {
  it('two daemons, same host name, separate PID namespaces, one long ticket: never two live agents, no takeover while the holder heartbeats', async () => {
    expect(pidNamespacesWork(), 'this machine must allow `unshare --pid --fork --mount-proc` (root, or unprivileged user namespaces) to stage two hosts').toBe(true);
    const w = await suite.world(2, await suite.pg.createDatabase(), { state: { lease_ttl: '5s' }, agent: { max_concurrent: 1 } });
    const n = w.gh.addIssue({ title: 'Long one', labels: ['agent'] });
    // Three ttls of work: the other daemon polls (every second) through all of it.
    w.setScenarios({ [n]: [[{ init: true }, { sleep: 3 * TTL }, 'commit_only']] });
    const [a, b] = w.members as [Member, Member];
    const da = suite.startElsewhere(a);
    const db = suite.startElsewhere(b);
    await Promise.all([da.waitForOutput(/swarm started/, 60_000), db.waitForOutput(/swarm started/, 60_000)]);
    let sampled = 0;
    let firstSeen = 0;
    let lastSeen = 0;
    const twice: string[] = [];
    const sampler = setInterval(() => {
      const groups = liveAgents(w.origin.base).get(String(n));
      sampled++;
      if (groups && groups.size > 0) {
        firstSeen ||= Date.now();
        lastSeen = Date.now();
      }
      if (groups && groups.size > 1) twice.push([...groups].join(', '));
    }, 50);
    try {
      await waitFor(() => w.gh.labelsOf(n).includes('agent:review') && !w.gh.labelsOf(n).includes('agent:running'), { timeoutMs: 90_000, what: 'the long ticket handed off' });
    } finally {
      clearInterval(sampler);
    }
    expect(twice, 'two agents alive on one ticket').toEqual([]);
    expect(lastSeen - firstSeen).toBeGreaterThan(2 * TTL); // the agent was watched for most of its run
    expect(sampled).toBeGreaterThan(20);
    const events = [...a.events(), ...b.events()];
    expect(events.filter((e) => e.type === 'taken_over' || e.type === 'lease_lost')).toEqual([]);
    expect(w.claudeCalls()).toHaveLength(1);
    expect(w.gh.pulls).toHaveLength(1);
    // Both daemons were up and polling the whole time, under the same host name.
    const status = JSON.parse((await suite.cli(a, ['status', '--json'])).stdout);
    const daemons = status.fleet.daemons.filter((d: any) => !d.stopped);
    expect(daemons).toHaveLength(2);
    expect(new Set(daemons.map((d: any) => d.host)).size).toBe(1);
    expect(new Set(daemons.map((d: any) => d.id)).size).toBe(2);
  }, 180_000);

  it('SIGSTOP the holder for lease_ttl + 30 s right after its agent committed: the other takes over and publishes; resumed, the frozen one sends nothing for the ticket; exactly one PR', async () => {
    const w = await suite.world(2, await suite.pg.createDatabase(), { state: { lease_ttl: '5s' }, agent: { max_concurrent: 1 } });
    const pushes = logPushes(w.origin.origin, path.join(w.origin.base, 'pushes.log'));
    const n = w.gh.addIssue({ title: 'Frozen holder', labels: ['agent'] });
    const committed = path.join(w.origin.base, `committed-${n}.pid`);
    // The first run commits, says so (a marker file), lingers a moment and ends well: swarm would push and
    // open the PR next. The second run (the other daemon's) commits and ends; swarm publishes it.
    w.setScenarios({ [n]: [[{ init: true }, { text: 'Working on it.' }, { sleep: 1500 }, { commit: {} }, { spawnSleep: 1, pidFile: committed }, { sleep: 400 }, { result: {} }], 'commit_only'] });
    const [a, b] = w.members as [Member, Member];
    const da = suite.start(a);
    await waitFor(() => a.events().some((e) => e.type === 'started' && e.key === String(n)), { timeoutMs: 60_000, what: 'A working the ticket' });
    suite.start(b);
    await waitFor(() => fs.existsSync(committed), { timeoutMs: 30_000, intervalMs: 5, what: "A's agent committing" });
    da.kill('SIGSTOP');
    const stoppedAt = Date.now();
    let contAt = 0;
    try {
      const taken = await waitFor(() => b.events().find((e) => e.type === 'taken_over' && e.key === String(n)), { timeoutMs: TTL + 15_000, what: 'B taking the ticket over' });
      expect(Date.parse(taken.at) - stoppedAt).toBeGreaterThanOrEqual(TTL - 2_000);
      await waitFor(() => w.gh.pulls.length === 1 && w.gh.labelsOf(n).includes('agent:review'), { timeoutMs: 60_000, what: 'B publishing' });
      await new Promise((r) => setTimeout(r, Math.max(0, stoppedAt + TTL + 30_000 - Date.now())));
    } finally {
      da.kill('SIGCONT');
      contAt = Date.now();
    }
    // A wakes up: it learns it lost the lease, and sends nothing.
    await waitFor(() => a.events().some((e) => e.type === 'lease_lost' && e.key === String(n)), { timeoutMs: 20_000, what: 'A hearing that it lost the lease' });
    await new Promise((r) => setTimeout(r, 4_000)); // several of A's polls and heartbeats
    const fromA = w.gh.requests.filter((r) => r.at >= stoppedAt && r.headers.authorization?.endsWith(a.token));
    expect(fromA.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`), 'tracker writes or PR requests from A').toEqual([]);
    expect(fromA.filter((r) => r.path.includes('/pulls') && r.method !== 'GET')).toEqual([]);
    const branchPushes = pushes().filter((p) => p.ref.startsWith('refs/heads/swarm/'));
    expect(branchPushes.filter((p) => p.token === a.token), 'pushes by A').toEqual([]);
    expect(branchPushes.filter((p) => p.token === b.token)).toHaveLength(1);
    // And by the commit: the one push is B's commit, never the one A's agent made in A's clone.
    const branch = b.state().tickets[String(n)].branch as string;
    const headOf = (m: Member) => {
      try {
        return execFileSync('git', ['rev-parse', '--verify', '-q', `refs/heads/${branch}`], { cwd: m.dir, encoding: 'utf8' }).trim();
      } catch {
        return null;
      }
    };
    const [headA, headB] = [headOf(a), headOf(b)];
    expect(headB).not.toBeNull();
    expect(headA, "A's agent committed in A's clone").not.toBeNull();
    expect(headA).not.toBe(headB);
    expect(branchPushes.map((p) => p.sha), 'one push, of the commit B published; none of A\'s').toEqual([headB]);
    expect(w.gh.pulls).toHaveLength(1);
    expect(contAt).toBeGreaterThanOrEqual(stoppedAt + TTL + 30_000);
    // The shared record: A's cut-short run interrupted (not counted), B's handed off; A shows it too.
    for (const m of [a, b]) {
      await waitFor(() => {
        const t = m.state().tickets[String(n)];
        return t && t.status === 'review' && JSON.stringify(t.attempts.map((x: any) => x.outcome)) === JSON.stringify(['interrupted', 'pr_auto_opened']) && t.failures === 0;
      }, { timeoutMs: 20_000, what: `${m.name} showing the shared record` });
    }
    expect(w.claudeCalls()).toHaveLength(2);
  }, 180_000);
});
