// Types for real-claude.mjs.

export interface Sandbox {
  /** Temp root holding repo/, config/ and home/ (a realpath). */
  root: string;
  /** A git repo on `main` with one commit, user.name/email set locally. */
  repo: string;
  configDir: string;
  home: string;
  /** Run git in repo synchronously; returns stdout. */
  git(...args: string[]): string;
  remove(): void;
}

export interface ClaudeEnvOptions {
  baseUrl: string;
  configDir: string;
  home: string;
  /** Default 'api-key' (ANTHROPIC_API_KEY); 'oauth' sets CLAUDE_CODE_OAUTH_TOKEN instead. */
  auth?: 'api-key' | 'oauth' | 'none';
  maxRetries?: number;
  apiTimeoutMs?: number;
  path?: string;
  extra?: Record<string, string>;
}

export interface ClaudeRun {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  timedOut: boolean;
}

/** Path of a runnable real binary; throws a clear Error when none runs here. */
export function claudeBinary(): string;
export function makeSandbox(prefix?: string): Sandbox;
export function claudeEnv(o: ClaudeEnvOptions): Record<string, string>;
export function claudeArgs(o?: { model?: string; maxTurns?: number; permissionMode?: string; extra?: string[] }): string[];
export function runClaude(o: { bin: string; args: string[]; cwd: string; env: Record<string, string>; prompt: string; timeoutMs?: number }): Promise<ClaudeRun>;
export function scrubPaths(text: string, root: string, placeholder?: string): string;
