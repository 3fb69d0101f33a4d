// Writes under a real file-size limit (RLIMIT_FSIZE via `ulimit -f`, which Node meets as a short write and
// then EFBIG, exactly like a filling disk): the compiled writeFileAtomic keeps the old file and leaves no
// temp file; events.jsonl never holds a torn line, and the lines a full disk refused are appended, in
// order, once the limit is raised (prlimit on the running process). Needs `npm run build`.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/daemon.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-fsize-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Run an ES module snippet in a node whose files may not grow past `kb` KB; resolves with its stdout lines as JSON. */
function limited(kb: number, code: string): Promise<any[]> {
  const script = path.join(dir, `s${Math.random().toString(36).slice(2)}.mjs`);
  fs.writeFileSync(script, `const dist = ${JSON.stringify(path.join(ROOT, 'dist'))};\nconst say = (v) => process.stdout.write(JSON.stringify(v) + '\\n');\n${code}`);
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', `ulimit -S -f ${kb} && exec "${process.execPath}" "${script}"`], { cwd: dir }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`));
      resolve(stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)));
    });
  });
}

describe('writes under a file-size limit', () => {
  it('writeFileAtomic: a file that no longer fits keeps the previous version, no temp file is left, DiskFullError says so', async () => {
    const file = path.join(dir, 'state.json');
    fs.writeFileSync(file, JSON.stringify({ version: 2, n: 1 }));
    const [res] = await limited(8, `
      const { writeFileAtomic } = await import(dist + '/util/atomic-file.js');
      try { writeFileAtomic(${JSON.stringify(file)}, JSON.stringify({ version: 2, n: 2, pad: 'x'.repeat(20000) })); say({ ok: true }); }
      catch (e) { say({ name: e.constructor.name, code: e.code, errno: e.errno, message: e.message }); }
    `);
    expect(res).toMatchObject({ name: 'DiskFullError', code: 'EDISKFULL', errno: 'EFBIG' });
    expect(res.message).toMatch(/disk full: could not write .*state\.json \(EFBIG\); the previous version was kept/);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ version: 2, n: 1 });
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('state.json'))).toEqual(['state.json']);
  });

  it('events.jsonl: no torn line ever; refused lines are kept in memory and appended in order when there is room', async () => {
    const events = path.join(dir, 'events.jsonl');
    fs.writeFileSync(events, '{"at":"2026-01-01T00:00:00.000Z","type":"config_ok","file":"x"}\n{"at":"2026-01-01T00:00:01.000Z","type":"conf'); // a torn tail from a crash
    const out = await limited(8, `
      const { Logger } = await import(dist + '/log/logger.js');
      const { execFileSync } = await import('node:child_process');
      const fs = await import('node:fs');
      const log = new Logger({ eventsFile: ${JSON.stringify(events)}, out: null });
      for (let i = 0; i < 40; i++) log.event({ type: 'poll_error', error: String(i).padStart(3, '0') + 'e'.repeat(400) });
      const full = log.unwritten;
      const lines = fs.readFileSync(${JSON.stringify(events)}, 'utf8').split('\\n');
      say({ full, last: lines.at(-1), parsed: lines.filter(Boolean).slice(2).every((l) => { try { JSON.parse(l); return true; } catch { return false; } }) });
      execFileSync('prlimit', ['--pid', String(process.pid), '--fsize=unlimited']);
      say({ flushed: log.flushUnwritten(), after: log.unwritten });
    `);
    expect(out[0].full).toMatchObject({ lines: expect.any(Number), dropped: 0 });
    expect(out[0].full.lines).toBeGreaterThan(0);
    expect(out[0].last).toBe(''); // the file ends on a newline: nothing half-written
    expect(out[0].parsed).toBe(true);
    expect(out[1]).toEqual({ flushed: true, after: null });
    const lines = fs.readFileSync(events, 'utf8').split('\n').filter(Boolean);
    expect(lines[0]).toContain('config_ok');
    expect(lines[1]).toMatch(/"type":"conf$/); // the old torn line stays on its own line, unparseable and skipped
    const errs = lines.slice(2).map((l) => JSON.parse(l).error.slice(0, 3));
    expect(errs).toEqual(Array.from({ length: 40 }, (_, i) => String(i).padStart(3, '0')));
  });
});
