// What the poll loop is handed: everything with side effects (clock, randomness, spawn, tracker,
// filesystem root) lives here so tests and benches can swap any of it.
import type { Workflow } from '../config/types.js';
import type { RunRequest, RunResult, StreamEvent } from '../agent/types.js';
import type { CodeHost, Tracker } from '../tracker/types.js';
import type { Worktrees } from '../workspace/worktree.js';
import type { Logger } from '../log/logger.js';
import type { StateStore } from '../state/ledger.js';
import type { Leases } from '../fleet/leases.js';
import type { ControlRelay } from '../fleet/control-relay.js';
import type { FleetViewSource } from '../fleet/view.js';
import type { SwarmPaths } from '../state/paths.js';
import type { SharedAccount } from '../account/shared.js';
import type { Containment } from '../containment/containment.js';
import type { Fence } from '../fleet/fence.js';

export interface Services {
  tracker: Tracker;
  codeHost: CodeHost;
  worktrees: Worktrees;
  /** owner/name (GitHub), team key (Linear) or the repo folder name (local): SWARM_REPO. */
  repoSlug: string;
  baseBranch: string;
  /** Secret values read for swarm itself: scrubbed from the agent env and redacted from every sink. */
  secrets: string[];
  /**
   * Confirms the ticket's lease before an irreversible external write (fleet mode; the embedded store's
   * never refuses). The tracker's and code host's writes pass it already (fence.ts); a git push asks it first.
   */
  fence: Fence;
}

export interface Runtime {
  repoDir: string;
  paths: SwarmPaths;
  env: Record<string, string | undefined>;
  now: () => number;
  random: () => number;
  log: Logger;
  store: StateStore;
  /** This daemon's claims on tickets shared with other daemons (fleet mode); embedded, all its own. */
  leases: Leases;
  /** Operator requests passed to the daemon holding a ticket (fleet mode); embedded, none. */
  controls: ControlRelay;
  /** The fleet as last seen, for status (null embedded). */
  fleetView: FleetViewSource;
  runAgent: (req: RunRequest) => Promise<RunResult>;
  isRoot: boolean;
  /**
   * The agent's sandbox and the guards against what an agent may leave behind (ancestor CLAUDE.md, WORKFLOW.md
   * edits). Always there in a daemon; absent only where a test builds a Runtime by hand — an attempt whose
   * config asks for the sandbox then refuses to run rather than run unconfined.
   */
  containment?: Containment;
  /**
   * The Claude account this daemon shares with the others on the same login (its usage-limit pause,
   * canary and window figures); absent: the daemon keeps them to itself. `file`: the account file (null in
   * fleet mode); `from`: where its name came from.
   */
  account?: { shared: SharedAccount; file: string | null; from: string } | null;
  /** Sees every parsed line of every running agent (the operator console's live view); absent: nobody watches. */
  watch?: AgentWatch | null;
}

export interface AgentWatch {
  line(ticket: { key: string; identifier: string }, attempt: number, ev: StreamEvent): void;
}

/**
 * The configuration and services in force. One object shared by the loop, the dispatcher and the tracker
 * sync; the loop swaps its fields when WORKFLOW.md changes, so every part reads the same, current pair.
 */
export interface Settings {
  wf: Workflow;
  svc: Services;
}

/** Builds tracker, code host and worktrees for a workflow (again when its tracker/workspace keys change). */
export type ServiceFactory = (workflow: Workflow) => Promise<Services>;
