// The outcome table proven on real Claude Code output: every fixture in test/fixtures/claude was recorded
// from the real binary (scripts/record-claude-fixtures.mjs) against the fake Messages API. Each recorded
// stdout goes through StreamParser (in odd-sized chunks, as a pipe delivers it) and classify().
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { StreamParser } from '../../src/agent/stream.js';
import { classify } from '../../src/agent/classify.js';
import type { HandoffFacts, Outcome, RunResult } from '../../src/agent/types.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'claude');

interface Meta {
  scenario: string;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  recordedAt: number;
  commitsAhead: number;
  resetEpochS?: number;
  limitType?: string;
}

interface Expected {
  outcome: Outcome;
  counted: boolean;
  /** Case-insensitive substring of the reason. */
  reason: string;
  /** 'served': exactly the reset epoch the fake API served (× 1000). */
  resetAt?: null | 'served';
  limitType?: string | null;
  /** A result line is present in the recording. */
  hasResult?: boolean;
}

const TABLE: Record<string, Expected> = {
  ok: { outcome: 'no_changes', counted: true, reason: 'without commits' },
  'tool-commit': { outcome: 'pr_auto_opened', counted: false, reason: 'committed 1' },
  'max-turns': { outcome: 'agent_error', counted: true, reason: 'max_turns' },
  budget: { outcome: 'agent_error', counted: true, reason: 'budget' },
  e401: { outcome: 'auth_failed', counted: false, reason: 'login' },
  oauth401: { outcome: 'auth_failed', counted: false, reason: 'login' },
  e403: { outcome: 'auth_failed', counted: false, reason: 'login' },
  billing400: { outcome: 'auth_failed', counted: false, reason: 'credits' },
  apikey429: { outcome: 'rate_limited', counted: false, reason: '429', resetAt: null, limitType: 'api_key' },
  'usage-5h': { outcome: 'rate_limited', counted: false, reason: 'usage limit', resetAt: 'served', limitType: 'five_hour' },
  'usage-weekly': { outcome: 'rate_limited', counted: false, reason: 'usage limit', resetAt: 'served', limitType: 'seven_day' },
  e529: { outcome: 'infra_failed', counted: false, reason: '529' },
  e500: { outcome: 'infra_failed', counted: false, reason: '500' },
  connrefused: { outcome: 'infra_failed', counted: false, reason: 'connection refused' },
  timeout: { outcome: 'infra_failed', counted: false, reason: 'timed out' },
  // Exit 0, one denied Bash call, no commits: the agent did not get the work done → a counted attempt.
  denied: { outcome: 'no_changes', counted: true, reason: 'denied' },
  'unknown-flag': { outcome: 'infra_failed', counted: false, reason: "unknown option '--no-such-flag'", hasResult: false },
  // A lone zeroed `error_during_execution` result, no model turn: not the ticket's fault (see
  // test/fixtures/claude/README.md; the attempt runner starts a fresh session when this answers a --resume).
  'bad-resume': { outcome: 'infra_failed', counted: false, reason: 'No conversation found' },
  // Recorded on 2.1.332 for issue 24.
  // A successful reply carrying "rejected" + overage "allowed": isUsingOverage, the run goes on → judged on its work.
  overage: { outcome: 'no_changes', counted: true, reason: 'without commits' },
  'usage-opus': { outcome: 'rate_limited', counted: false, reason: 'only Opus attempts wait', resetAt: 'served', limitType: 'seven_day_opus' },
  'config-invalid': { outcome: 'auth_failed', counted: false, reason: 'refused to start (config_file_invalid)' },
  'org-not-allowed': { outcome: 'auth_failed', counted: false, reason: 'oauth_org_not_allowed' },
  verification: { outcome: 'auth_failed', counted: false, reason: 'verification_required' },
  'budget-zero': { outcome: 'infra_failed', counted: false, reason: '--max-budget-usd must be a number greater than 0', hasResult: false },
  'session-no-fork': { outcome: 'infra_failed', counted: false, reason: 'also needs --fork-session', hasResult: false },
};

function load(name: string) {
  const meta = JSON.parse(readFileSync(join(dir, `${name}.meta.json`), 'utf8')) as Meta;
  const stdout = readFileSync(join(dir, `${name}.stdout.jsonl`));
  const errPath = join(dir, `${name}.stderr.txt`);
  const stderr = existsSync(errPath) ? readFileSync(errPath, 'utf8') : '';
  return { meta, stdout, stderr };
}

function parse(stdout: Buffer) {
  const parser = new StreamParser();
  // Odd chunk sizes: lines and UTF-8 sequences (·, —) get split across pushes, as a pipe delivers them.
  for (let i = 0; i < stdout.length; i += 97) parser.push(stdout.subarray(i, i + 97));
  parser.end();
  return parser.summary;
}

const scenarios = readdirSync(dir).filter((f) => f.endsWith('.meta.json')).map((f) => f.replace(/\.meta\.json$/, '')).sort();

describe('classifier on real Claude Code 2.1.332 recordings', () => {
  it('has an expectation for every recorded fixture and a fixture for every expectation', () => {
    expect(scenarios).toEqual(Object.keys(TABLE).sort());
  });

  for (const name of Object.keys(TABLE)) {
    const want = TABLE[name]!;
    it(`${name} → ${want.outcome}`, () => {
      const { meta, stdout, stderr } = load(name);
      const summary = parse(stdout);
      expect(summary.badLines).toBe(0);
      expect(summary.result !== null).toBe(want.hasResult ?? true);

      const run: RunResult = {
        exitCode: meta.exitCode, signal: meta.signal, killedFor: null, durationMs: meta.durationMs,
        summary, stderrTail: stderr.slice(-4096), spawnError: null, held: null,
      };
      const handoff: HandoffFacts = { prExists: false, commitsAhead: name === 'tool-commit' ? 1 : 0, canAutoOpen: true };
      expect(handoff.commitsAhead).toBe(meta.commitsAhead); // what git really said after the recording
      const c = classify(run, handoff, { fastFailMs: 10_000, now: meta.recordedAt });

      expect({ outcome: c.outcome, counted: c.counted }).toEqual({ outcome: want.outcome, counted: want.counted });
      expect(c.reason.toLowerCase()).toContain(want.reason.toLowerCase());
      if (want.resetAt === 'served') {
        expect(meta.resetEpochS).toBeTypeOf('number');
        expect(c.resetAt).toBe(meta.resetEpochS! * 1000);
      } else if (want.resetAt === null) {
        expect(c.resetAt).toBeNull();
      }
      if (want.limitType !== undefined) expect(c.limitType).toBe(want.limitType);
      if (want.outcome !== 'rate_limited') expect(c.resetAt).toBeNull();
    });
  }

  it('overage: the window is read as spent but served from paid extra usage, and no usage limit is recorded', () => {
    const { meta, stdout } = load('overage');
    const s = parse(stdout);
    expect(s.window).toEqual({ status: 'rejected', utilization: null, rateLimitType: 'five_hour', resetsAt: meta.resetEpochS, overage: true });
    expect(s.rateLimit).toBeNull();
    expect(s.result?.isError).toBe(false);
  });

  it('config-invalid: the refusal names the file it could not parse (as a field, not only in the text)', () => {
    const s = parse(load('config-invalid').stdout);
    expect(s.result).toMatchObject({ startupFailureReason: 'config_file_invalid', numTurns: 0, totalCostUsd: 0, invalidConfigPath: expect.stringMatching(/\.claude\.json$/) });
    expect(s.sawModelTurn).toBe(false);
  });
});
