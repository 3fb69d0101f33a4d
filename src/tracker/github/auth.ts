// How swarm authenticates to GitHub: one interface the client asks for the token of every request, with
// three sources behind it —
//   - a fixed token (tracker.token, GITHUB_TOKEN, GH_TOKEN, `gh auth token`), read again after a 401 (it may
//     have been rotated);
//   - tracker.token_command, a command that prints a token (optionally as JSON with `expires_at`), run again
//     before the token expires and after a 401;
//   - a GitHub App (app-auth.ts): installation tokens minted with @octokit/auth-app and minted again before
//     their hour is up.
// Every token a source hands out is passed to `onToken` first (the services register it as a secret, so it
// is masked everywhere and never reaches the agent).

import { execa } from 'execa';

export interface GitHubAuth {
  /** What the credentials are, for `swarm doctor` and log lines: "GitHub App 123 (installation 456)". */
  readonly describe: string;
  /** The token for the next request; refreshed ahead of its expiry where it has one. */
  token(): Promise<string>;
  /**
   * GitHub rejected `rejected` (401): a different token to retry with, or null when there is none. Parallel
   * callers share one renewal.
   */
  renew(rejected: string): Promise<string | null>;
  /**
   * The account the token acts as when the source knows it without `GET /user` (which answers 403 to an
   * installation token): an App's `<slug>[bot]`. Absent: ask GitHub.
   */
  login?(): Promise<string | null>;
}

/** A token source whose tokens expire is refreshed when less than this is left. */
export const REFRESH_MARGIN_MS = 5 * 60_000;

/** A token source that cannot hand out a token (a failing command, a refused App key): an auth problem. */
export class AuthSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthSourceError';
  }
}

/** Shares one in-flight renewal between parallel callers. */
function shared<T>(fn: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | null = null;
  return () => {
    inFlight ??= fn().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
}

/**
 * A fixed token. `reread` (after a 401) asks the token source again and returns its value when it differs
 * from the rejected one.
 */
export function staticAuth(initial: string, opts: { describe?: string; reread?: (rejected: string) => Promise<string | null>; onToken?: (t: string) => void } = {}): GitHubAuth {
  let token = initial;
  opts.onToken?.(token);
  let pending: string | null = null;
  const reread = shared(async () => {
    const next = opts.reread ? await opts.reread(pending!).catch(() => null) : null;
    if (next !== null && next !== '' && next !== pending) {
      opts.onToken?.(next);
      token = next;
    }
    return token !== pending ? token : null;
  });
  return {
    describe: opts.describe ?? 'token',
    token: async () => token,
    renew: async (rejected) => {
      if (token !== rejected) return token; // another request already moved on
      pending = rejected;
      return reread();
    },
  };
}

export interface CommandAuthOptions {
  /** tracker.token_command: run with `sh -c` in `cwd`. */
  command: string;
  cwd: string;
  env: Record<string, string | undefined>;
  now?: () => number;
  /** Kill the command after this long. Default 30 s. */
  timeoutMs?: number;
  /** A token that says nothing about its expiry is used at most this long. Default 50 min. */
  maxAgeMs?: number;
  onToken?: (token: string) => void;
}

export interface CommandToken {
  token: string;
  /** Epoch ms; null when the command did not say. */
  expiresAt: number | null;
}

/**
 * What a token command printed: a bare token, or JSON `{"token": …, "expires_at": …}` (the shape of GitHub's
 * installation-token answer, which `gh api` or a vault helper can pass through). Throws a message without the
 * output (it may hold a secret).
 */
export function parseCommandOutput(stdout: string): CommandToken {
  const text = stdout.trim();
  if (text.startsWith('{')) {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw new AuthSourceError('tracker.token_command printed something that starts like JSON but is not');
    }
    const d = data as { token?: unknown; expires_at?: unknown };
    if (typeof d.token !== 'string' || d.token.trim() === '' || /\s/.test(d.token.trim())) throw new AuthSourceError('tracker.token_command printed JSON without a "token" string');
    const at = typeof d.expires_at === 'string' ? Date.parse(d.expires_at) : Number.NaN;
    return { token: d.token.trim(), expiresAt: Number.isFinite(at) ? at : null };
  }
  const first = text.split('\n')[0]?.trim() ?? '';
  if (first === '' || /\s/.test(first)) throw new AuthSourceError('tracker.token_command printed no token (expected the token alone on the first line, or JSON {"token": …, "expires_at": …})');
  return { token: first, expiresAt: null };
}

/** tracker.token_command: run at first use, again before the token expires, and after a 401. */
export function commandAuth(opts: CommandAuthOptions): GitHubAuth {
  const now = opts.now ?? Date.now;
  const maxAge = opts.maxAgeMs ?? 50 * 60_000;
  let current: { token: string; refreshAt: number } | null = null;
  const run = shared(async () => {
    const res = await execa('sh', ['-c', opts.command], {
      cwd: opts.cwd,
      env: Object.fromEntries(Object.entries(opts.env).filter((e): e is [string, string] => e[1] !== undefined)),
      extendEnv: false,
      reject: false,
      timeout: opts.timeoutMs ?? 30_000,
      stdin: 'ignore',
    });
    if (res.exitCode !== 0) {
      const why = res.timedOut ? 'timed out' : `exited with ${res.exitCode ?? res.signal}`;
      throw new AuthSourceError(`tracker.token_command ${why}: fix the command or the credentials it reads`);
    }
    const got = parseCommandOutput(typeof res.stdout === 'string' ? res.stdout : '');
    opts.onToken?.(got.token);
    const at = now();
    const refreshAt = got.expiresAt !== null ? Math.min(got.expiresAt - REFRESH_MARGIN_MS, at + maxAge) : at + maxAge;
    current = { token: got.token, refreshAt };
    return got.token;
  });
  return {
    describe: 'tracker.token_command',
    token: async () => (current && now() < current.refreshAt ? current.token : run()),
    renew: async (rejected) => {
      if (current && current.token !== rejected && now() < current.refreshAt) return current.token;
      const next = await run();
      return next !== rejected ? next : null;
    },
  };
}
