// The transcript sink: runAgent masks secrets in .swarm/runs/**.jsonl (issue #7) while the parser still
// sees the real stream, and leaves transcripts byte-for-byte when there is nothing to mask.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runAgent } from '../../src/agent/runner.js';

const FAKE = resolve(fileURLToPath(import.meta.url), '../../helpers/fake-claude.mjs');
const ARGS = ['-p', '--output-format', 'stream-json', '--verbose', '--model', 'sonnet', '--max-turns', '5'];
const SECRET = 'ghp_runnerRedactSecret0987654321';
const HOOK = 'https://hooks.example.invalid/services/runnerWebhookPath55';

async function run(scenario: unknown, secrets?: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'runner-redact-'));
  const runFile = join(dir, 'runs', 'T', '1.jsonl');
  const res = await runAgent({
    command: FAKE,
    args: ARGS,
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', FAKE_CLAUDE_SCENARIO: JSON.stringify(scenario), SWARM_ATTEMPT: '1' },
    prompt: 'p',
    runFile,
    timeoutMs: 60_000,
    stallTimeoutMs: 30_000,
    killGraceMs: 2_000,
    secrets,
  });
  return { res, text: readFileSync(runFile, 'utf8') };
}

describe('runner transcript redaction', () => {
  it('masks secrets in every line of the run file, including a torn last line', async () => {
    const scenario = [
      { init: true },
      { text: `the token is ${SECRET}` },
      { repeat: 200, steps: [{ text: 'x'.repeat(500) }] },
      { text: `webhook ${HOOK} and again ${SECRET}` },
      { result: { text: `done with ${SECRET}` } },
      { write: `{"type":"torn","v":"${SECRET}` },
    ];
    const { res, text } = await run(scenario, [SECRET, HOOK]);
    expect(res.summary.result?.result).toContain(SECRET); // the parser saw the real stream
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('runnerWebhookPath55');
    expect(text.match(/\*\*\*/g)!.length).toBe(5);
    expect(text.endsWith('{"type":"torn","v":"***')).toBe(true);
    // Every complete line is still valid JSON.
    for (const l of text.split('\n').slice(0, -1)) expect(() => JSON.parse(l)).not.toThrow();
  });

  it('writes the stream byte-for-byte when no secret occurs', async () => {
    const lines = ['{"type":"system","subtype":"init","session_id":"s"}', '{"type":"assistant","text":"héllo ✓ ' + 'y'.repeat(70_000) + '"}', '{"type":"result","subtype":"success","is_error":false,"result":"ok"}'];
    const { text } = await run(lines.map((l) => ({ emit: l })), [SECRET]);
    expect(text).toBe(lines.join('\n') + '\n');
  });
});
