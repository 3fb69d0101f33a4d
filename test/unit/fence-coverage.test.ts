// The fence refuses a tracker or code-host method it has not been told about (a new write must name its
// ticket). Its table is typed over every adapter's public methods, so a new method without a word in
// src/fleet/fence.ts fails to compile; here the real adapters are asked at run time too (the Linear
// tracker is a plain object: all of its methods are public; the classes' public methods are named).
import { describe, expect, it } from 'vitest';
import { NO_FENCE, fenceKnows, fenceWrites } from '../../src/fleet/fence.js';
import { validateConfig } from '../../src/config/schema.js';
import { GitHubTracker } from '../../src/tracker/github/tracker.js';
import { BranchHandoff, LocalTracker } from '../../src/tracker/local/tracker.js';
import { createLinearTracker } from '../../src/tracker/linear/tracker.js';
import { GitHubMerges } from '../../src/tracker/github/merges.js';
import { GitHubCodeHost } from '../../src/tracker/github/code-host.js';

function methodsOf(obj: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = obj; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) {
      const d = Object.getOwnPropertyDescriptor(o, name);
      if (d && typeof d.value === 'function') names.add(name);
    }
  }
  return [...names].sort();
}

describe('the fleet fence knows every adapter method', () => {
  const linearCfg = validateConfig({ tracker: { kind: 'linear', team: 'ENG', api_url: 'http://127.0.0.1:9/graphql' } }, { file: 'WORKFLOW.md', env: {} }).config;
  it('Linear tracker: every method', () => {
    const methods = methodsOf(createLinearTracker({ config: linearCfg, apiKey: 'lin_api_test' }));
    expect(methods.length).toBeGreaterThan(8);
    expect(methods.filter((m) => !fenceKnows(m))).toEqual([]);
  });
  // TypeScript's `private` is gone at run time: these are the classes' helpers, never called from outside.
  const PRIVATE = new Set(['call', 'issueOrNull', 'mapError', 'reauth', 'remember', 'repoParams', 'editLabels', 'editFile', 'file', 'parse', 'read', 'writeSticky', 'reopen']);
  for (const [what, proto] of Object.entries({ 'GitHub tracker': GitHubTracker.prototype, 'GitHub code host': GitHubCodeHost.prototype, 'local tracker': LocalTracker.prototype, 'pushed-branch hand-off': BranchHandoff.prototype, "the code host's merges (verification after merge)": GitHubMerges.prototype })) {
    it(`${what}: every public method`, () => {
      const methods = methodsOf(proto).filter((m) => !PRIVATE.has(m));
      expect(methods.length).toBeGreaterThan(1);
      expect(methods.filter((m) => !fenceKnows(m))).toEqual([]);
    });
  }
  it('a wrapped GitHub tracker answers notes() and changedBy through the fence (they once were refused every poll)', async () => {
    const gh = Object.create(GitHubTracker.prototype) as GitHubTracker;
    const wrapped = fenceWrites(gh, NO_FENCE);
    const refusal = (call: () => unknown) => {
      try {
        call();
        return '';
      } catch (err) {
        return String(err); // a bare object without its fields may fail inside; only the fence's refusal counts
      }
    };
    expect(refusal(() => wrapped.notes())).not.toMatch(/fleet fence/);
    expect(refusal(() => void wrapped.changedBy({ key: '1' } as never, 'reopened' as never).catch(() => {}))).not.toMatch(/fleet fence/);
    expect(refusal(() => (fenceWrites({ nobodyKnows: () => 1 }, NO_FENCE) as { nobodyKnows(): number }).nobodyKnows())).toMatch(/fleet fence does not know nobodyKnows/);
  });
  it('a method nobody classified is unknown (the check can fail)', () => {
    expect(fenceKnows('deleteEverything')).toBe(false);
  });
});
