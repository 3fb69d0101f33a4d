// WORKFLOW.md is parsed again only when its bytes change (issue #25: work done once per poll).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { loadWorkflow, reloadWorkflow } from '../../src/config/workflow.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function file(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-wf-'));
  dirs.push(dir);
  const p = path.join(dir, 'WORKFLOW.md');
  fs.writeFileSync(p, text);
  return p;
}

const doc = (n: number) => `---\ntracker:\n  kind: local\nagent:\n  max_concurrent: ${n}\n---\nWork on {{ issue.title }}\n`;

it('returns the workflow it was given while the file holds the same bytes, and a new one once they change', () => {
  const env = {};
  const p = file(doc(2));
  const first = loadWorkflow(p, env);
  expect(first.config.agent.max_concurrent).toBe(2);
  const again = reloadWorkflow(p, env, first);
  expect(again).toEqual({ workflow: first, error: null });
  expect(again.workflow).toBe(first);

  fs.writeFileSync(p, doc(3));
  const edited = reloadWorkflow(p, env, first);
  expect(edited.error).toBeNull();
  expect(edited.workflow).not.toBe(first);
  expect(edited.workflow.config.agent.max_concurrent).toBe(3);
  expect(reloadWorkflow(p, env, edited.workflow).workflow).toBe(edited.workflow);
});

it('parses again for another environment ($VAR values may differ) and still reports a bad edit', () => {
  const p = file(doc(2));
  const first = loadWorkflow(p, {});
  expect(reloadWorkflow(p, { OTHER: '1' }, first).workflow).not.toBe(first);
  fs.writeFileSync(p, '---\nagent: [broken\n---\nx\n');
  const bad = reloadWorkflow(p, {}, first);
  expect(bad.workflow).toBe(first);
  expect(bad.error).toMatch(/YAML/);
});
