import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { branchName, isValidBranchName, prefixProblem, resolveUnder, slugify, worktreeDirName } from '../../src/workspace/naming.js';
import { WorkspaceError } from '../../src/errors.js';

function gitAccepts(name: string): boolean {
  const r = spawnSync('git', ['check-ref-format', '--branch', name], { cwd: os.tmpdir(), encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === name;
}

const HOSTILE: string[] = [
  '../../etc/passwd',
  '../',
  '..',
  '.',
  '/etc/passwd',
  '/absolute/path/',
  '$(touch x)',
  '`touch x`',
  'a; rm -rf /',
  'line1\nline2\r\n',
  'nul\0byte',
  'Café crème',
  'émoji 🚀🔥 rocket',
  '\u202Eevil\u202Dtxt.exe', // RTL override
  'עברית بالعربية',
  'x'.repeat(10_000),
  '-rf',
  '--upload-pack=touch x',
  '.hidden',
  'foo.lock',
  'a..b',
  'a@{1}',
  'HEAD',
  '@',
  'refs/heads/main',
  'trailing.',
  'trailing/',
  'a//b',
  'tab\there',
  '~^:?*[\\',
  '   ',
  '',
  '\x7f\x01\x1b[31m',
  '....lock',
];

describe('slugify', () => {
  it('lower-cases and turns runs of other characters into one dash, trimmed', () => {
    expect(slugify('Fix the  Login -- Bug!')).toBe('fix-the-login-bug');
    expect(slugify('  --Hello__World--  ')).toBe('hello-world');
    expect(slugify('Café')).toBe('caf');
  });

  it('cuts at 40 characters and re-trims a dangling dash', () => {
    const s = slugify('a'.repeat(39) + ' bcdef');
    expect(s).toBe('a'.repeat(39));
    expect(slugify('word '.repeat(30)).length).toBeLessThanOrEqual(40);
    expect(slugify('x'.repeat(100))).toBe('x'.repeat(40));
  });

  it('falls back to "ticket" when nothing usable remains', () => {
    expect(slugify('')).toBe('ticket');
    expect(slugify('🚀🚀')).toBe('ticket');
    expect(slugify('---')).toBe('ticket');
  });
});

describe('branchName', () => {
  it('is <prefix><number>-<slug> and deterministic', () => {
    const t = { key: '12', number: 12, title: 'Fix the login bug', branch_hint: null };
    expect(branchName('swarm/', t)).toBe('swarm/12-fix-the-login-bug');
    expect(branchName('swarm/', { ...t })).toBe(branchName('swarm/', t));
  });

  it('uses the key when there is no number, and the tracker hint when given', () => {
    expect(branchName('swarm/', { key: 'fix-login', number: 0, title: 'Fix login' })).toBe('swarm/fix-login-fix-login');
    expect(branchName('swarm/', { key: 'ENG-7', number: 7, title: 'x', branch_hint: 'alice/eng-7-do-it' })).toBe(
      'swarm/alice/eng-7-do-it',
    );
    expect(branchName('', { key: '3', number: 3, title: 'Hi' })).toBe('3-hi');
  });

  it('turns every hostile key, title and hint into a branch git accepts (≤ 100 chars)', () => {
    const names = new Set<string>();
    for (const h of HOSTILE) {
      for (const t of [
        { key: h, number: 0, title: h, branch_hint: null },
        { key: 'k', number: 5, title: h, branch_hint: h },
        { key: h, number: -1, title: h, branch_hint: '' },
      ]) {
        const name = branchName('swarm/', t);
        expect(name.length, JSON.stringify(h)).toBeLessThanOrEqual(100);
        expect(isValidBranchName(name), name).toBe(true);
        expect(gitAccepts(name), name).toBe(true);
        names.add(name);
      }
    }
    expect(names.size).toBeGreaterThan(HOSTILE.length);
  });

  it('never gives two different keys that sanitize alike the same branch', () => {
    const a = branchName('swarm/', { key: 'fix login', number: 0, title: 'Same title' });
    const b = branchName('swarm/', { key: 'fix/login', number: 0, title: 'Same title' });
    const c = branchName('swarm/', { key: 'fix-login', number: 0, title: 'Same title' });
    expect(new Set([a, b, c]).size).toBe(3);
    // Two tickets whose titles slugify identically still differ by number.
    expect(branchName('swarm/', { key: '1', number: 1, title: 'Fix: login!' })).not.toBe(
      branchName('swarm/', { key: '2', number: 2, title: 'fix login' }),
    );
  });

  it('keeps long hints within 100 characters and distinct', () => {
    const a = branchName('swarm/', { key: 'k', number: 1, title: '', branch_hint: 'h'.repeat(200) + 'a' });
    const b = branchName('swarm/', { key: 'k', number: 1, title: '', branch_hint: 'h'.repeat(200) + 'b' });
    expect(a.length).toBeLessThanOrEqual(100);
    expect(a).not.toBe(b);
    expect(gitAccepts(a)).toBe(true);
  });

  it('validates the operator prefix and throws EPREFIX for a bad one', () => {
    for (const ok of ['', 'swarm/', 'agent-', 'bots/swarm/', 'swarm.']) {
      expect(prefixProblem(ok), ok).toBeNull();
      expect(gitAccepts(branchName(ok, { key: 'lock', number: 0, title: '', branch_hint: 'lock' }))).toBe(true);
    }
    for (const bad of ['swarm//', '../', '-x/', 'a b/', 'x.lock/', '.swarm/', 'a@{/', 'sw~arm/', 'é/']) {
      expect(prefixProblem(bad), bad).not.toBeNull();
      expect(() => branchName(bad, { key: '1', number: 1, title: 't' })).toThrow(WorkspaceError);
    }
  });

  it('agrees with git check-ref-format on its validity rules', () => {
    for (const n of ['a', 'a/b', 'a.b', 'a-b_c', 'a..b', 'a.lock', 'a/.b', '-a', 'a/', 'a.', 'a@{b', 'a b', 'a//b', 'HEAD']) {
      expect(isValidBranchName(n), n).toBe(gitAccepts(n));
    }
  });
});

describe('worktreeDirName', () => {
  it('keeps already-safe names and alters the rest with a hash suffix', () => {
    expect(worktreeDirName('12-fix-login')).toBe('12-fix-login');
    const d = worktreeDirName('swarm/12-fix-login');
    expect(d).toMatch(/^swarm-12-fix-login-[0-9a-f]{8}$/);
    expect(worktreeDirName('swarm/12-fix-login')).toBe(d);
  });

  it('never collides for inputs that sanitize alike', () => {
    const inputs = ['swarm/a-b', 'swarm-a/b', 'swarm/A-B', 'swarm-a-b', 'x'.repeat(200) + '1', 'x'.repeat(200) + '2'];
    const dirs = inputs.map(worktreeDirName);
    expect(new Set(dirs).size).toBe(inputs.length);
  });

  it('yields one safe segment for every hostile input', () => {
    for (const h of HOSTILE) {
      const d = worktreeDirName(h);
      expect(d, JSON.stringify(h)).toMatch(/^[a-z0-9_][a-z0-9._-]*$/);
      expect(d.length).toBeLessThanOrEqual(80);
    }
  });
});

describe('resolveUnder', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-naming-')));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('creates the root and keeps every sanitized hostile name strictly inside it', () => {
    const root = path.join(tmp, 'worktrees');
    for (const h of HOSTILE) {
      const p = resolveUnder(root, worktreeDirName(branchName('swarm/', { key: h, number: 0, title: h, branch_hint: h })));
      expect(path.dirname(p)).toBe(root);
    }
    expect(fs.statSync(root).isDirectory()).toBe(true);
  });

  it('rejects raw escapes with EPATH', () => {
    const root = path.join(tmp, 'root');
    for (const bad of ['..', '../x', '/etc', 'a/../../x', '', '.', 'nul\0x']) {
      let err: unknown;
      try {
        resolveUnder(root, bad);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(bad)).toBeInstanceOf(WorkspaceError);
      expect((err as WorkspaceError).code).toBe('EPATH');
    }
  });

  it('resolves a root that is itself a symlink', () => {
    const real = path.join(tmp, 'real-root');
    fs.mkdirSync(real);
    const link = path.join(tmp, 'link-root');
    fs.symlinkSync(real, link);
    expect(resolveUnder(link, 'abc')).toBe(path.join(real, 'abc'));
  });

  it('rejects a name that escapes through a symlink inside the root', () => {
    const root = path.join(tmp, 'root');
    const outside = path.join(tmp, 'outside');
    fs.mkdirSync(root);
    fs.mkdirSync(outside);
    fs.symlinkSync(outside, path.join(root, 'sneaky'));
    expect(() => resolveUnder(root, 'sneaky')).toThrow(/outside/);
    expect(() => resolveUnder(root, 'sneaky/new-dir')).toThrow(WorkspaceError);
    fs.symlinkSync(root, path.join(root, 'self'));
    expect(() => resolveUnder(root, 'self')).toThrow(WorkspaceError);
  });
});
