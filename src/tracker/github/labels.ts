// Issue labels on GitHub: adding one (idempotent on GitHub's side), removing one (a 404 means it was not
// there: done), and creating the repository labels swarm uses (`doctor --fix`; 422: created meanwhile).
import type { GitHubClient } from './client.js';
import { statusOf } from './errors.js';
import type { Ticket } from '../types.js';
import type { TrackerError } from '../../errors.js';

const PAGE = 100;

export class GitHubLabels {
  constructor(
    private readonly gh: GitHubClient,
    private readonly repo: { owner: string; repo: string },
    private readonly mapError: (err: unknown, what: string, repoLevel?: boolean) => TrackerError,
  ) {}

  async add(ticket: Ticket, label: string): Promise<void> {
    try {
      await this.gh.request('POST /repos/{owner}/{repo}/issues/{issue_number}/labels', { ...this.repo, issue_number: ticket.number, labels: [label] });
    } catch (err) {
      throw this.mapError(err, `adding label ${label} to ${ticket.identifier}`);
    }
  }

  async remove(ticket: Ticket, label: string): Promise<void> {
    try {
      await this.gh.request('DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}', { ...this.repo, issue_number: ticket.number, name: label });
    } catch (err) {
      if (statusOf(err) !== 404) throw this.mapError(err, `removing label ${label} from ${ticket.identifier}`); // 404: absent, done
    }
  }

  /** Create the repository labels that are missing; returns the names created. */
  async ensure(names: readonly string[]): Promise<string[]> {
    let existing: { name?: unknown }[];
    try {
      existing = await this.gh.paginate('GET /repos/{owner}/{repo}/labels', { ...this.repo, per_page: PAGE });
    } catch (err) {
      throw this.mapError(err, 'listing labels', true);
    }
    const have = new Set(existing.map((l) => String(l.name).toLowerCase()));
    const created: string[] = [];
    for (const name of names) {
      if (have.has(name.toLowerCase())) continue;
      try {
        await this.gh.request('POST /repos/{owner}/{repo}/labels', { ...this.repo, name, color: labelColor(name) });
        created.push(name);
        have.add(name.toLowerCase());
      } catch (err) {
        if (statusOf(err) !== 422) throw this.mapError(err, `creating label ${name}`); // 422: created meanwhile
      }
    }
    return created;
  }
}

function labelColor(name: string): string {
  if (/running/i.test(name)) return 'fbca04';
  if (/review/i.test(name)) return '0e8a16';
  if (/fail/i.test(name)) return 'd93f0b';
  if (/human/i.test(name)) return 'e99695';
  return '5319e7';
}
