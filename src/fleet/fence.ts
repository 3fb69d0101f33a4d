// The fence before every irreversible external write for a ticket — a git push, a PR opened, a tracker
// write (labels, the sticky comment, a state, a PR link). In fleet mode a daemon may have been frozen
// (SIGSTOP, a hung disk) or cut off past its lease while another daemon took the ticket over; whatever it
// believed a moment ago, it confirms with the database, in one round trip, that it still holds the lease
// (renewing it, so the write that follows has the whole ttl) before anything leaves the machine. The
// embedded store has no one to share with: its fence always says held.
//
// It sits at the write boundary: the tracker and the code host are wrapped (like redacting.ts wraps them),
// so no call site can forget it, and a method the wrapper does not know is refused rather than let through
// unfenced. `git push` is not a tracker call: its callers confirm explicitly (confirmFence) first.
import type { CodeHost, Tracker } from '../tracker/types.js';
import type { GitHubTracker } from '../tracker/github/tracker.js';
import type { LinearTracker } from '../tracker/linear/tracker.js';
import type { BranchHandoff, LocalTracker } from '../tracker/local/tracker.js';
import type { MergeHost } from '../tracker/merge-host.js';
import type { GitHubMerges } from '../tracker/github/merges.js';
import { SwarmError } from '../errors.js';

/** held: still ours (renewed); lost: another daemon holds it, or nobody does; unreachable: no answer. */
export type FenceVerdict = 'held' | 'lost' | 'unreachable';

export interface Fence {
  /**
   * One round trip: does this daemon still hold `key`? (Fleet: also renews the lease for a full ttl; a
   * refusal is logged with `what` would have been sent, and a lost lease stops the ticket's agent.)
   */
  check(key: string, what: string): Promise<FenceVerdict>;
  /** The ticket a branch belongs to (a PR is opened by branch); null when no ticket has it (refused). */
  keyOfBranch(branch: string): string | null;
}

/** The embedded store's fence: one daemon, every ticket its own. */
export const NO_FENCE: Fence = {
  check: async () => 'held',
  keyOfBranch: (branch) => branch,
};

/** A write refused at the fence: nothing was sent. */
export class FenceError extends SwarmError {
  constructor(readonly key: string, readonly what: string, readonly verdict: Exclude<FenceVerdict, 'held'>) {
    super(
      'EFENCE',
      verdict === 'lost'
        ? `${what} for ${key} not sent: this daemon no longer holds the ticket's lease (another daemon may have taken it over)`
        : `${what} for ${key} not sent yet: the fleet database cannot confirm this daemon's lease (it waits until the database answers)`,
    );
  }
}

export interface ConfirmOptions {
  /** While the database is unreachable, ask again every `everyMs` until it answers, instead of failing. */
  wait?: { signal: AbortSignal; everyMs?: number; onWait?: () => void };
}

/** Pass the fence or throw FenceError; with `wait`, publication waits for the database to be back. */
export async function confirmFence(fence: Fence, key: string, what: string, opts: ConfirmOptions = {}): Promise<void> {
  let told = false;
  for (;;) {
    const verdict = await fence.check(key, what);
    if (verdict === 'held') return;
    if (verdict === 'lost' || !opts.wait || opts.wait.signal.aborted) throw new FenceError(key, what, verdict);
    if (!told) opts.wait.onWait?.();
    told = true;
    await sleep(opts.wait.everyMs ?? 1_000, opts.wait.signal);
  }
}

