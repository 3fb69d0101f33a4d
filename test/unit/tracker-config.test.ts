// TrackerConfig is one shape per tracker.kind; every YAML key is still read (and checked) whatever the kind.
// trackerFingerprint() says which edits rebuild the tracker; markStates() where swarm's marks are states.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/schema.js';
import { markStates, ownScope, trackerFingerprint } from '../../src/config/tracker-facts.js';

const load = (tracker: Record<string, unknown>) => validateConfig({ tracker }, { file: 'WORKFLOW.md', env: {} });

describe('TrackerConfig by kind', () => {
  it('keeps each kind\'s own keys only', () => {
    const gh = load({ kind: 'github', repo: 'acme/app' }).config.tracker;
    expect(gh.kind).toBe('github');
    expect('states' in gh || 'team' in gh || 'path' in gh).toBe(false);
    const lin = load({ kind: 'linear', team: 'ENG', repo: 'acme/app' }).config.tracker;
    // Linear keeps the GitHub access keys: its pull requests live on the repository's GitHub.
    expect(lin.kind === 'linear' && [lin.team, lin.states, lin.repo]).toEqual(['ENG', ['Todo'], 'acme/app']);
    expect('path' in lin).toBe(false);
    const local = load({ kind: 'local' }).config.tracker;
    expect(local.kind === 'local' && local.path).toBe('.swarm/tickets');
    expect('repo' in local || 'states' in local).toBe(false);
  });
  it('reads another kind\'s keys as before: no unknown-key warning, the same type errors, secrets still masked', () => {
    const r = load({ kind: 'github', states: ['Todo'], path: 'x', api_key: 'lin_api_secret' });
    expect(r.warnings.filter((w) => /states|path|api_key/.test(w))).toEqual([]);
    expect(load({ kind: 'github', statez: ['Todo'] }).warnings.some((w) => w.includes('tracker.statez'))).toBe(true); // the check can fail
    expect(r.secrets).toContain('lin_api_secret');
    expect(() => load({ kind: 'github', full_sweep: 'soon' })).toThrow(/tracker\.full_sweep must be a duration/);
  });
});

describe('what the rest of the house asks of a tracker config', () => {
  const lin = (over: Record<string, unknown> = {}) => load({ kind: 'linear', team: 'ENG', ...over }).config.tracker;
  const gh = (over: Record<string, unknown> = {}) => load({ kind: 'github', repo: 'acme/app', ...over }).config.tracker;
  const same = (a: unknown, b: unknown) => JSON.stringify(trackerFingerprint(a as never)) === JSON.stringify(trackerFingerprint(b as never));
  it('trackerFingerprint: any Linear change rebuilds; GitHub only for where and how it connects', () => {
    expect(same(lin(), lin())).toBe(true);
    expect(same(lin(), lin({ states: ['Todo', 'Ready'] }))).toBe(false);
    expect(same(lin(), lin({ labels: ['bot'] }))).toBe(false);
    expect(same(gh(), gh({ labels: ['bot'], running_label: 'busy' }))).toBe(true);
    expect(same(gh(), gh({ repo: 'acme/other' }))).toBe(false);
    expect(same(gh(), gh({ token: 't' }))).toBe(false);
    const local = (path: string) => load({ kind: 'local', path }).config.tracker;
    expect(same(local('a'), local('a'))).toBe(true);
    expect(same(local('a'), local('b'))).toBe(false);
  });
  it('markStates and ownScope: Linear\'s states and team; none for label trackers', () => {
    expect(markStates(lin({ failed_state: 'Canceled' }))).toEqual({ eligible: ['Todo'], failed: 'Canceled' });
    expect(markStates(gh())).toBeNull();
    expect(ownScope(lin({ project: 'app' }))).toBe('linear:ENG/app');
    expect(ownScope(gh())).toBeNull();
  });
});
