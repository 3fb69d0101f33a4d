// Issue #23 acceptance 8: a fake agent that would print 1 GB. With agent.transcript_max at 64 KB the
// daemon kills it once it has printed 4 × that (so the 1 GB never happens: the proof is cheap), the run
// ends as infrastructure (not counted), the transcript holds at most the cap with its head, the cut
// marker and its tail, and no tail segment is left on disk.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { runCli, useProject, type Project } from '../helpers/daemon.js';

let project: Project;
useProject((p) => (project = p));

it('a runaway agent printing 1 GB: transcript under the cap, killed as infrastructure, the disk not filled', async () => {
  const cap = 64 * 1024;
  project.writeWorkflow({ agent: { transcript_max: '64KB' } });
  // ~1.1 KB per line, a million lines: about 1 GB if nothing stopped it.
  project.setScenarios({ flood: [[{ init: true }, { repeat: 1_000_000, steps: [{ text: `flood ${'x'.repeat(1000)}` }] }, 'success']] });
  fs.mkdirSync(path.join(project.dir, '.swarm', 'tickets'), { recursive: true });
  fs.writeFileSync(path.join(project.dir, '.swarm', 'tickets', 'flood.md'), `---\n${JSON.stringify({ title: 'Print forever', labels: ['agent'] })}\n---\nDo it.\n`);

  const t0 = Date.now();
  const res = await runCli(project, ['start', '--once']);
  expect(res.code, res.stdout + res.stderr).toBe(0);
  expect(Date.now() - t0).toBeLessThan(60_000);

  const finished = project.events().filter((e) => e.type === 'finished');
  expect(finished).toHaveLength(1);
  expect(finished[0]).toMatchObject({ outcome: 'infra_failed', counted: false });
  expect(finished[0].reason).toMatch(/printed more than 4 × agent\.transcript_max/);
  const ts = project.state().tickets.flood;
  expect(ts.failures).toBe(0);

  const runFile = ts.attempts[0].run_file as string;
  expect(fs.statSync(runFile).size).toBeLessThanOrEqual(cap);
  const lines = fs.readFileSync(runFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  expect(lines[0]).toMatchObject({ type: 'system', subtype: 'init' });
  const cut = lines.find((l) => l.type === 'swarm_transcript_cut');
  expect(cut).toMatchObject({ transcript_max: cap });
  expect(cut.omitted_bytes).toBeGreaterThan(2 * cap);
  expect(lines.at(-1).message.content[0].text).toMatch(/^flood x+$/);
  // Everything swarm keeps for the run fits the cap: no tail segments left beside it.
  const dir = path.dirname(runFile);
  const bytes = fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl')).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
  expect(bytes).toBeLessThanOrEqual(cap);
  const logs = await runCli(project, ['logs', 'flood']);
  expect(logs.stdout).toMatch(/✂ 0\.\d MB of output cut here/);
});
