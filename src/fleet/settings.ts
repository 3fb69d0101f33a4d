// Is this clone in fleet mode, and on which database and scope? Asked by the commands that act without a
// daemon running here (fleet controls, `swarm state migrate`). An embedded-mode clone costs one look at the
// front matter: the whole WORKFLOW.md (credentials, `$ENV` values, the template) is validated only when it
// names a state.url, so an embedded `swarm pause` never fails on a variable only the daemon's shell sets.
import { readFileSync } from 'node:fs';
import matter from 'gray-matter';
import type { Workflow } from '../config/types.js';
import { loadWorkflow } from '../config/workflow.js';
import { scopeForClone } from './scope.js';

export interface CloneFleet {
  /** state.url, `$ENV` already resolved. */
  url: string;
  workflow: Workflow;
  scope: string;
}

/** The clone's fleet settings, or null when WORKFLOW.md does not exist or sets no state.url. */
export async function cloneFleet(repoDir: string, workflowPath: string, env: Record<string, string | undefined>): Promise<CloneFleet | null> {
  const named = namesStateUrl(workflowPath);
  if (named === false) return null;
  // Named (or the front matter is broken: then loadWorkflow throws the one clear error it always gives).
  const workflow = loadWorkflow(workflowPath, env);
  const url = workflow.config.state.url;
  if (url === null) return null;
  return { url, workflow, scope: await scopeForClone(workflow.config, repoDir, workflow.path) };
}

/** true: the front matter sets state.url; false: it does not (or there is no file); null: it cannot be read. */
export function namesStateUrl(file: string): boolean | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? false : null;
  }
  try {
    const refuse = (): never => {
      throw new Error('code front matter');
    };
    const data = matter(text.replace(/^\uFEFF/, ''), { engines: { js: refuse, javascript: refuse, coffee: refuse, coffeescript: refuse, cson: refuse } }).data as { state?: { url?: unknown } } | null;
    const url = data?.state?.url;
    return url !== undefined && url !== null && url !== '';
  } catch {
    return null;
  }
}
