// The last good WORKFLOW.md: the daemon keeps a copy (`.swarm/workflow.last-good.md`) of every version it
// loaded successfully, so `swarm explain` and `swarm doctor` keep working — against the configuration
// actually in force — while an edit has broken the file (the daemon itself keeps running on it too).
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Workflow } from './types.js';
import type { Env } from './fields.js';
import { loadWorkflow, parseWorkflow } from './workflow.js';
import { ConfigError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';

export function lastGoodFile(swarmDir: string): string {
  return join(swarmDir, 'workflow.last-good.md');
}

/** Keep a copy of a workflow that loaded without error (written only when its text changed). */
export function saveLastGood(swarmDir: string, wf: Workflow): void {
  if (wf.source === undefined) return;
  const file = lastGoodFile(swarmDir);
  try {
    if (existsSync(file) && readFileSync(file, 'utf8') === wf.source) return;
    mkdirSync(swarmDir, { recursive: true });
    writeFileAtomic(file, wf.source);
  } catch {
    // a cache for the commands: losing it only loses the fallback
  }
}

export interface Loaded {
  workflow: Workflow;
  /** Why WORKFLOW.md itself could not be used (the last good copy was loaded instead); null when it loaded. */
  broken: string | null;
  /** When the last good copy was saved (ISO), when it was used. */
  savedAt: string | null;
}

/** WORKFLOW.md, or — when it is broken and the daemon saved one — its last good copy; throws when neither loads. */
export function loadWorkflowOrLastGood(path: string, env: Env, paths: { dir: string }): Loaded {
  try {
    return { workflow: loadWorkflow(path, env), broken: null, savedAt: null };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const copy = lastGoodFile(paths.dir);
    if (!existsSync(copy)) throw err;
    try {
      const workflow = parseWorkflow(readFileSync(copy, 'utf8'), `${path} (last good copy in ${copy})`, env);
      return { workflow, broken: err.message, savedAt: statSync(copy).mtime.toISOString() };
    } catch {
      throw err; // the copy no longer loads either (an environment variable gone): the file's own error
    }
  }
}
