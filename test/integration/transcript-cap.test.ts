// agent.transcript_max through the real runner and real processes: a long run keeps its head and tail with
// the cut marked and never more than the cap on disk; a runaway printer (it would print 1 GB) is killed
// at 4 × the cap, classified as infrastructure (not counted), and leaves no tail segments behind.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgent } from '../../src/agent/runner.js';
import { classify } from '../../src/agent/classify.js';
import { renderTranscript } from '../../src/report/transcript.js';
import type { RunRequest } from '../../src/agent/types.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'transcript-cap-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CAP = 64 * 1024;

/** An "agent" that prints `lines` stream-json lines of ~`width` bytes (numbered), then a result line. */
function printer(name: string, lines: number, width: number): RunRequest {
  const script = `
    const pad = 'x'.repeat(${width});
    const out = (s) => { try { require('fs').writeSync(1, s); } catch (e) { if (e.code !== 'EAGAIN') throw e; } };
    out(JSON.stringify({ type: 'system', subtype: 'init', session_id: 's', model: 'sonnet', cwd: '.', tools: [] }) + '\\n');
    for (let i = 0; i < ${lines}; i++) out(JSON.stringify({ type: 'assistant', message: { model: 'sonnet', content: [{ type: 'text', text: 'line ' + i + ' ' + pad }] } }) + '\\n');
    out(JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'Done.', num_turns: 1, duration_ms: 1, total_cost_usd: 0, usage: {} }) + '\\n');
  `;
  return {
    command: process.execPath,
    args: ['-e', script],
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    prompt: '',
    runFile: join(dir, name, '1.jsonl'),
    timeoutMs: 120_000,
    stallTimeoutMs: 60_000,
    killGraceMs: 1000,
    transcriptMax: CAP,
  };
}

describe('agent.transcript_max', () => {
  it('keeps the head and the tail, marks the cut, and never holds more than the cap', async () => {
    const req = printer('long', 1200, 80); // ~200 KB printed: under the hard cap, over the transcript cap
    const run = await runAgent(req);
    expect(run.killedFor).toBeNull();
    expect(run.summary.result?.subtype).toBe('success'); // the parser saw every line, cut or not
    expect(statSync(req.runFile).size).toBeLessThanOrEqual(CAP);
    const lines = readFileSync(req.runFile, 'utf8').split('\n').filter(Boolean);
    const parsed = lines.map((l) => JSON.parse(l)); // every kept line whole
    expect(parsed[0].type).toBe('system');
    expect(parsed[1].message.content[0].text).toMatch(/^line 0 /);
    const cut = parsed.findIndex((e) => e.type === 'swarm_transcript_cut');
    expect(cut).toBeGreaterThan(1);
    expect(parsed[cut]).toMatchObject({ transcript_max: CAP, omitted_bytes: expect.any(Number) });
    expect(parsed[cut].omitted_bytes + parsed[cut].kept_head_bytes + parsed[cut].kept_tail_bytes).toBeLessThanOrEqual(run.summary.bytes);
    expect(parsed[cut].omitted_bytes).toBeGreaterThan(100_000);
    expect(parsed.at(-1).type).toBe('result');
    expect(parsed.at(-2).message.content[0].text).toMatch(/^line 1199 /);
    expect(readdirSync(dirname(req.runFile))).toEqual(['1.jsonl']); // no tail segments left
    expect(renderTranscript(readFileSync(req.runFile, 'utf8'))).toMatch(/✂ 0\.\d MB of output cut here/);
  });

  it('kills a runaway printer at 4 × the cap as infrastructure, not counted; the disk holds at most the cap', async () => {
    const req = printer('runaway', 1_000_000, 1000); // would print ~1 GB
    const started = Date.now();
    const run = await runAgent(req);
    expect(run.killedFor).toBe('output');
    expect(run.summary.bytes).toBeLessThan(4 * CAP + 256 * 1024); // stopped right after the hard cap (one pipe's worth late at most)
    expect(Date.now() - started).toBeLessThan(30_000);
    const cls = classify(run, { prExists: false, commitsAhead: 0, canAutoOpen: false }, { fastFailMs: 0, now: Date.now() });
    expect(cls).toMatchObject({ outcome: 'infra_failed', counted: false, rule: 'output_cap' });
    expect(cls.reason).toMatch(/printed more than 4 × agent\.transcript_max/);
    expect(statSync(req.runFile).size).toBeLessThanOrEqual(CAP);
    expect(readdirSync(dirname(req.runFile))).toEqual(['1.jsonl']);
    expect(existsSync(req.runFile)).toBe(true);
  });

  it('no cap given: everything is written as before', async () => {
    const req = { ...printer('uncapped', 500, 200), transcriptMax: null };
    const run = await runAgent(req);
    expect(run.killedFor).toBeNull();
    expect(statSync(req.runFile).size).toBe(run.summary.bytes);
  });
});
