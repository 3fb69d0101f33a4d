// The fake GitHub's Actions API: workflow runs of a commit and their jobs, for clients that read CI through
// Actions instead of the Checks API (a fine-grained token has no Checks permission). Shapes from the REST
// description (schemas workflow-run and job; actions/list-workflow-runs-for-repo with `head_sha`,
// actions/list-jobs-for-workflow-run whose `filter` defaults to `latest`). Actions makes one check run per
// job, and the job and its check run share one id (GitHub docs, contexts: `job.check_run_id`; observed in
// zerocracy/judges-action#2204): each job here is added as a github-actions check run of FakeChecks, so the
// Checks API, the job-logs redirect and this API all show the same job.

import type { FakeGitHubState } from './fake-github-state.js';
import type { CheckConclusion, CheckStatus, FakeChecks } from './fake-github-checks.js';

export interface FakeJobInput {
  name: string;
  status?: CheckStatus;
  conclusion?: CheckConclusion | null;
  log?: string;
  /** Steps (name and conclusion), as the job shows them. */
  steps?: { name: string; conclusion: CheckConclusion | null }[];
}

export interface FakeWorkflowRun {
  id: number;
  sha: string;
  name: string;
  workflowId: number;
  event: string;
  status: CheckStatus;
  conclusion: CheckConclusion | null;
  /** Check-run ids of its jobs (= job ids). */
  jobs: number[];
  steps: Map<number, { name: string; conclusion: CheckConclusion | null }[]>;
  created_at: string;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
type Paged = (all: unknown[]) => Reply;

const notFound = (): Reply => ({ status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } });
/** What makes a workflow run fail, from its jobs (a cancelled job fails the run too). */
const BAD = new Set<string>(['failure', 'timed_out', 'cancelled', 'startup_failure']);

export class FakeActions {
  readonly runs: FakeWorkflowRun[] = [];
  private nextId = 70_000_000;

  constructor(private readonly s: FakeGitHubState, private readonly checks: FakeChecks) {}

  /** A workflow run on `sha` with its jobs; its status and conclusion follow from the jobs unless given. */
  addRun(sha: string, input: { name: string; event?: string; workflowId?: number; status?: CheckStatus; conclusion?: CheckConclusion | null; jobs?: FakeJobInput[] }): FakeWorkflowRun {
    const id = this.nextId++;
    const run: FakeWorkflowRun = {
      id, sha, name: input.name, workflowId: input.workflowId ?? hash(input.name), event: input.event ?? 'pull_request',
      status: 'completed', conclusion: null, jobs: [], steps: new Map(), created_at: this.s.tick(),
    };
    for (const j of input.jobs ?? []) {
      const cr = this.checks.addCheckRun(sha, { name: j.name, status: j.status, conclusion: j.conclusion, log: j.log, app: 'github-actions', runId: id });
      run.jobs.push(cr.id);
      run.steps.set(cr.id, j.steps ?? []);
    }
    const jobs = run.jobs.map((jid) => this.checks.runs.find((r) => r.id === jid)!);
    run.status = input.status ?? (jobs.some((j) => j.status !== 'completed') ? 'in_progress' : 'completed');
    run.conclusion = run.status !== 'completed' ? null
      : input.conclusion !== undefined ? input.conclusion
        : jobs.some((j) => j.conclusion !== null && BAD.has(j.conclusion)) ? 'failure' : 'success';
    this.runs.push(run);
    return run;
  }

  runJson(r: FakeWorkflowRun) {
    const api = `${this.s.apiBase}/repos/${this.s.fullName}`;
    return {
      id: r.id, name: r.name, node_id: `WFR_${r.id}`, head_branch: null, head_sha: r.sha, path: `.github/workflows/${r.name.toLowerCase().replace(/\W+/g, '-')}.yml`,
      display_title: r.name, run_number: r.id % 1000, event: r.event, status: r.status, conclusion: r.conclusion, workflow_id: r.workflowId,
      url: `${api}/actions/runs/${r.id}`, html_url: `https://github.com/${this.s.fullName}/actions/runs/${r.id}`, jobs_url: `${api}/actions/runs/${r.id}/jobs`,
      logs_url: `${api}/actions/runs/${r.id}/logs`, check_suite_url: `${api}/check-suites/${r.id + 1}`, created_at: r.created_at, updated_at: r.created_at,
      run_attempt: 1, pull_requests: [], repository: { id: this.s.repoId, name: this.s.repo, full_name: this.s.fullName },
    };
  }

  jobJson(run: FakeWorkflowRun, jobId: number) {
    const cr = this.checks.runs.find((r) => r.id === jobId)!;
    const api = `${this.s.apiBase}/repos/${this.s.fullName}`;
    const steps = (run.steps.get(jobId) ?? []).map((st, i) => ({ name: st.name, status: 'completed', conclusion: st.conclusion, number: i + 1, started_at: cr.started_at, completed_at: cr.completed_at }));
    return {
      id: cr.id, run_id: run.id, run_url: `${api}/actions/runs/${run.id}`, node_id: `CR_${cr.id}`, head_sha: run.sha, url: `${api}/actions/jobs/${cr.id}`,
      html_url: `https://github.com/${this.s.fullName}/actions/runs/${run.id}/job/${cr.id}`, status: cr.status, conclusion: cr.conclusion,
      started_at: cr.started_at, completed_at: cr.completed_at, name: cr.name, steps, check_run_url: `${api}/check-runs/${cr.id}`,
      labels: ['ubuntu-latest'], runner_id: null, runner_name: null, workflow_name: run.name, head_branch: null,
    };
  }

  /** The Actions routes this fake serves, or null. */
  route(method: string, pathname: string, query: URLSearchParams, paged: Paged): Reply | null {
    if (method !== 'GET') return null;
    const rest = /^\/repos\/[^/]+\/[^/]+(\/actions\/.*)$/.exec(pathname)?.[1];
    if (rest === undefined) return null;
    let m: RegExpExecArray | null;
    if (rest === '/actions/runs') {
      let list = [...this.runs];
      const sha = query.get('head_sha');
      if (sha !== null) list = list.filter((r) => r.sha === sha);
      const status = query.get('status');
      if (status !== null) list = list.filter((r) => r.status === status || r.conclusion === status);
      list.reverse(); // newest first
      const page = paged(list.map((r) => this.runJson(r)));
      return { ...page, body: { total_count: list.length, workflow_runs: page.body } };
    }
    if ((m = /^\/actions\/runs\/(\d+)$/.exec(rest))) {
      const run = this.runs.find((r) => r.id === Number(m![1]));
      return run ? { status: 200, body: this.runJson(run) } : notFound();
    }
    if ((m = /^\/actions\/runs\/(\d+)\/jobs$/.exec(rest))) {
      const run = this.runs.find((r) => r.id === Number(m![1]));
      if (!run) return notFound();
      const page = paged(run.jobs.map((id) => this.jobJson(run, id)));
      return { ...page, body: { total_count: run.jobs.length, jobs: page.body } };
    }
    if ((m = /^\/actions\/jobs\/(\d+)$/.exec(rest))) {
      const id = Number(m[1]);
      const run = this.runs.find((r) => r.jobs.includes(id));
      return run ? { status: 200, body: this.jobJson(run, id) } : notFound();
    }
    return null;
  }
}

function hash(s: string): number {
  let h = 7;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) % 1_000_000;
  return h + 1;
}
