// WORKFLOW.md is re-read every poll, so an agent that could write it could give every later agent a new
// hook, its tokens, or trust in strangers. Who wrote an edit: with the sandbox on, no agent can write the
// operator's checkout at all (and agent.sandbox.filesystem.allow_write may not cover it), so every edit is
// the operator's. An agent running unconfined (agent.sandbox: off) could, so an edit swarm first sees
// while — or right after — such an agent ran is held: the last good configuration stays in force, and
// status says so, until the change is committed (HEAD holds exactly this text) or the operator runs
// `swarm resume`. Timing decides, not the file's mtime (which the agent could set).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { gitAt, gitTry } from '../workspace/git.js';

const digest = (text: Buffer) => createHash('sha256').update(text).digest('hex');

export class WorkflowGuard {
  private accepted: string | null = null;
  private held = false;
  /** Unconfined agents running now. */
  private unconfined = 0;
  /** An unconfined agent ran since the file was last seen as accepted. */
  private dirty = false;

  constructor(
    private readonly path: string,
    private readonly repoDir: string,
  ) {}

  private read(): Buffer | null {
    try {
      return readFileSync(this.path);
    } catch {
      return null;
    }
  }

  /** Whatever the file holds now is the operator's (daemon start, `swarm resume`). */
  accept(): void {
    const text = this.read();
    this.accepted = text === null ? null : digest(text);
    this.held = false;
    this.dirty = this.unconfined > 0;
  }

  agentStarted(unconfined: boolean): void {
    if (!unconfined) return;
    this.unconfined++;
    this.dirty = true;
  }

  agentEnded(unconfined: boolean): void {
    if (unconfined) this.unconfined = Math.max(0, this.unconfined - 1);
  }

  /** Each poll, before the reload: null to reload as usual, else why the last good configuration stays. */
  async check(): Promise<string | null> {
    const text = this.read();
    if (text === null) return null; // unreadable: the reload reports it
    const h = digest(text);
    if (h === this.accepted) {
      this.held = false;
      this.dirty = this.unconfined > 0;
      return null;
    }
    if ((this.held || this.dirty) && !(await this.committed(text))) {
      this.held = true;
      return `${this.path} changed while an unconfined agent (agent.sandbox: off) was running, so the change is not applied: the last good configuration stays in force until the change is committed or \`swarm resume\` accepts it`;
    }
    this.accepted = h;
    this.held = false;
    this.dirty = this.unconfined > 0;
    return null;
  }

  private async committed(text: Buffer): Promise<boolean> {
    const rel = relative(this.repoDir, this.path);
    if (rel.startsWith('..') || isAbsolute(rel)) return false;
    const head = await gitTry(gitAt(this.repoDir), ['show', `HEAD:./${rel}`]);
    return head !== null && head === text.toString('utf8').trim();
  }
}
