// The log excerpt of one failing check (PR follow-through), fetched only for a failure that will be acted on.
//
// GitHub Actions check runs: the job's log. `GET /repos/{o}/{r}/actions/jobs/{job_id}/logs` "Gets a redirect
// URL to download a plain text file of logs for a workflow job. This link expires after 1 minute. Look for
// `Location:` in the response header" (REST description, actions/download-job-logs-for-workflow-run). The
// client never follows redirects, so the 302 arrives as a RedirectError; its Location is a pre-signed URL on
// another host, fetched here WITHOUT the Authorization header (the token must never leave for it).
//
// For Actions a check run and its job are one object with one id: the REST description's workflow-job
// schema gives a job `node_id` "MDg6Q2hlY2tSdW40", which is base64 for "08:CheckRun4", and the check run's
// own html_url; Actions exposes the id to a job as `job.check_run_id` ("The check run ID of the current
// job", GitHub docs, contexts; github/docs#40669); and every github-actions check run checked on live GitHub
// resolved through /actions/jobs/{id} to a job of the same id whose check_run_url ends in it
// (zerocracy/judges-action#2204). The job id in an Actions details_url (…/actions/runs/{run}/job/{id}) is
// used when present, else the check run id.
//
// Other apps' check runs, or an Actions log that is gone (logs expire; 404/410) or not readable (403): the
// check run's `output.text`, else `output.summary` (`GET …/check-runs/{id}`). Commit statuses have no log:
// their description. A job read through the Actions API (a token without Checks: actions-runs.ts) has its
// log under its own id; a workflow run without jobs has only its summary. Every path is cut the same way
// (log-excerpt.ts); none throws.

import { RedirectError, type GitHubClient } from './client.js';
import { downloadTail, excerpt } from './log-excerpt.js';
import type { PrCheck } from '../pr-watch.js';
import { isObj, str, type Obj as Json } from '../../util/json.js';


/** The Actions job id of a check run: from its details_url when it names one, else the check run id. */
export function actionsJobId(check: Pick<PrCheck, 'id' | 'details_url'>): number {
  const m = /\/actions\/runs\/\d+\/job\/(\d+)(?:[/?#]|$)/.exec(check.details_url ?? '');
  return m ? Number(m[1]) : check.id;
}

export async function fetchCheckExcerpt(
  gh: GitHubClient,
  repo: { owner: string; repo: string },
  check: PrCheck,
  maxBytes: number,
  opts: { fetch?: typeof fetch; logTimeoutMs?: number } = {},
): Promise<string> {
  const max = Number.isFinite(maxBytes) ? Math.max(0, Math.floor(maxBytes)) : 0;
  if (check.source === 'status' || check.source === 'actions_run') return excerpt(check.summary, max);
  if (check.source === 'actions_job') {
    const log = await actionsLog(gh, repo, check.id, max, opts);
    return log !== null && log !== '' ? log : excerpt(check.summary, max);
  }
  if (check.app === 'github-actions') {
    const log = await actionsLog(gh, repo, actionsJobId(check), max, opts);
    if (log !== null && log !== '') return log;
  }
  const output = await checkRunOutput(gh, repo, check.id);
  return excerpt(output !== null && output !== '' ? output : check.summary, max);
}

async function actionsLog(gh: GitHubClient, repo: { owner: string; repo: string }, jobId: number, max: number, opts: { fetch?: typeof fetch; logTimeoutMs?: number }): Promise<string | null> {
  try {
    const res = await gh.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs', { ...repo, job_id: jobId });
    // Not a redirect (not what GitHub does, but a server may hand the text over directly).
    return typeof res.data === 'string' ? excerpt(res.data, max) : null;
  } catch (err) {
    if (!(err instanceof RedirectError)) return null; // 404/410 gone, 403 not readable, …: fall back
    const location = err.response.headers.location;
    if (typeof location !== 'string' || location === '') return null;
    let url: URL;
    try {
      url = new URL(location, err.response.url || undefined);
    } catch {
      return null;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
    return downloadTail(url.href, max, { fetch: opts.fetch, timeoutMs: opts.logTimeoutMs });
  }
}

async function checkRunOutput(gh: GitHubClient, repo: { owner: string; repo: string }, id: number): Promise<string | null> {
  try {
    const res = await gh.request('GET /repos/{owner}/{repo}/check-runs/{check_run_id}', { ...repo, check_run_id: id });
    const out: Json = isObj(res.data) && isObj(res.data.output) ? res.data.output : {};
    return str(out.text) || str(out.summary) || str(out.title);
  } catch {
    return null;
  }
}
