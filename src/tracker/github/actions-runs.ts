// GitHub Actions CI through the Actions API, for a token that cannot read check runs. Fine-grained personal
// access tokens have no Checks permission, so `GET …/commits/{sha}/check-runs` answers them 403 on a private
// repository (GitHub community discussion #179545; sortie-ai/sortie#765); the Actions API needs only
// Actions: read:
//   GET /repos/{o}/{r}/actions/runs?head_sha={sha}        the workflow runs of the head commit
//   GET /repos/{o}/{r}/actions/runs/{run_id}/jobs         the jobs of a finished run that did not pass
// (REST description: actions/list-workflow-runs-for-repo, actions/list-jobs-for-workflow-run — `filter`
// defaults to `latest`, the jobs of the latest attempt). A failing job becomes a check of its own (source
// `actions_job`, named like the check run Actions makes for it, its id the job id whose log watch-logs.ts
// reads); a run still going, or one that passed, is one check per run; a failed run without jobs (a broken
// workflow file: `startup_failure`) is the run itself (`actions_run`). Pure mapping plus the two reads.

import type { PrCheck } from '../pr-watch.js';
import { isObj, str, strOrNull, type Obj as Json } from '../../util/json.js';


/** Lists every page of a route (the watcher's conditional reads, counted); `pick` takes the array out of a page. */
export type Lister = (what: string, route: string, params: Record<string, unknown>, pick: (data: unknown) => unknown[] | null) => Promise<unknown[]>;

interface Run {
  id: number;
  name: string;
  status: string;
  conclusion: string | null;
  key: string;
  html_url: string | null;
}

function parseRun(r: unknown): Run | null {
  if (!isObj(r) || typeof r.id !== 'number') return null;
  return {
    id: r.id, name: str(r.name) || str(r.display_title) || `workflow run ${r.id}`, status: str(r.status), conclusion: strOrNull(r.conclusion),
    // One run per workflow and triggering event: a newer run of the same workflow replaces an older one.
    key: `${typeof r.workflow_id === 'number' ? r.workflow_id : str(r.path)}\n${str(r.event)}`, html_url: strOrNull(r.html_url),
  };
}

/** The check runs Actions would have shown, rebuilt from the head commit's workflow runs and their jobs. */
export async function actionsChecks(list: Lister, sha: string): Promise<PrCheck[]> {
  const raw = await list('reading GitHub Actions runs', 'GET /repos/{owner}/{repo}/actions/runs', { head_sha: sha },
    (d) => (isObj(d) && Array.isArray(d.workflow_runs) ? d.workflow_runs : null));
  const newest = new Map<string, Run>();
  for (const r of raw.map(parseRun)) {
    if (r === null) continue;
    const seen = newest.get(r.key);
    if (!seen || seen.id < r.id) newest.set(r.key, r);
  }
  const out: PrCheck[] = [];
  for (const run of [...newest.values()].sort((a, b) => a.id - b.id)) {
    const done = run.status === 'completed';
    if (!done || run.conclusion === 'success' || run.conclusion === 'skipped' || run.conclusion === 'neutral') {
      out.push(runCheck(run, done ? run.conclusion : null));
      continue;
    }
    const jobs = await list(`reading the jobs of workflow run ${run.id}`, 'GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs', { run_id: run.id },
      (d) => (isObj(d) && Array.isArray(d.jobs) ? d.jobs : null));
    const checks = jobs.map((j) => jobCheck(j, run)).filter((c): c is PrCheck => c !== null);
    out.push(...(checks.length > 0 ? checks : [runCheck(run, run.conclusion)]));
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id));
}

function runCheck(run: Run, conclusion: string | null): PrCheck {
  return {
    id: run.id, name: run.name, status: conclusion === null ? (run.status || 'in_progress') : 'completed', conclusion,
    summary: conclusion === null ? '' : `workflow ${run.name}: ${conclusion}`, app: 'github-actions', details_url: run.html_url, source: 'actions_run',
  };
}

function jobCheck(j: unknown, run: Run): PrCheck | null {
  if (!isObj(j) || typeof j.id !== 'number') return null;
  const status = str(j.status);
  const conclusion = status === 'completed' ? strOrNull(j.conclusion) : null;
  const failedSteps = Array.isArray(j.steps)
    ? j.steps.filter((s) => isObj(s) && (s.conclusion === 'failure' || s.conclusion === 'timed_out')).map((s) => str((s as Json).name)).filter(Boolean)
    : [];
  const summary = conclusion === null ? '' : `workflow ${run.name}, job ${str(j.name)}: ${conclusion}${failedSteps.length > 0 ? ` (failed step: ${failedSteps.join(', ')})` : ''}`;
  return { id: j.id, name: str(j.name), status, conclusion, summary, app: 'github-actions', details_url: strOrNull(j.html_url), source: 'actions_job' };
}
