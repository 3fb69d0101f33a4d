// Ticket.phase, as each adapter sets it when it normalises a ticket: GitHub and local by swarm's labels,
// Linear by its workflow state. The rules (policy, reconcile, webhooks' listing) read only the phase.
import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labelPhase, statePhase } from '../../src/tracker/phase.js';
import { parseIssue, toTicket } from '../../src/tracker/github/map.js';
import { LocalTracker } from '../../src/tracker/local/tracker.js';
import { validateConfig } from '../../src/config/schema.js';

const load = (tracker: Record<string, unknown>) => validateConfig({ tracker }, { file: 'WORKFLOW.md', env: {} }).config;

describe('labelPhase (GitHub, local)', () => {
  const marks = { running_label: 'agent:running', review_label: 'agent:review', failed_label: 'agent:failed' };
  it('reads swarm\'s labels, failed before review before ours, case-insensitively', () => {
    expect(labelPhase({ open: true, labels: ['agent'] }, marks)).toBe('todo');
    expect(labelPhase({ open: true, labels: ['agent', 'Agent:Running'] }, marks)).toBe('ours');
    expect(labelPhase({ open: true, labels: ['agent', 'agent:review'] }, marks)).toBe('review');
    expect(labelPhase({ open: true, labels: ['agent', 'agent:review', 'agent:failed', 'agent:running'] }, marks)).toBe('failed');
    expect(labelPhase({ open: false, labels: ['agent', 'agent:failed'] }, marks)).toBe('closed');
  });
});

describe('statePhase (Linear)', () => {
  const states = { states: ['Todo', 'Ready'], running_state: 'In Progress', review_state: 'In Review', failed_state: 'Stuck' };
  it('reads the workflow state: states → todo, running → ours, review, failed_state → failed, others → other', () => {
    expect(statePhase({ open: true, state: 'Todo' }, states)).toBe('todo');
    expect(statePhase({ open: true, state: 'Ready' }, states)).toBe('todo');
    expect(statePhase({ open: true, state: 'In Progress' }, states)).toBe('ours');
    expect(statePhase({ open: true, state: 'In Review' }, states)).toBe('review');
    expect(statePhase({ open: true, state: 'Stuck' }, states)).toBe('failed');
    expect(statePhase({ open: true, state: 'Backlog' }, states)).toBe('other');
    expect(statePhase({ open: false, state: 'Todo' }, states)).toBe('closed');
    // Names are compared exactly, as Linear's own filter compares them.
    expect(statePhase({ open: true, state: 'todo' }, states)).toBe('other');
  });
  it('without a failed_state, a failed ticket is marked by the failed label (not a phase of its state)', () => {
    expect(statePhase({ open: true, state: 'Stuck' }, { ...states, failed_state: null })).toBe('other');
  });
});

describe('the GitHub adapter sets phase when it maps an issue', () => {
  const cfg = load({ kind: 'github', repo: 'acme/app', running_label: 'swarm:busy' });
  const issue = (labels: string[], state = 'open') => parseIssue({ number: 3, title: 't', body: '', html_url: 'u', state, labels: labels.map((name) => ({ name })), user: { login: 'a', id: 1 }, comments: 0, created_at: '', updated_at: '' });
  const phase = (labels: string[], state?: string) => toTicket(issue(labels, state), { open: [], ignored: 0 }, cfg.tracker).phase;
  it('by the configured labels', () => {
    expect(phase(['agent'])).toBe('todo');
    expect(phase(['agent', 'swarm:busy'])).toBe('ours');
    expect(phase(['agent', 'agent:running'])).toBe('todo'); // not the configured running label
    expect(phase(['agent', 'agent:review'])).toBe('review');
    expect(phase(['agent', 'agent:failed'])).toBe('failed');
    expect(phase(['agent'], 'closed')).toBe('closed');
  });
});

describe('the local adapter sets phase when it reads a ticket file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-phase-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('by the labels in the front matter, and closed by its state', async () => {
    mkdirSync(dir, { recursive: true });
    const file = (key: string, labels: string[], state = 'open') => writeFileSync(join(dir, `${key}.md`), `---\ntitle: ${key}\nlabels: [${labels.join(', ')}]\nstate: ${state}\n---\nbody\n`);
    file('a', ['agent']);
    file('b', ['agent', 'agent:running']);
    file('c', ['agent', 'agent:failed']);
    file('d', ['agent'], 'closed');
    const t = new LocalTracker(dir, load({ kind: 'local' }));
    expect((await t.fetch('a'))!.phase).toBe('todo');
    expect((await t.fetch('b'))!.phase).toBe('ours');
    expect((await t.fetch('c'))!.phase).toBe('failed');
    expect((await t.fetch('d'))!.phase).toBe('closed');
    expect(Object.fromEntries((await t.candidates()).tickets.map((x) => [x.key, x.phase]))).toEqual({ a: 'todo', b: 'ours', c: 'failed' });
  });
});
