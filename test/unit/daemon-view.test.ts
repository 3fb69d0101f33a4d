// The daemon's view (orchestrator/daemon-view.ts): held in memory, never in state.json, and published as
// .swarm/daemon.json — at once when the endpoint listens (before any poll ran), with the configuration in
// force read at each publish (a reload shows at the next one), and again when the account view changes.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/schema.js';
import type { Workflow } from '../../src/config/types.js';
import type { DiskFull } from '../../src/core/types.js';
import { Logger } from '../../src/log/logger.js';
import { DaemonView } from '../../src/orchestrator/daemon-view.js';
import { liveReport, readReport, withReport } from '../../src/report/daemon-report.js';
import { emptyState } from '../../src/state/empty-state.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const wfWith = (max_concurrent: number) => ({ config: validateConfig({ tracker: { kind: 'github', repo: 'acme/widgets' }, agent: { max_concurrent } }, { file: 'W.md', env: {} }).config, warnings: [], secrets: [] }) as unknown as Workflow;

function world() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-view-'));
  dirs.push(dir);
  const file = path.join(dir, 'daemon.json');
  let wf = wfWith(2);
  let disk: DiskFull | null = null;
  const records = emptyState(NOW);
  const view = new DaemonView({ file, workflowPath: '/r/WORKFLOW.md', pid: 4242, now: () => NOW, log: new Logger({ eventsFile: null, out: null }), wf: () => wf, records: () => records, diskFull: () => disk });
  return { file, view, records, setWf: (n: number) => (wf = wfWith(n)), setDisk: (d: DiskFull | null) => (disk = d) };
}

describe('DaemonView', () => {
  it('writes daemon.json the moment the endpoint listens, before any poll, with where it listens and the config in force', () => {
    const w = world();
    expect(fs.existsSync(w.file)).toBe(false);
    w.view.listening({ socket: '/r/.swarm/control.sock', url: 'http://127.0.0.1:8080/' });
    const r = readReport(w.file)!;
    expect(r).toMatchObject({ pid: 4242, socket: '/r/.swarm/control.sock', url: 'http://127.0.0.1:8080/', workflow: '/r/WORKFLOW.md', draining: false, config: { max_concurrent: 2 } });
    // The socket closed: said so, so no client keeps knocking at it.
    w.view.listening({ socket: null, url: null });
    expect(readReport(w.file)).toMatchObject({ socket: null, url: null });
  });

  it('each publish carries the configuration in force and the errors and views; the records never carry them', () => {
    const w = world();
    w.view.daemon.config_error = 'W.md: agent.max_concurrent must be a number';
    w.view.daemon.notes = ['grant Checks: read'];
    w.setWf(5);
    w.view.publish();
    const r = readReport(w.file)!;
    expect(r).toMatchObject({ config: { max_concurrent: 5 }, config_error: 'W.md: agent.max_concurrent must be a number', notes: ['grant Checks: read'] });
    expect(w.records).not.toHaveProperty('daemon');
    // What status builds from the records and this report is the same as the daemon's own view.
    const viewed = withReport(w.records, liveReport(w.file, { pid: 4242 }));
    expect(viewed.daemon).toMatchObject({ pid: 4242, max_concurrent: 5, config_error: r.config_error, notes: r.notes });
    expect(w.view.viewed().daemon).toMatchObject({ pid: 4242, max_concurrent: 5 });
    // Another pid's report is not this daemon's: ignored.
    expect(liveReport(w.file, { pid: 4243 })).toBeNull();
  });

  it('shows the ledger’s disk-full pause in the view, and publishes an account view only when it changed', () => {
    const w = world();
    w.setDisk({ since: '2026-03-01T11:59:00Z', file: '/r/.swarm/state.json', error: 'ENOSPC' });
    expect(w.view.viewed().daemon?.disk_full).toMatchObject({ error: 'ENOSPC' });
    const seen = { self: 'm1', file: null, from: 'agent.account', record: { name: 'team' } } as never;
    w.view.seeAccount(seen);
    expect(readReport(w.file)?.account).toMatchObject({ self: 'm1' });
    fs.rmSync(w.file);
    w.view.seeAccount(seen);
    expect(fs.existsSync(w.file)).toBe(false); // unchanged: nothing written
  });
});
