// The fake `claude` refuses what the real one refuses, with the same words: each argv below is run through
// both the pinned Claude Code binary and test/helpers/fake-claude.mjs, and their exit codes, stdout and
// stderr are compared. All of them fail at option parsing, before any request (no API needed), in ~0.1 s.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FAKE_CLAUDE } from '../helpers/daemon.js';
import { claudeBinary } from '../helpers/real-claude.js';

const BASE = ['-p', '--output-format', 'stream-json', '--verbose', '--model', 'sonnet', '--max-turns', '5', '--permission-mode', 'bypassPermissions'];
const home = mkdtempSync(join(tmpdir(), 'swarm-fidelity-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function run(command: string, args: string[]) {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, CLAUDE_CONFIG_DIR: join(home, 'config'), CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    ANTHROPIC_BASE_URL: 'http://127.0.0.1:9', ANTHROPIC_API_KEY: 'sk-ant-api03-fake', IS_SANDBOX: '1', TZ: 'UTC',
  };
  const r = spawnSync(command, args, { input: 'Say hi.', env, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}

describe('fake claude refuses what the pinned Claude Code refuses', () => {
  const real = claudeBinary();
  const cases: [string, string[]][] = [
    ['an unknown option', [...BASE, '--no-such-flag']],
    ['an unknown option after a variadic list', [...BASE, '--allowedTools', 'Bash', 'Read', '--no-such-flag']],
    ['--max-budget-usd 0', [...BASE, '--max-budget-usd', '0']],
    ['a negative --max-budget-usd', [...BASE, '--max-budget-usd', '-0.5']],
    ['--session-id with --resume but no --fork-session', [...BASE, '--resume', '99999999-2222-4333-8444-555555555555', '--session-id', '11111111-2222-4333-8444-555555555555']],
    ['a --session-id that is not a UUID', [...BASE, '--session-id', 'not-a-uuid']],
  ];
  it.each(cases)('%s: same exit code and stderr, nothing on stdout', (_what, args) => {
    const r = run(real, args);
    const f = run(process.execPath, [FAKE_CLAUDE, ...args]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(f).toEqual(r);
  });

  it('both print the same version, and both answer it before checking options', () => {
    const version = execFileSync(real, ['--version'], { encoding: 'utf8' }).trim();
    expect(run(process.execPath, [FAKE_CLAUDE, '--no-such-flag', '--version']).stdout.trim()).toBe(version);
    expect(run(real, ['--no-such-flag', '--version']).stdout.trim()).toBe(version);
  });
});
