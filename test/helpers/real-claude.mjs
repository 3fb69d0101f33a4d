// Run the real Claude Code binary (pinned dev dependency) against the fake Messages API.
// Plain ESM so the fixture recorder can use it without a build; types in real-claude.d.mts.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The real binary: the npm bin link, else the platform package's binary (installs made with --ignore-scripts). */
export function claudeBinary() {
  const candidates = [
    path.join(repoRoot, 'node_modules', '.bin', 'claude'),
    path.join(repoRoot, 'node_modules', '@anthropic-ai', 'claude-code-linux-x64', 'claude'),
  ];
  for (const c of candidates) {
    try {
      const out = execFileSync(c, ['--version'], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
      if (/\(Claude Code\)/.test(out)) return c;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    `The real Claude Code binary cannot run here (tried ${candidates.join(', ')}). ` +
      'Install the pinned dev dependency: npm install (it needs @anthropic-ai/claude-code and its linux-x64 binary package).',
  );
}

/** Fresh temp root with repo/, config/ and home/ (realpath, since the CLI reports real paths). */
export function makeSandbox(prefix = 'swarm-claude-') {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  const repo = path.join(root, 'repo');
  const configDir = path.join(root, 'config');
  const home = path.join(root, 'home');
  for (const d of [repo, configDir, home]) fs.mkdirSync(d, { recursive: true });
  const git = (...args) => execFileSync('git', args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Swarm Test');
  git('config', 'user.email', 'swarm-test@example.invalid');
  git('config', 'commit.gpgsign', 'false');
  fs.writeFileSync(path.join(repo, 'README.md'), '# fixture repo\n');
  git('add', 'README.md');
  git('commit', '-q', '-m', 'init');
  return {
    root, repo, configDir, home,
    git,
    remove() {
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * The complete environment for the child. Nothing from the caller's environment leaks in except PATH
 * (the Bash tool needs git and a shell), so an operator's real key or ~/.claude is never used.
 * @param {{ baseUrl: string, configDir: string, home: string, auth?: 'api-key'|'oauth'|'none',
 *   maxRetries?: number, apiTimeoutMs?: number, path?: string, extra?: Record<string,string> }} o
 */
export function claudeEnv(o) {
  const env = {
    PATH: o.path ?? process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: o.home,
    TZ: 'UTC',
    LANG: 'C.UTF-8',
    ANTHROPIC_BASE_URL: o.baseUrl,
    CLAUDE_CONFIG_DIR: o.configDir,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    GIT_CONFIG_NOSYSTEM: '1',
  };
  const auth = o.auth ?? 'api-key';
  if (auth === 'api-key') env.ANTHROPIC_API_KEY = 'sk-ant-api03-fake-key-for-tests';
  if (auth === 'oauth') env.CLAUDE_CODE_OAUTH_TOKEN = 'sk-ant-oat01-fake-token-for-tests';
  if (o.maxRetries !== undefined) env.CLAUDE_CODE_MAX_RETRIES = String(o.maxRetries);
  if (o.apiTimeoutMs !== undefined) env.API_TIMEOUT_MS = String(o.apiTimeoutMs);
  // bypassPermissions / --dangerously-skip-permissions are refused for root unless IS_SANDBOX=1.
  if (typeof process.getuid === 'function' && process.getuid() === 0) env.IS_SANDBOX = '1';
  return { ...env, ...(o.extra ?? {}) };
}

/** The argv swarm uses (SPEC §4 step 4), for the recorder. */
export function claudeArgs({ model = 'sonnet', maxTurns = 5, permissionMode = 'bypassPermissions', extra = [] } = {}) {
  return ['-p', '--output-format', 'stream-json', '--verbose', '--model', model, '--max-turns', String(maxTurns),
    '--permission-mode', permissionMode, ...extra];
}

/**
 * Spawn the binary (own process group), prompt on stdin, collect everything.
 * @param {{ bin: string, args: string[], cwd: string, env: Record<string,string>, prompt: string, timeoutMs?: number }} o
 * @returns {Promise<{ stdout: string, stderr: string, exitCode: number|null, signal: string|null, durationMs: number, timedOut: boolean }>}
 */
export function runClaude(o) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(o.bin, o.args, { cwd: o.cwd, env: o.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    }, o.timeoutMs ?? 120_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* group already gone */ }
      resolve({ stdout, stderr, exitCode: code, signal, durationMs: Date.now() - started, timedOut });
    });
    child.stdin.end(o.prompt);
  });
}

/** Replace machine-specific temp paths (plain and in Claude's "every non-alphanumeric → -" form). */
export function scrubPaths(text, root, placeholder = '/tmp/swarm-fixture') {
  const dash = (p) => p.replace(/[^a-zA-Z0-9]/g, '-');
  return text.split(root).join(placeholder).split(dash(root)).join(dash(placeholder));
}
