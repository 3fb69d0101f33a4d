// What a `swarm doctor` check is given, and the line it yields.
import type { Workflow } from '../config/types.js';

export interface CheckLine {
  ok: boolean;
  /** Passes, but something is missing the operator should know of (printed as a warning, not counted as failed). */
  warn?: boolean;
  name: string;
  detail: string;
  /** What to do about a failure (or a note on a pass). */
  fix?: string;
}

export interface DoctorContext {
  repoDir: string;
  wf: Workflow;
  env: Record<string, string | undefined>;
  fix: boolean;
  isRoot: boolean;
  /** Below this many free bytes under workspace.root the disk check fails (default 1 GiB). */
  minFreeBytes?: number;
  timeoutMs?: number;
}
