// The secret scan that runs before swarm publishes: the token shapes it must catch, the values it knows,
// where it says a finding is (file, line in the new version, commit), and that it never repeats the value.
// The git output it parses is produced by real git here, in a throwaway repository.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFindings, scanCommits, scanMessage, scanPatch } from '../../src/publish/secret-scan.js';
import { secretIn, secretLabel, SECRET_PATTERNS } from '../../src/util/secret-patterns.js';
import { gitAt } from '../../src/workspace/git.js';

const hex = (n: number) => 'ab12cd34'.repeat(Math.ceil(n / 8)).slice(0, n);
const SAMPLES: Record<string, string> = {
  ghp: `ghp_${hex(36)}`,
  github_pat: `github_pat_${hex(22)}_${hex(59)}`,
  gho: `gho_${hex(36)}`,
  ghs: `ghs_${hex(36)}`,
  'sk-ant': `sk-ant-api03-${hex(40)}`,
  xoxb: `xoxb-1234567890-${hex(20)}`,
  xoxp: `xoxp-1234567890-${hex(20)}`,
  AKIA: 'AKIAIOSFODNN7EXAMPLE',
  key: '-----BEGIN OPENSSH PRIVATE KEY-----',
  rsa: '-----BEGIN RSA PRIVATE KEY-----',
};

describe('secretIn', () => {
  it.each(Object.entries(SAMPLES))('catches %s', (_, value) => {
    expect(secretIn(`const x = "${value}";`, [])).not.toBeNull();
  });

  it('leaves look-alikes alone: short or prefix-only strings, prose, a public key', () => {
    for (const text of ['ghp_short', 'see github_pat_ in the docs', 'sk-ant-', 'AKIA1234', '-----BEGIN PUBLIC KEY-----', 'xoxb-', 'the ghp prefix']) {
      expect(secretIn(text, []), text).toBeNull();
    }
  });

  it('catches a value swarm knows, however it is spelled around, but not one shorter than 8 characters', () => {
    expect(secretIn('password=hunter2-very-secret!', ['hunter2-very-secret'])).toMatch(/a secret swarm holds/);
    expect(secretIn('branch: main', ['main'])).toBeNull();
  });

  it('names each kind without any part of the value beyond its fixed prefix', () => {
    for (const p of SECRET_PATTERNS) {
      expect(secretLabel(p.name), p.name).not.toBe(p.name);
      expect(secretLabel(p.name)).not.toMatch(/[0-9a-f]{8}/);
    }
  });
});

describe('scanPatch / scanMessage', () => {
  it('reads file, new-file line and commit from a unified=0 patch; messages are scanned too', () => {
    const c = 'a'.repeat(40);
    const patch = [
      'diff --git a/config/app.yml b/config/app.yml',
      'index 1111111..2222222 100644',
      '--- a/config/app.yml',
      '+++ b/config/app.yml',
      '@@ -10,0 +11,2 @@',
      '+name: app',
      `+token: ${SAMPLES.gho}`,
      'diff --git a/keys/id b/keys/id',
      'new file mode 100644',
      '--- /dev/null',
      '+++ b/keys/id',
      '@@ -0,0 +1 @@',
      `+${SAMPLES.key}`,
      'diff --git a/old.yml b/old.yml',
      '--- a/old.yml',
      '+++ b/old.yml',
      '@@ -12 +11,0 @@',
      `-token: ${SAMPLES.gho}`,
    ].join('\n');
    const f = [...scanMessage(`Add config\n\nwith ${SAMPLES.ghp} in it`, c, []), ...scanPatch(patch, c, [])];
    expect(f).toEqual([
      { commit: c, file: '(commit message)', line: 3, kind: expect.stringMatching(/ghp_/) },
      { commit: c, file: 'config/app.yml', line: 12, kind: expect.stringMatching(/gho_/) },
      { commit: c, file: 'keys/id', line: 1, kind: expect.stringMatching(/private key/) },
    ]);
    const text = describeFindings(f);
    expect(text).toContain('config/app.yml line 12 (commit aaaaaaa)');
    for (const v of Object.values(SAMPLES)) expect(text).not.toContain(v);
  });

  it('content made to look like patch headers cannot hide a line: hunk counts decide', () => {
    const patch = [
      'diff --git a/x b/x',
      '--- a/x',
      '+++ b/x',
      '@@ -0,0 +1,3 @@',
      `+++ b/${SAMPLES.ghp}`, // an added line "++ b/ghp_…"
      '+@@ -1 +1 @@',
      `+${SAMPLES.AKIA}`,
    ].join('\n');
    expect(scanPatch(patch, 'c', []).map((x) => `${x.file}:${x.line}`)).toEqual(['x:1', 'x:3']);
  });
});

describe('scanCommits against real git', () => {
  let dir: string;
  const sh = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } }).trim();
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-scan-'));
    sh('init', '-q', '-b', 'main');
    sh('config', 'user.name', 't');
    sh('config', 'user.email', 't@example.invalid');
    fs.writeFileSync(path.join(dir, 'a.txt'), 'one\n');
    sh('add', '.');
    sh('commit', '-qm', 'base');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a token added in one commit and deleted in the next is still found (history is pushed, not the final diff)', async () => {
    const base = sh('rev-parse', 'HEAD');
    fs.writeFileSync(path.join(dir, 'a.txt'), `one\ntwo\n${SAMPLES.ghp}\n`);
    sh('commit', '-qam', 'add');
    fs.writeFileSync(path.join(dir, 'a.txt'), 'one\ntwo\n');
    sh('commit', '-qam', 'remove');
    fs.writeFileSync(path.join(dir, 'bin.dat'), Buffer.concat([Buffer.from([0, 1, 2, 0]), Buffer.from(`\n${SAMPLES.AKIA}\n`)]));
    sh('add', 'bin.dat');
    sh('commit', '-qm', 'binary');
    const head = sh('rev-parse', 'HEAD');
    const f = await scanCommits(gitAt(dir), head, [base], []);
    expect(f.map((x) => `${x.file}:${x.line}`).sort()).toEqual(['a.txt:3', 'bin.dat:2']); // control bytes in the binary change nothing
    expect(await scanCommits(gitAt(dir), base, [base], [])).toEqual([]);
  });
});
