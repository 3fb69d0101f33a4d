// The house's shape, enforced: src/core/ holds the rules and stays pure (no I/O, no clock, no randomness,
// nothing from the floors above it), no import circle anywhere in src/, and no import from a lower floor to
// a higher one. The floor order and the import walk are scripts/house.mjs, the same code that
// `node scripts/house-numbers.mjs` prints the numbers with.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FLOORS, circles, floorRank, readHouse, upward, type HouseFile } from '../../scripts/house.mjs';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const house = readHouse(SRC);
const core = house.filter((f) => f.rel.startsWith('core/'));

/**
 * Imports allowed to run up the floors, each with the reason it must. Keep it short: an entry here is a
 * seam not yet found. An entry that no longer matches an import fails the test (delete it).
 */
const ALLOWED_UPWARD: { from: string; to: string; why: string }[] = [];

/** Folders the rules may never import from, whatever the floor order says. */
const NOT_FROM_CORE = ['state/', 'orchestrator/', 'fleet/', 'account/', 'server/', 'log/', 'backend/'];

/** Source text without comments, so a comment naming `Date.now` is not a clock read. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** What the core rules find wrong with one file (exported shape for the self-test below). */
function coreProblems(f: HouseFile): string[] {
  const out: string[] = [];
  for (const ext of f.external) out.push(`${f.rel} imports ${ext}: core/ takes no I/O module or package (pass what it needs in)`);
  for (const t of f.imports) {
    if (NOT_FROM_CORE.some((d) => t.startsWith(d))) out.push(`${f.rel} imports ${t}: core/ may not reach ${t.split('/')[0]}/`);
  }
  const body = code(f.text);
  for (const [re, what] of [[/\bDate\.now\b/, 'Date.now'], [/\bnew Date\(\s*\)/, 'new Date()'], [/\bMath\.random\b/, 'Math.random'], [/\bprocess\./, 'process.']] as const) {
    if (re.test(body)) out.push(`${f.rel} uses ${what}: core/ takes the time, randomness and environment as parameters`);
  }
  return out;
}

/**
 * Where the `pg` package may be imported: all of PostgreSQL lives in src/backend/postgres/. Commands that
 * need the database without a daemon (`swarm pause …` in a fleet clone, `swarm state migrate`) load
 * backend/postgres/ lazily and so never name pg themselves. Entries: a src-relative file and why.
 */
const PG_OUTSIDE_POSTGRES: { file: string; why: string }[] = [];

/**
 * Who reads `state.url` ("embedded or fleet?"): config/ parses it and backend/open.ts decides once. The
 * others, each with the reason it must:
 */
const STATE_URL_READERS: { file: string; why: string }[] = [
  { file: 'fleet/settings.ts', why: 'commands run without a daemon here (pause/resume/retry/release, state migrate) ask whether the clone is in a fleet, without opening a backend' },
  { file: 'core/budget-day.ts', why: 'a fleet keeps its budget days in UTC unless budget.timezone says otherwise (one day for every daemon)' },
  { file: 'commands/state-migrate.ts', why: 'the database `swarm state migrate` copies into defaults to state.url' },
];

/** Reads of the `state.url` setting in code (a property access, not a word in a message or a comment). */
const READS_STATE_URL = /(\.|\?\.)state\??\.url\b/;

function pgProblems(files: HouseFile[]): string[] {
  return files
    .filter((f) => !f.rel.startsWith('backend/postgres/') && f.external.some((e) => e === 'pg' || e.startsWith('pg/')))
    .filter((f) => !PG_OUTSIDE_POSTGRES.some((a) => a.file === f.rel))
    .map((f) => `${f.rel} imports pg: PostgreSQL code belongs in src/backend/postgres/`);
}

function stateUrlProblems(files: HouseFile[]): string[] {
  return files
    .filter((f) => !f.rel.startsWith('config/') && f.rel !== 'backend/open.ts' && READS_STATE_URL.test(code(f.text)))
    .filter((f) => !STATE_URL_READERS.some((a) => a.file === f.rel))
    .map((f) => `${f.rel} reads state.url: "embedded or fleet?" is decided in backend/open.ts (hand the part the backend it opened)`);
}

function upwardProblems(files: HouseFile[]): string[] {
  const allowed = (u: { from: string; to: string }) => ALLOWED_UPWARD.some((a) => a.from === u.from && a.to === u.to);
  return upward(files).filter((u) => !allowed(u)).map((u) => `${u.from} imports ${u.to}, a higher floor`);
}

