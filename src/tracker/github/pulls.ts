// Pull requests on GitHub: the one for a branch, and opening one without ever opening two. Opening is the
// only write in swarm that GitHub cannot deduplicate for us by name alone while it is in flight: a POST
// that timed out or got a 5xx may have landed. So the POST is sent once (never retried blindly by the
// retry plugin), and after an ambiguous failure the branch's PR is looked up before anything else happens.
import type { GitHubClient } from './client.js';
import { isAmbiguous, statusOf } from './errors.js';
import { choosePull, parsePull } from './map.js';
import type { OpenPullRequest, PullRequest } from '../types.js';
import type { TrackerError } from '../../errors.js';

const PAGE = 100;

export class GitHubPulls {
  constructor(
    private readonly gh: GitHubClient,
    private readonly repo: { owner: string; repo: string },
    private readonly mapError: (err: unknown, what: string) => TrackerError,
  ) {}

  /** The PR whose head is `branch` in this repository (open preferred, else the newest), or null. */
  async find(branch: string): Promise<PullRequest | null> {
    let res;
    try {
      // `owner:branch`: without the owner GitHub ignores the head filter and lists every PR.
      res = await this.gh.request('GET /repos/{owner}/{repo}/pulls', { ...this.repo, head: `${this.repo.owner}:${branch}`, state: 'all', per_page: PAGE });
    } catch (err) {
      throw this.mapError(err, 'looking up pull requests');
    }
    const list = Array.isArray(res.data) ? (res.data as unknown[]).map(parsePull) : [];
    return choosePull(list.filter((p) => p.branch === branch));
  }

  async open(req: OpenPullRequest): Promise<PullRequest> {
    const post = (draft: boolean) =>
      this.gh.request('POST /repos/{owner}/{repo}/pulls', {
        ...this.repo, head: req.branch, base: req.base, title: req.title, body: req.body, draft,
        request: { retries: 0 }, // not idempotent: never re-sent by the retry plugin
      });
    try {
      const res = await post(req.draft).catch(async (err: unknown) => {
        // Draft PRs are unavailable on some plans: open a normal one rather than none.
        if (req.draft && statusOf(err) === 422 && /draft/i.test(String((err as Error).message))) return post(false);
        throw err;
      });
      const pr = parsePull(res.data);
      return { number: pr.number, url: pr.url, state: pr.state, branch: pr.branch || req.branch };
    } catch (err) {
      // It may exist after all: opened by the agent meanwhile (422), or by our own POST whose answer was
      // lost (timeout, 5xx). Either way the branch's PR is the answer; only if there is none, fail.
      if ((statusOf(err) === 422 && /already exists/i.test(String((err as Error).message))) || isAmbiguous(err)) {
        const existing = await this.find(req.branch);
        if (existing && existing.state === 'open') return existing;
      }
      throw this.mapError(err, 'opening a pull request');
    }
  }
}
