// Every error swarm throws on purpose, in one place. Each carries a stable `code` (for tests and callers)
// and the process exit code it stands for, so `cli.ts` — the only place that exits — never has to guess
// from a message: 2 for a usage or configuration problem the operator fixes, 1 for a runtime failure.
// Expected outcomes (a run that failed, a tracker that is down) are values, not throws; these are for what
// stops a command or surfaces as one sentence.

export type ExitCode = 1 | 2 | 130;

export class SwarmError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: ExitCode = 1,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A SwarmError class whose instances all carry `code` and `exitCode`: `new X(message)`. */
function coded(code: string, exitCode: ExitCode) {
  return class extends SwarmError {
    constructor(message: string) {
      super(code, message, exitCode);
    }
  };
}

/** How swarm was invoked: a bad flag, a busy repository, an unknown ticket. */
export class UsageError extends coded('EUSAGE', 2) {}

/** A configuration problem: always names the file and the key path, and says the fix. */
export class ConfigError extends coded('ECONFIG', 2) {}

/** The dashboard could not bind its port (a setting to change). */
export class ServerStartError extends coded('EUSAGE', 2) {}

/** A prompt template problem: a syntax error or a variable that is not documented. */
export class TemplateError extends SwarmError {
  constructor(
    message: string,
    /** 1-based line in the template, when nunjucks reported one. */
    readonly line: number | null = null,
    /** The offending variable (e.g. "issue.nope"), when known. */
    readonly variable: string | null = null,
  ) {
    super('ETEMPLATE', message, 2);
  }
}

/** Expected tracker failures, mapped by adapters so the loop can pause instead of crashing. */
export type TrackerErrorKind = 'rate_limited' | 'auth' | 'unavailable' | 'not_found' | 'config' | 'too_complex';

export class TrackerError extends SwarmError {
  constructor(
    readonly kind: TrackerErrorKind,
    message: string,
    /** For rate_limited: when the tracker says we may try again (ISO time). */
    readonly retryAt: string | null = null,
  ) {
    // A tracker that refuses the configuration or the credentials is the operator's to fix.
    super('ETRACKER', message, kind === 'config' || kind === 'auth' || kind === 'too_complex' ? 2 : 1);
  }
}

export type WorkspaceErrorCode = 'EPATH' | 'EPREFIX' | 'EWORKTREE' | 'EHOOK' | 'EGIT';

/** Unexpected workspace failures; `code` is stable for callers and tests. */
export class WorkspaceError extends SwarmError {
  constructor(code: WorkspaceErrorCode, message: string) {
    super(code, message, 1);
  }
}

/** The operator interrupted swarm before the daemon was running (exit 130, like a shell). */
export class InterruptedError extends SwarmError {
  constructor(message = 'interrupted before the daemon started') {
    super('EINTR', message, 130);
  }
}

/** The exit code for anything thrown out of a command: ours carry it, anything else is a runtime failure. */
export function exitCodeOf(err: unknown): ExitCode {
  return err instanceof SwarmError ? err.exitCode : 1;
}