describe('the house', () => {
  it('reads the whole of src/ (a walk that found nothing would prove nothing)', () => {
    expect(house.length).toBeGreaterThan(100);
    expect(core.length).toBeGreaterThan(10);
    expect(core.some((f) => f.imports.length > 0)).toBe(true);
  });

  it('src/core/ is pure: no node:* or package import, nothing from state/, orchestrator/, fleet/, account/, server/, log/, no clock, randomness or process', () => {
    expect(core.flatMap(coreProblems)).toEqual([]);
  });

  it('has no import circle in src/', () => {
    expect(circles(house).map((c) => c.join(' → '))).toEqual([]);
  });

  it('has no import from a lower floor to a higher one outside the allow-list', () => {
    expect(upwardProblems(house)).toEqual([]);
  });

  it('keeps the allow-list honest: every entry still matches an import that runs up', () => {
    const up = upward(house);
    expect(ALLOWED_UPWARD.filter((a) => !up.some((u) => u.from === a.from && u.to === a.to))).toEqual([]);
  });

  it('imports the pg package only under src/backend/postgres/', () => {
    expect(house.some((f) => f.rel.startsWith('backend/postgres/') && f.external.includes('pg'))).toBe(true);
    expect(pgProblems(house)).toEqual([]);
  });

  it('reads state.url only in config/ and backend/open.ts, and the short list of commented exceptions', () => {
    expect(READS_STATE_URL.test(code(house.find((f) => f.rel === 'backend/open.ts')!.text))).toBe(true);
    expect(stateUrlProblems(house)).toEqual([]);
    // The list stays honest: every exception still reads it.
    expect(STATE_URL_READERS.filter((a) => !READS_STATE_URL.test(code(house.find((f) => f.rel === a.file)?.text ?? '')))).toEqual([]);
  });

  it('places every folder and loose file on a floor, and keeps src/ itself to a few files', () => {
    expect([...new Set(house.filter((f) => floorRank(f.rel) < 0).map((f) => f.rel.split('/')[0]))]).toEqual([]);
    expect(house.filter((f) => !f.rel.includes('/')).length).toBeLessThanOrEqual(4);
    expect(FLOORS.flat().length).toBe(new Set(FLOORS.flat()).size);
  });

  it('catches what it claims to (checked on a made-up house)', () => {
    const file = (rel: string, imports: string[], text = '', external: string[] = []): HouseFile => ({ rel, text, lines: 1, imports, external });
    const made = [
      file('core/a.ts', ['state/b.ts', 'log/logger.ts'], 'const t = Date.now(); // Math.random in a comment\nprocess.exit(1)', ['node:fs']),
      file('state/b.ts', ['core/a.ts', 'orchestrator/c.ts']),
      file('orchestrator/c.ts', ['state/b.ts']),
    ];
    const problems = made.flatMap((f) => (f.rel.startsWith('core/') ? coreProblems(f) : []));
    expect(problems.join('\n')).toMatch(/node:fs/);
    expect(problems.join('\n')).toMatch(/may not reach state\//);
    expect(problems.join('\n')).toMatch(/may not reach log\//);
    expect(problems.join('\n')).toMatch(/Date\.now/);
    expect(problems.join('\n')).toMatch(/process\./);
    expect(problems.join('\n')).not.toMatch(/Math\.random/);
    expect(circles(made)).toEqual([['core/a.ts', 'orchestrator/c.ts', 'state/b.ts']]);
    const stores = [
      file('orchestrator/d.ts', [], "if (wf.config.state.url !== null) log('check state.url');", ['pg']),
      file('commands/e.ts', [], "const url = data?.state?.url; throw new Error('set state.url');"),
      file('commands/f.ts', [], "// config.state.url\nthrow new Error('check state.url and PostgreSQL');"),
      file('backend/postgres/g.ts', [], '', ['pg']),
    ];
    expect(pgProblems(stores)).toEqual(['orchestrator/d.ts imports pg: PostgreSQL code belongs in src/backend/postgres/']);
    expect(stateUrlProblems(stores).map((p) => p.split(' ')[0])).toEqual(['orchestrator/d.ts', 'commands/e.ts']);
    expect(upwardProblems(made)).toEqual([
      'core/a.ts imports state/b.ts, a higher floor',
      'core/a.ts imports log/logger.ts, a higher floor',
      'state/b.ts imports orchestrator/c.ts, a higher floor',
    ]);
  });
});
