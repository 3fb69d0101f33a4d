// The first line of a git failure is what logs, status and the sticky comment show: it must be git's
// complaint, not its progress chatter.
import { describe, expect, it } from 'vitest';
import { failureText } from '../../src/workspace/git.js';

describe('git failure text', () => {
  it("puts git's fatal/error lines first and keeps the rest below", () => {
    const out = "Preparing worktree (new branch 'swarm/1-x')\nfatal: cannot lock ref 'refs/heads/swarm/1-x': File exists\n";
    expect(failureText(out, 'git worktree failed (exit 128)').split('\n')).toEqual([
      "fatal: cannot lock ref 'refs/heads/swarm/1-x': File exists",
      "Preparing worktree (new branch 'swarm/1-x')",
    ]);
    expect(failureText('error: a\nhint: b\nerror: c\n', 'x').split('\n')[0]).toBe('error: a; error: c');
  });

  it('says how git ended when it printed no complaint', () => {
    expect(failureText("Preparing worktree (new branch 'b')\n", 'git worktree failed (exit SIGKILL)')).toBe("git worktree failed (exit SIGKILL)\nPreparing worktree (new branch 'b')");
    expect(failureText('', 'git fetch failed (exit 1)')).toBe('git fetch failed (exit 1)');
  });
});
