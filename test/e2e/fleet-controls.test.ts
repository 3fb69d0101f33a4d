// Fleet controls from a clone whose own daemon is not running (issue #13): `swarm pause|resume|retry|release`
// there act on the whole fleet through the database — the scope's pause for every daemon, a retry or release
// applied by the daemon that holds (or takes) the ticket, and with no daemon running anywhere the shared
// record itself, brought to the tracker by the next daemon to start. Real PostgreSQL, real processes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSql } from '../helpers/postgres.js';
import { useFleetSuite, type Member } from '../helpers/fleet.js';
import { waitFor } from '../helpers/daemon.js';

const suite = useFleetSuite();
const { start, cli } = suite;

/** Wait until the member's daemon has polled `n` more times (its report's fleet view is refreshed each poll). */
async function polls(m: Member, n: number): Promise<void> {
  const seen = new Set<string>();
  await waitFor(() => {
    const at = m.report()?.fleet?.refreshed_at;
    if (at) seen.add(at);
    return seen.size > n;
  }, { timeoutMs: 30_000, what: `${m.name} polling ${n} more times` });
}

describe('fleet controls with no daemon in this clone', () => {
  it('pause, resume, retry and release from an idle clone reach the running daemons; with none running, the shared record', async () => {
    const url = await suite.pg.createDatabase();
    const w = await suite.world(2, url, { agent: { max_concurrent: 2, max_attempts: 1 } });
    const [idle, worker] = w.members as [Member, Member];
    const f1 = w.gh.addIssue({ title: 'Fails, retried through the daemon', labels: ['agent'] });
    const f2 = w.gh.addIssue({ title: 'Fails, retried with no daemon', labels: ['agent'] });
    w.setScenarios({ [f1]: ['no_changes', 'commit_and_pr'], [f2]: ['no_changes', 'commit_and_pr'], default: ['commit_and_pr'] });
    let d = start(worker);
    await waitFor(() => [f1, f2].every((n) => w.gh.labelsOf(n).includes('agent:failed')), { timeoutMs: 60_000, what: 'both failed once' });

    // Pause from the idle clone: the worker stops claiming; nothing is written to the idle clone's state.json.
    const paused = await cli(idle, ['pause']);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toMatch(/dispatch paused until `swarm resume`.*fleet-wide, written to postgres:\/\/swarm:\*\*\*@/);
    expect(paused.stdout).not.toMatch(/no daemon running/);
    expect(paused.stdout + paused.stderr).not.toContain(suite.pg.password);
    expect(fs.existsSync(path.join(idle.swarmDir, 'state.json'))).toBe(false);
    expect(idle.events().filter((e) => e.type === 'paused').map((e) => e.kind)).toEqual(['operator']);
    await waitFor(() => worker.state().pause?.kind === 'operator', { timeoutMs: 20_000, what: 'the worker seeing the pause' });
    const calls = w.claudeCalls().length;
    const long = w.gh.addIssue({ title: 'Arrives during the pause', labels: ['agent'] });
    w.setScenarios({ [f1]: ['no_changes', 'commit_and_pr'], [f2]: ['no_changes', 'commit_and_pr'], [long]: [[{ init: true }, { sleep: 120_000 }], 'commit_and_pr'] });
    await polls(worker, 3);
    expect(w.gh.labelsOf(long)).not.toContain('agent:running');
    expect(w.claudeCalls()).toHaveLength(calls);

    // Retry: nobody holds f1, the worker is live: it takes the request, applies it and clears the label.
    const retried = await cli(idle, ['retry', `#${f1}`]);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toMatch(new RegExp(`#${f1} will be picked up again.*applied by daemon ${worker.report().fleet.self}`));
    await waitFor(() => !w.gh.labelsOf(f1).includes('agent:failed'), { timeoutMs: 20_000, what: 'the failed label cleared by the worker' });
    expect(w.claudeCalls()).toHaveLength(calls); // still paused

    const resumed = await cli(idle, ['resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/resumed \(was paused: operator\).*fleet-wide/);
    await waitFor(() => w.gh.labelsOf(f1).includes('agent:review'), { timeoutMs: 60_000, what: 'f1 run again and handed off after the resume' });
    await waitFor(() => worker.state().tickets[String(long)]?.status === 'running', { timeoutMs: 60_000, what: 'the long ticket running' });

    // Release: the worker holds the lease, so it applies it (and stops its agent).
    const released = await cli(idle, ['release', String(long)]);
    expect(released.code, released.stderr).toBe(0);
    expect(released.stdout).toMatch(new RegExp(`released #${long}.*applied by daemon`));
    await waitFor(() => worker.events().some((e) => e.type === 'released' && e.key === String(long) && e.by === 'operator'), { what: 'released by the worker' });

    const unknown = await cli(idle, ['retry', '4242']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/4242 is not known to the fleet \(scope github:acme\/widgets in postgres:\/\/swarm:\*\*\*@/);

    // Released means left alone, although still labelled; a retry from the idle clone lifts that and it runs again.
    await polls(worker, 2);
    expect(worker.state().tickets[String(long)]).toMatchObject({ status: 'released', hold: { unlisted: false } });
    const again = await cli(idle, ['retry', String(long)]);
    expect(again.code, again.stderr).toBe(0);
    await waitFor(() => w.gh.labelsOf(long).includes('agent:review'), { timeoutMs: 60_000, what: 'the released ticket retried and handed off' });

    // No daemon anywhere: the retry changes the shared record itself; the next daemon to start syncs the tracker.
    await d.stop();
    const offline = await cli(idle, ['retry', `#${f2}`]);
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stdout).toMatch(/no daemon of the fleet is running: the tracker is brought in line when one starts/);
    const [rec] = await runSql<{ record: any }>(url, 'SELECT record FROM swarm_tickets WHERE key = $1', [String(f2)]);
    expect(rec!.record).toMatchObject({ status: 'released', failures: 0, cleared: true });
    expect(rec!.record.synced_rev).toBeLessThan(rec!.record.rev);
    expect(await runSql(url, 'SELECT key FROM swarm_leases')).toEqual([]); // the command's own lease is gone
    expect(w.gh.labelsOf(f2)).toContain('agent:failed'); // the tracker waits for a daemon
    d = start(worker);
    await waitFor(() => w.gh.labelsOf(f2).includes('agent:review'), { timeoutMs: 60_000, what: 'f2 run again by the restarted daemon' });
    expect(w.claudeCalls().filter((c) => c.env.SWARM_TICKET_ID === String(f2))).toHaveLength(2);
  }, 240_000);

  it('a fleet clone whose database does not answer: one sentence naming it (password masked), exit 1, nothing changed', async () => {
    const world = await suite.world(1, 'postgres://swarm:hunter22secret@127.0.0.1:1/fleet');
    const [m] = world.members as [Member];
    const res = await cli(m, ['pause']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^swarm: no daemon runs in this clone and the fleet database at postgres:\/\/swarm:\*\*\*@127\.0\.0\.1:1\/fleet does not answer \(.*\): nothing was changed/);
    expect(res.stderr).not.toContain('hunter22secret');
    expect(fs.existsSync(path.join(m.swarmDir, 'state.json'))).toBe(false);
  }, 60_000);
});
