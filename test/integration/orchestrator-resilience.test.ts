// The poll loop survives a failure inside a poll (here: the state file cannot be written for a while, as on
// a full disk): it says so once (disk full, then disk space back), keeps polling and finishes the work.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadWorkflow } from '../../src/config/workflow.js';
import { Logger } from '../../src/log/logger.js';
import { FileStateStore } from '../../src/backend/embedded/state-store.js';
import { emptyState } from '../../src/state/empty-state.js';
import { swarmPaths } from '../../src/state/paths.js';
import { runAgent } from '../../src/agent/runner.js';
import { makeServices } from '../../src/services.js';
import { Orchestrator } from '../../src/orchestrator/orchestrator.js';
import { localFleet } from '../../src/backend/embedded/local-leases.js';
import { makeProject, type Project } from '../helpers/daemon.js';

let project: Project;
beforeEach(async () => {
  project = await makeProject({}, { scenarios: { default: ['commit_only'] } });
});
afterEach(() => project.cleanup());

class FlakyStore extends FileStateStore {
  failures = 0;
  constructor(file: string, private failFor: number) {
    super(file);
  }
  override save(state: Parameters<FileStateStore['save']>[0]): void {
    if (this.failFor > 0) {
      this.failFor--;
      this.failures++;
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
    super.save(state);
  }
}

it('a full disk for a while: said once, then said over, and the work finishes', async () => {
  const dir = path.join(project.dir, '.swarm', 'tickets');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'one.md'), '---\ntitle: One\nlabels: [agent]\n---\nDo it.\n');
  const paths = swarmPaths(project.dir);
  const out = new PassThrough();
  let printed = '';
  out.on('data', (d) => (printed += d));
  const log = new Logger({ eventsFile: paths.events, out });
  const wf = loadWorkflow(project.workflowPath, project.env);
  const svc = await makeServices(wf, { repoDir: project.dir, env: project.env, log: () => {} });
  // The first three writes fail (the claim's save among them), then the disk "has space" again.
  const store = new FlakyStore(paths.state, 3);
  const rt = { repoDir: project.dir, paths, env: project.env, now: Date.now, random: Math.random, log, store, ...localFleet(), runAgent, isRoot: process.getuid?.() === 0 };
  const orch = new Orchestrator(rt, (w) => makeServices(w, { repoDir: project.dir, env: project.env, log: () => {} }), wf, svc, emptyState(Date.now()), project.workflowPath);

  expect(await orch.run('until-idle')).toBe(0);

  expect(store.failures).toBe(3);
  expect(printed.match(/disk full: ENOSPC/g)?.length).toBe(1);
  expect(printed.match(/disk space is back/g)?.length).toBe(1);
  expect(printed).not.toMatch(/poll failed unexpectedly/);
  const saved = new FileStateStore(paths.state).peek()!;
  expect(saved.tickets.one.status).toBe('review');
  expect(saved.tickets.one.attempts.map((a) => a.outcome)).toEqual(['pr_auto_opened']);
});
