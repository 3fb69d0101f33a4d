// The embedded state store: `.swarm/state.json`, validated on load, written through writeFileAtomic (every
// byte, fsync, read back, rename, folder fsync) so a kill -9 or a full disk at any instant leaves either the
// old or the new file, never half of one (a full disk throws DiskFullError with the old file kept).
// A corrupt file is moved aside and reported — never silently reset.
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import { STATE_VERSION, type SwarmState } from '../core/types.js';
import { validateState } from './validate.js';
import { redactDeep } from '../util/secrets.js';
import { emptyDaily } from '../core/records.js';

export interface LoadResult {
  state: SwarmState;
  /** Set when the file existed but could not be used; the bad file was moved to `movedTo`. */
  problem: { message: string; movedTo: string } | null;
}

export function emptyState(now: number): SwarmState {
  return {
    version: STATE_VERSION,
    tickets: {},
    pause: null,
    canary: false,
    breaker: { recent: [], consecutive: 0, level: 0 },
    daily: emptyDaily(now),
  };
}

export interface FileStoreOptions {
  /** Secret masking for every text field, applied in place before each write (reasons and summaries may
   *  quote agent output or error text), so memory, disk and anything served from either agree. */
  redact?: (text: string) => string;
}

export class FileStateStore {
  constructor(
    readonly file: string,
    private readonly now: () => number = Date.now,
    private readonly opts: FileStoreOptions = {},
  ) {}

  load(): LoadResult {
    if (!existsSync(this.file)) return { state: emptyState(this.now()), problem: null };
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      return this.moveAside(`cannot read it (${(err as Error).message})`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return this.moveAside(text.trim() === '' ? 'it is empty' : 'it is not valid JSON (truncated?)');
    }
    const checked = validateState(raw, this.now());
    if (!checked.ok) return this.moveAside(checked.error);
    return { state: checked.state, problem: null };
  }

  /** Only reads; never moves anything (for `swarm status` while a daemon owns the file). */
  peek(): SwarmState | null {
    try {
      const checked = validateState(JSON.parse(readFileSync(this.file, 'utf8')), this.now());
      return checked.ok ? checked.state : null;
    } catch {
      return null;
    }
  }

  save(state: SwarmState, _change?: unknown): void {
    if (this.opts.redact) redactDeep(state, this.opts.redact);
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    writeFileAtomic(this.file, JSON.stringify(state));
  }

  private moveAside(why: string): LoadResult {
    const stamp = new Date(this.now()).toISOString().replace(/[:.]/g, '-');
    const movedTo = `${this.file}.corrupt-${stamp}`;
    renameSync(this.file, movedTo);
    return {
      state: emptyState(this.now()),
      problem: { message: `${this.file} could not be used: ${why}; moved it to ${movedTo} and started again from the tracker and the events log`, movedTo },
    };
  }
}
