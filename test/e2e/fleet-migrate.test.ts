// `swarm state migrate` end to end (issue #13): a clone that ran in embedded mode copies its state into a
// real PostgreSQL (started by the suite); a fleet daemon started afterwards with state.url carries on with
// the same records — attempts, counted failures and the next model, the retry queue, the pause, today's
// spend. Daemons and the CLI run as real processes, against the fake GitHub and the fake claude.
import { describe, expect, it } from 'vitest';
import { runSql } from '../helpers/postgres.js';
import { useFleetSuite, type Member } from '../helpers/fleet.js';
import { waitFor } from '../helpers/daemon.js';

const suite = useFleetSuite();
const { start, cli } = suite;

describe('swarm state migrate', () => {
  it('copies an embedded clone into the fleet database; the next fleet daemon shows the same attempts, retry queue, pause and spend', async () => {
    const url = await suite.pg.createDatabase();
    const w = await suite.world(2, url, { agent: { max_attempts: 2, models: ['sonnet', 'opus'], retry_backoff: '1h', max_retry_backoff: '2h' } });
    const [m1, m2] = w.members as [Member, Member];
    m1.writeWorkflow({ state: { url: null } }); // embedded, as before the fleet existed
    const done = w.gh.addIssue({ title: 'Handed off before the move', labels: ['agent'] });
    const retried = w.gh.addIssue({ title: 'Failed once before the move', labels: ['agent'] });
    w.setScenarios({ [done]: ['commit_and_pr'], [retried]: ['no_changes', 'commit_and_pr'] });
    const once = await cli(m1, ['start', '--once']);
    expect(once.code, once.stdout + once.stderr).toBe(0);
    const before = m1.state();
    expect(before.tickets[String(done)].status).toBe('review');
    expect(before.tickets[String(retried)]).toMatchObject({ status: 'retry_wait', failures: 1 });
    expect((await cli(m1, ['pause'])).code).toBe(0); // no daemon: state.json
    expect(m1.state().pause.kind).toBe('operator');

    // Refused while this clone's daemon runs (the repository lock), naming the daemon and the fix.
    const running = start(m1);
    await running.waitForOutput(/swarm started|daemon started/i);
    const busy = await cli(m1, ['state', 'migrate', '--to', url]);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toMatch(new RegExp(`daemon \\(pid ${running.proc.pid}.*stop it first`));
    await running.stop();

    // The URL from a $VARIABLE; the password never printed.
    const moved = await cli(m1, ['state', 'migrate', '--to', '$FLEET_DB'], { FLEET_DB: url });
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toMatch(/applied migration\(s\) 1, 2/);
    expect(moved.stdout).toMatch(new RegExp(`#${done}\\s+in review .*1 attempt\\(s\\), 0 counted`));
    expect(moved.stdout).toMatch(new RegExp(`#${retried}\\s+retry due .*1 attempt\\(s\\), 1 counted`));
    expect(moved.stdout).toMatch(/retry queue: 1 ticket/);
    expect(moved.stdout).toMatch(/pause: operator, until `swarm resume`/);
    expect(moved.stdout + moved.stderr).not.toContain(suite.pg.password);
    expect(moved.stdout + moved.stderr).not.toContain(encodeURIComponent(suite.pg.password));
    const rows = await runSql<{ key: string; version: string }>(url, 'SELECT key, version FROM swarm_tickets ORDER BY key');
    expect(rows.map((r) => r.key).sort()).toEqual([String(done), String(retried)].sort());

    // A second copy is refused (nothing written) unless --force, which says what it overwrote.
    const again = await cli(m1, ['state', 'migrate', '--to', url]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/nothing was copied: .*already holds 2 of these tickets .*--force/);
    expect(again.stderr).not.toContain(suite.pg.password);
    expect(await runSql(url, 'SELECT key, version FROM swarm_tickets ORDER BY key')).toEqual(rows);
    const forced = await cli(m1, ['state', 'migrate', '--to', url, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/overwrote the database/);
    expect(forced.stdout).toMatch(/today's totals were not added again/);
    const scope = await runSql<{ record: any }>(url, 'SELECT record FROM swarm_scopes');
    expect(scope).toHaveLength(1);
    expect(scope[0]!.record.pause.kind).toBe('operator');
    expect(scope[0]!.record.daily.cost_usd).toBeCloseTo(before.daily.cost_usd, 6); // once, not twice

    // Another clone's fleet daemon: the copied records, the shared pause (so nothing starts), today's spend.
    const calls = w.claudeCalls().length;
    start(m2);
    const snap = await waitFor(async () => {
      const j = JSON.parse((await cli(m2, ['status', '--json'])).stdout);
      return j.daemon.running && j.fleet && j.retry_queue.length === 1 ? j : null;
    }, { timeoutMs: 30_000, what: 'the fleet daemon showing the copied records' });
    expect(snap.retry_queue[0]).toMatchObject({ key: String(retried), failures: 1, next_model_hint: 'opus' });
    expect(snap.retry_queue[0].due_at).toBe(before.tickets[String(retried)].next_retry_at);
    expect(snap.recent.map((r: any) => [r.key, r.pr_url, r.attempts])).toEqual([[String(done), before.tickets[String(done)].pr.url, 1]]);
    expect(snap.pause?.kind).toBe('operator');
    expect(snap.totals.cost_usd).toBeCloseTo(before.daily.cost_usd, 2);
    expect(snap.totals.prs).toBe(before.daily.prs);
    const shared = m2.state().tickets;
    expect(shared[String(retried)].attempts.map((a: any) => [a.model, a.outcome, a.counted])).toEqual([['sonnet', 'no_changes', true]]);
    expect(w.claudeCalls()).toHaveLength(calls);
  }, 180_000);

  it('takes the password from PGPASSWORD; says what is wrong with --to, a missing state.json or a database that does not answer, never the password', async () => {
    const url = await suite.pg.createDatabase();
    const world = await suite.world(1, url);
    const [m] = world.members as [Member];
    m.writeWorkflow({ state: { url: null } });
    const none = await cli(m, ['state', 'migrate', '--to', url]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/nothing to copy: .*state\.json does not exist/);
    expect((await cli(m, ['pause', '--for', '1h'])).code).toBe(0); // now there is a state.json (a pause in it)
    const noUrl = await cli(m, ['state', 'migrate']);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toMatch(/say which database to copy into: swarm state migrate --to postgres:\/\/.*or set state\.url in WORKFLOW\.md/);
    const unset = await cli(m, ['state', 'migrate', '--to', '$NOT_SET_ANYWHERE']);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toMatch(/--to is \$NOT_SET_ANYWHERE, but the environment variable NOT_SET_ANYWHERE is not set/);
    const mysql = await cli(m, ['state', 'migrate', '--to', 'mysql://u:hunter22secret@h/db']);
    expect(mysql.code).toBe(2);
    expect(mysql.stderr).toMatch(/^swarm: --to must start with postgres:\/\/ or postgresql:\/\//);
    expect(mysql.stderr).not.toContain('hunter22secret');
    const dead = await cli(m, ['state', 'migrate', '--to', `postgres://swarm:hunter22secret@127.0.0.1:1/nowhere`]);
    expect(dead.code).toBe(1);
    expect(dead.stderr).toMatch(/cannot reach the fleet database at postgres:\/\/swarm:\*\*\*@127\.0\.0\.1:1\/nowhere .*nothing was copied/);
    expect(dead.stderr).not.toContain('hunter22secret');
    // The password from PGPASSWORD, the URL without one.
    const bare = url.replace(/^postgres:\/\/swarm:[^@]+@/, 'postgres://swarm@');
    const moved = await cli(m, ['state', 'migrate', '--to', bare], { PGPASSWORD: suite.pg.password });
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toMatch(/0 ticket record\(s\)/);
    expect(moved.stdout).toMatch(/pause: operator, until 20/);
    expect(moved.stdout + moved.stderr).not.toContain(suite.pg.password);
    const [row] = await runSql<{ record: any }>(url, 'SELECT record FROM swarm_scopes');
    expect(row!.record.pause.kind).toBe('operator');
  }, 120_000);
});
