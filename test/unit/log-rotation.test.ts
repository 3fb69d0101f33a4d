import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Logger } from '../../src/log/logger.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const sink = { write: () => true } as unknown as NodeJS.WritableStream;

describe('events.jsonl rotation', () => {
  it('rotates past the configured size, keeps exactly one previous file, and loses no line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-log-'));
    dirs.push(dir);
    const file = path.join(dir, 'events.jsonl');
    const log = new Logger({ eventsFile: file, out: sink, maxEventsBytes: 4096 });
    // The error text stands in for any payload; its leading number orders the lines.
    const tick = (i: number, pad = '') => log.event({ type: 'poll_error', error: `${i} ${pad}` }, { message: null });
    for (let i = 0; i < 400; i++) tick(i, 'x'.repeat(40));
    tick(400); // (a rotation right after the 400th line leaves no current file until the next)
    expect(fs.readdirSync(dir).sort()).toEqual(['events.jsonl', 'events.jsonl.1']);
    // Bounded: the current file never grows far past the limit (checked every limit/8 bytes written).
    expect(fs.statSync(file).size).toBeLessThan(4096 + 4096 / 8 + 200);
    expect(fs.statSync(file + '.1').size).toBeLessThan(4096 + 4096 / 8 + 200);
    // The newest lines are all there, in order, across the two files.
    const lines = [file + '.1', file].flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean)).map((l) => Number(JSON.parse(l).error.split(' ')[0]));
    const last = lines[lines.length - 1];
    expect(last).toBe(400);
    expect(lines.length).toBeGreaterThan(40);
    expect(lines).toEqual(Array.from({ length: lines.length }, (_, k) => 401 - lines.length + k));
  });

  it('rotates an oversized file left by an earlier run at startup; default limit is 20 MB', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-log-'));
    dirs.push(dir);
    const file = path.join(dir, 'events.jsonl');
    fs.writeFileSync(file, 'x'.repeat(5000));
    const log = new Logger({ eventsFile: file, out: sink, maxEventsBytes: 1000 });
    expect(fs.statSync(file + '.1').size).toBe(5000);
    expect(fs.existsSync(file)).toBe(false);
    log.event({ type: 'config_ok', file: 'WORKFLOW.md' });
    expect(fs.readFileSync(file, 'utf8')).toMatch(/"type":"config_ok"/);
    expect(new Logger({ eventsFile: null, out: sink }).maxEventsBytes).toBe(20 * 1024 * 1024);
  });
});
