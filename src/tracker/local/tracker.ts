// Local ticket files (tracker.kind: local): one Markdown file per ticket under tracker.path, with YAML
// front matter {title, labels, state, priority, number, blocked_by}. No service, no token. show() edits
// the file's labels; the sticky status lives beside it in `.status/<key>.md`. Handoff is "commits on
// the ticket's branch" — there is no pull request (see BranchHandoff).
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { basename, join } from 'node:path';
import matter from 'gray-matter';
import type { Config } from '../../config/types.js';
import type { Appearance, CandidateList, CodeHost, Mark, PullRequest, Ticket, TicketComment, Tracker, TrustVerdict } from '../types.js';
import { TrackerError } from '../../errors.js';
import { labelPhase } from '../phase.js';

const refuse = () => {
  throw new Error('only YAML front matter is accepted in ticket files');
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const MATTER_OPTS: any = { engines: { js: refuse, javascript: refuse, coffee: refuse, cson: refuse } };

interface Parsed { data: Record<string, unknown>; content: string; mtime: number; }

export class LocalTracker implements Tracker {
  readonly kind = 'local' as const;
  private requests = 0;

  constructor(private readonly dir: string, private config: Config) {}

  setConfig(config: Config): void {
    this.config = config;
  }

  async candidates(): Promise<CandidateList> {
    this.requests++;
    if (!existsSync(this.dir)) return { tickets: [], unchanged: false };
    const all = readdirSync(this.dir).filter((f) => f.endsWith('.md')).map((f) => this.read(f.slice(0, -3))).filter((t): t is Ticket => t !== null);
    const open = new Set(all.filter((t) => t.open).map((t) => t.key));
    const need = this.config.tracker.labels.map((l) => l.toLowerCase());
    const tickets = all
      .filter((t) => t.open && need.every((l) => t.labels.some((x) => x.toLowerCase() === l)))
      .map((t) => ({ ...t, blockers: t.blockers.filter((b) => open.has(b)) }));
    return { tickets, unchanged: false };
  }

  async fetch(key: string): Promise<Ticket | null> {
    this.requests++;
    const t = this.read(key);
    if (!t) return null;
    const blockers = t.blockers.filter((b) => this.read(b)?.open === true);
    return { ...t, blockers };
  }

  async comments(): Promise<TicketComment[]> { return []; }
  async trust(): Promise<TrustVerdict> { return { trusted: true, reason: 'local ticket files are written by the repository owner' }; }

  async show(t: Ticket, appearance: Appearance): Promise<void> {
    const tr = this.config.tracker;
    const want: Record<Mark, string | null> = { running: tr.running_label, review: tr.review_label, failed: tr.failed_label, released: null, cleared: null };
    const wanted = want[appearance.mark];
    const owned = appearance.mark === 'released' ? [tr.running_label] : [tr.running_label, tr.review_label, tr.failed_label];
    // pr.needs_human_label while a human is needed; taken off again otherwise (a handed-off ticket's stays as a human left it).
    const human = this.config.pr.needs_human_label;
    const add = [...(wanted === null ? [] : [wanted]), ...(appearance.needsHuman ? [human] : [])];
    const drop = [...owned.filter((l) => l !== wanted), ...(!appearance.needsHuman && appearance.mark !== 'review' ? [human] : [])];
    this.editFile(t.key, add, drop, appearance.note);
    if (appearance.sticky !== null) this.writeSticky(t.key, appearance.note?.last_words ? `${appearance.sticky}\n\nThe agent's last words:\n\n${appearance.note.last_words}\n` : appearance.sticky);
  }
  rateLimit() { return { remaining: null, resetAt: null }; }
  requestCount(): number { return this.requests; }

  private file(key: string): string {
    if (!/^[A-Za-z0-9._-]+$/.test(key) || key.startsWith('.')) throw new TrackerError('not_found', `ticket file name "${key}" is not a plain file name`);
    return join(this.dir, `${key}.md`);
  }

  private parse(key: string): Parsed | null {
    let file: string;
    try {
      file = this.file(key);
    } catch {
      return null;
    }
    if (!existsSync(file)) return null;
    try {
      const text = readFileSync(file, 'utf8');
      if (/^---\s*(js|javascript|coffee|cson)\b/.test(text)) throw new Error('front matter must be YAML');
      const m = matter(text, MATTER_OPTS);
      return { data: (m.data ?? {}) as Record<string, unknown>, content: m.content, mtime: statSync(file).mtimeMs };
    } catch (err) {
      throw new TrackerError('config', `${file}: ${(err as Error).message.split('\n')[0]}`);
    }
  }

  private read(key: string): Ticket | null {
    const p = this.parse(key);
    if (!p) return null;
    const d = p.data;
    const state = typeof d.state === 'string' ? d.state.toLowerCase() : 'open';
    const labels = Array.isArray(d.labels) ? d.labels.map(String) : typeof d.labels === 'string' ? d.labels.split(',').map((s) => s.trim()).filter(Boolean) : [];
    const created = d.created_at ? String(d.created_at) : new Date(statSync(this.file(key)).birthtimeMs || p.mtime).toISOString();
    const blockedBy = Array.isArray(d.blocked_by) ? d.blocked_by.map(String) : typeof d.blocked_by === 'string' ? [d.blocked_by] : [];
    return {
      key,
      id: this.file(key),
      identifier: key,
      number: typeof d.number === 'number' && Number.isInteger(d.number) ? d.number : 0,
      title: typeof d.title === 'string' ? d.title : key,
      body: p.content.trim(),
      url: this.file(key),
      labels,
      priority: priorityOf(d.priority),
      state,
      open: state === 'open',
      phase: labelPhase({ open: state === 'open', labels }, this.config.tracker),
      created_at: created,
      updated_at: new Date(p.mtime).toISOString(),
      blockers: blockedBy,
      branch_hint: null,
    };
  }

  /**
   * swarm's marks in the ticket's front matter: its labels, and a `swarm:` mapping saying where the ticket
   * stands and, after a failed or empty attempt, the agent's own last words (gone once there are none).
   */
  private editFile(key: string, add: string[], remove: string[], note: Appearance['note']): void {
    const p = this.parse(key);
    if (!p) throw new TrackerError('not_found', `ticket file ${key}.md no longer exists in ${this.dir}`);
    const current = Array.isArray(p.data.labels) ? p.data.labels.map(String) : [];
    const drop = new Set(remove.map((l) => l.toLowerCase()));
    const next = current.filter((l) => !drop.has(l.toLowerCase()));
    for (const l of add) if (!next.some((x) => x.toLowerCase() === l.toLowerCase())) next.push(l);
    const { swarm: oldNote, ...data } = p.data;
    const newNote = note ? { status: note.status, ...(note.last_words ? { last_words: note.last_words } : {}) } : undefined;
    const sameLabels = next.length === current.length && next.every((l, i) => l === current[i]);
    if (sameLabels && JSON.stringify(oldNote) === JSON.stringify(newNote)) return; // already so
    const file = this.file(key);
    // The operator's own file: replaced whole, keeping the mode it had.
    writeFileAtomic(file, matter.stringify(p.content, { ...data, labels: next, ...(newNote ? { swarm: newNote } : {}) }), { mode: statSync(file).mode & 0o7777 });
  }

  private writeSticky(key: string, sticky: string): void {
    const dir = join(this.dir, '.status');
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(join(dir, `${basename(this.file(key))}`), sticky);
  }
}

function priorityOf(v: unknown): number {
  if (typeof v === 'number' && v >= 0 && v <= 4) return Math.floor(v);
  const s = String(v ?? '').toLowerCase();
  const m = /^p([0-3])$/.exec(s);
  if (m) return Number(m[1]);
  return ({ urgent: 0, critical: 0, high: 1, medium: 2, low: 3 } as Record<string, number>)[s] ?? 4;
}

/** No code host: the handoff is the branch itself (pushed to origin when there is one). */
export class BranchHandoff implements CodeHost {
  readonly kind = 'none' as const;
  constructor(private readonly push: (branch: string) => Promise<boolean>) {}
  async findPullRequest(): Promise<PullRequest | null> { return null; }
  async openPullRequest(req: { branch: string }): Promise<PullRequest> {
    const pushed = await this.push(req.branch);
    return { number: 0, url: pushed ? `branch ${req.branch} (pushed to origin)` : `branch ${req.branch}`, state: 'open', branch: req.branch };
  }
}