// Every method of the tracker and the code host, by what it does. A write names the ticket it is for.
type KeyOf = (fence: Fence, args: unknown[]) => string | null;
const ticketArg: KeyOf = (_f, args) => (args[0] as { key?: string } | undefined)?.key ?? null;
// A PR is opened by branch; one that is no ticket's own branch (a revert PR) names its ticket (`key`).
const branchArg: KeyOf = (f, args) => {
  const req = args[0] as { branch?: string; key?: string } | undefined;
  return req?.key ?? f.keyOfBranch(req?.branch ?? '');
};
type Write = { what: string; key: KeyOf };
// Public methods of every adapter (private helpers run on the target itself, never through the wrapper).
type FnKeys<T> = { [K in keyof T]-?: NonNullable<T[K]> extends (...args: never[]) => unknown ? K : never }[keyof T] & string;
type AdapterMethod = FnKeys<Tracker> | FnKeys<CodeHost> | FnKeys<GitHubTracker> | FnKeys<LinearTracker> | FnKeys<LocalTracker> | FnKeys<BranchHandoff> | FnKeys<MergeHost> | FnKeys<GitHubMerges>;
// One entry per method, by construction: a method added to an adapter without a word here fails to compile.
// 'pass': reads, and repository-wide set-up that belongs to no ticket (creating the labels swarm uses).
const METHODS: Record<AdapterMethod, Write | 'pass'> = {
  show: { what: 'tracker update', key: ticketArg },
  linkPullRequest: { what: 'PR link', key: ticketArg },
  openPullRequest: { what: 'pull request', key: branchArg },
  candidates: 'pass', fetch: 'pass', comments: 'pass', trust: 'pass', changedBy: 'pass', findPullRequest: 'pass',
  rateLimit: 'pass', requestCount: 'pass', notes: 'pass', setConfig: 'pass', resolve: 'pass', freshBlockers: 'pass',
  probeCandidates: 'pass', measurePolling: 'pass', checkAccess: 'pass', ensureLabels: 'pass',
  // The code host's `merges` (verification after merge): the base branch, a commit's checks and a check's log
  // are reads; GitHub auto-merge on a ticket's PR is a write for that ticket.
  branch: 'pass', commitChecks: 'pass', logExcerpt: 'pass',
  setAutoMerge: { what: 'auto-merge change', key: ticketArg },
};
/** Objects the code host carries whose methods write for tickets: fenced like the code host itself. */
const FENCED_PARTS = new Set(['merges']);
const OBJECT_METHODS = new Set(['constructor', 'toString', 'toJSON']);
const entry = (name: string): Write | 'pass' | undefined =>
  Object.hasOwn(METHODS, name) ? METHODS[name as AdapterMethod] : OBJECT_METHODS.has(name) ? 'pass' : undefined;

/** Does the fence say what `method` is (a ticket write or a pass-through)? */
export function fenceKnows(method: string): boolean {
  return entry(method) !== undefined;
}

/** `obj` whose ticket writes pass `fence` first; reads go through untouched; an unknown method is refused. */
export function fenceWrites<T extends object>(obj: T, fence: Fence): T {
  return new Proxy(obj, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof prop === 'string' && FENCED_PARTS.has(prop) && typeof value === 'object' && value !== null) return fenceWrites(value, fence);
      if (typeof value !== 'function' || typeof prop === 'symbol') return value;
      const fn = value as (...args: unknown[]) => unknown;
      const known = entry(prop);
      if (known && known !== 'pass') {
        const write = known;
        return async (...args: unknown[]) => {
          const key = write.key(fence, args);
          if (key === null) throw new FenceError(String((args[0] as { branch?: string } | undefined)?.branch ?? '?'), write.what, 'lost');
          await confirmFence(fence, key, write.what);
          return fn.apply(target, args);
        };
      }
      if (known === 'pass') return fn.bind(target);
      return () => {
        throw new SwarmError('EFENCE', `the fleet fence does not know ${prop}(): say in src/fleet/fence.ts whether it writes for a ticket (and which) or only reads`);
      };
    },
  });
}

/** The part of the loop's services the fence wraps. */
export interface Fenceable {
  tracker: Tracker;
  codeHost: CodeHost;
  fence: Fence;
}

/** Services whose tracker and code host writes pass the fence, and whose explicit pushes use it. */
export function fenceServices<S extends Fenceable = Fenceable>(svc: NoInfer<S>, fence: Fence): S {
  return { ...svc, tracker: fenceWrites(svc.tracker, fence), codeHost: fenceWrites(svc.codeHost, fence), fence };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
