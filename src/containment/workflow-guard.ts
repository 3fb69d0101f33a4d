// WORKFLOW.md is re-read every poll, so an agent that could write it could give every later agent a new
// hook, its tokens, or trust in strangers. Who wrote an edit: with the sandbox on, no agent can write the
// operator's checkout at all (and agent.sandbox.filesystem.allow_write may not cover it), so every edit is
// the operator's. An agent running unconfined (agent.sandbox: off) could, so an edit made while such an
// agent ran is held: the last good configuration stays in force, and status says so, until the change is
// committed (HEAD holds exactly this text) or the operator runs `swarm resume`. When the file changed is
// read from its ctime, which the kernel sets on every write and no writer can set back (unlike the mtime).
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { gitAt, gitTry } from '../workspace/git.js';

const digest = (text: Buffer) => createHash('sha256').update(text).digest('hex');

/** Unconfined runs older than this no longer count (an edit is seen at the next poll, well within it). */
const KEEP_WINDOWS_MS = 60 * 60_000;

export class WorkflowGuard {
  private accepted: string | null = null;
  private held = false;
  /** When unconfined agents ran (end null: still running); an edit made inside one is suspect. */
  private windows: { start: number; end: number | null }[] = [];

  constructor(
    private readonly path: string,
    private readonly repoDir: string,
    private readonly now: () => number = Date.now,
  ) {}

  private read(): { text: Buffer; ctime: number } | null {
    try {
      return { text: readFileSync(this.path), ctime: statSync(this.path).ctimeMs };
    } catch {
      return null;
    }
  }

  /** Whatever the file holds now is the operator's (daemon start, `swarm resume`). */
  accept(): void {
    const f = this.read();
    this.accepted = f === null ? null : digest(f.text);
    this.held = false;
  }

  /** An agent process started (called once it is spawned: anything it writes comes after). */
  agentStarted(unconfined: boolean): void {
    if (unconfined) this.windows.push({ start: this.now(), end: null });
  }

  /** An agent process ended (called once its whole group is gone: anything it wrote came before). */
  agentEnded(unconfined: boolean): void {
    if (!unconfined) return;
    // Closing the oldest open window keeps the union of the windows exact, whichever agent ended.
    const open = this.windows.find((w) => w.end === null);
    if (open) open.end = this.now();
    const horizon = this.now() - KEEP_WINDOWS_MS;
    this.windows = this.windows.filter((w) => w.end === null || w.end >= horizon);
  }

  /**
   * Each poll, before the reload: null to reload as usual, else why the last good configuration stays.
   * An edit is suspect when the file last changed (its ctime, which no writer can set) while an
   * unconfined agent ran; it stays held until committed or accepted.
   */
  async check(): Promise<string | null> {
    const f = this.read();
    if (f === null) return null; // unreadable: the reload reports it
    const h = digest(f.text);
    if (h === this.accepted) {
      this.held = false;
      return null;
    }
    const during = this.windows.some((w) => f.ctime >= w.start && (w.end === null || f.ctime <= w.end));
    if ((this.held || during) && !(await this.committed(f.text))) {
      this.held = true;
      return `${this.path} changed while an unconfined agent (agent.sandbox: off) was running, so the change is not applied: the last good configuration stays in force until the change is committed or \`swarm resume\` accepts it`;
    }
    this.accepted = h;
    this.held = false;
    return null;
  }

  private async committed(text: Buffer): Promise<boolean> {
    const rel = relative(this.repoDir, this.path);
    if (rel.startsWith('..') || isAbsolute(rel)) return false;
    const head = await gitTry(gitAt(this.repoDir), ['show', `HEAD:./${rel}`]);
    return head !== null && head === text.toString('utf8').trim();
  }
}
