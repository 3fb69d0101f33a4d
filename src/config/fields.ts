// Typed readers for one mapping of WORKFLOW.md front matter. Each reader resolves `$NAME` values from
// the environment, applies the default for absent/null keys, and throws a ConfigError that names the
// file, the full key path, what is expected and what was found. Keys never read are reported as
// "unknown key … (ignored)" warnings by `finish()`, so the list of known keys is the code itself.
import { DURATION_HINT, parseDuration } from './duration.js';
import { ConfigError } from '../errors.js';
import { closest } from '../util/did-you-mean.js';

export type Env = Record<string, string | undefined>;

const ENV_REF = /^\$([A-Za-z_][A-Za-z0-9_]*)$/;

/** How a value appears in an error message: strings quoted, containers named, never huge. */
export function shown(value: unknown): string {
  if (typeof value === 'string') {
    const s = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(s);
  }
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a date';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Shared state of one validation run: file name, environment, warnings, secrets. */
export class Reader {
  readonly warnings: string[] = [];
  constructor(
    readonly file: string,
    readonly env: Env,
  ) {}

  fail(path: string, what: string, got: unknown, envName?: string): never {
    const from = envName ? ` from $${envName}` : '';
    throw new ConfigError(`${this.file}: ${path} must be ${what} (got ${shown(got)}${from})`);
  }

  /** `$NAME` → the environment's value; a missing variable is an error naming key and variable. */
  resolve(value: unknown, path: string): { value: unknown; envName?: string } {
    if (typeof value !== 'string') return { value };
    const m = ENV_REF.exec(value.trim());
    if (!m) return { value };
    const name = m[1]!;
    const v = this.env[name];
    if (v === undefined || v === '') {
      throw new ConfigError(
        `${this.file}: ${path} is $${name}, but the environment variable ${name} is not set ` +
          `(export ${name}, or write the value in ${this.file})`,
      );
    }
    return { value: v, envName: name };
  }

  root(raw: unknown): Section {
    if (raw === null || raw === undefined) return new Section(this, '', {});
    if (!isMapping(raw)) this.fail('the front matter', 'a YAML mapping of keys (key: value)', raw);
    return new Section(this, '', raw);
  }
}

export class Section {
  private readonly seen = new Set<string>();
  constructor(
    private readonly r: Reader,
    readonly path: string,
    private readonly obj: Record<string, unknown>,
  ) {}

  get file(): string {
    return this.r.file;
  }

  keyPath(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  /** The resolved value of `key`, or undefined when absent or null (→ the caller's default). */
  get(key: string): { value: unknown; envName?: string } | undefined {
    this.seen.add(key);
    const raw = this.obj[key];
    if (raw === undefined || raw === null) return undefined;
    const res = this.r.resolve(raw, this.keyPath(key));
    return res.value === null ? undefined : res;
  }

  sub(key: string): Section {
    const v = this.get(key);
    if (!v) return new Section(this.r, this.keyPath(key), {});
    if (!isMapping(v.value)) this.r.fail(this.keyPath(key), 'a mapping of keys (key: value)', v.value, v.envName);
    return new Section(this.r, this.keyPath(key), v.value);
  }

  /** Keys of this mapping, each marked as read (for free-form maps such as agent.env). */
  entries(): [string, unknown][] {
    for (const k of Object.keys(this.obj)) this.seen.add(k);
    return Object.entries(this.obj);
  }

  str(key: string, def: string, opts: { nonEmpty?: boolean } = {}): string {
    const v = this.get(key);
    if (!v) return def;
    const what = opts.nonEmpty ? 'a non-empty string' : 'a string';
    const s = typeof v.value === 'number' ? String(v.value) : v.value;
    if (typeof s !== 'string') return this.r.fail(this.keyPath(key), what, v.value, v.envName);
    if (opts.nonEmpty && s.trim() === '') return this.r.fail(this.keyPath(key), what, v.value, v.envName);
    return s;
  }

  strOrNull(key: string, def: string | null = null): string | null {
    const v = this.get(key);
    if (!v) return def;
    const s = typeof v.value === 'number' ? String(v.value) : v.value;
    if (typeof s !== 'string' || s.trim() === '') {
      return this.r.fail(this.keyPath(key), 'a non-empty string or null', v.value, v.envName);
    }
    return s;
  }

  oneOf<T extends string>(key: string, def: T, values: readonly T[]): T {
    const v = this.get(key);
    if (!v) return def;
    if (typeof v.value !== 'string' || !(values as readonly string[]).includes(v.value)) {
      return this.r.fail(this.keyPath(key), `one of ${values.join(' | ')}`, v.value, v.envName);
    }
    return v.value as T;
  }

  bool(key: string, def: boolean): boolean {
    const v = this.get(key);
    if (!v) return def;
    if (typeof v.value === 'boolean') return v.value;
    if (v.value === 'true') return true;
    if (v.value === 'false') return false;
    return this.r.fail(this.keyPath(key), 'true or false', v.value, v.envName);
  }

  private number(key: string, v: { value: unknown; envName?: string }, what: string): number {
    const n = typeof v.value === 'string' && v.value.trim() !== '' ? Number(v.value) : v.value;
    if (typeof n !== 'number' || !Number.isFinite(n)) return this.r.fail(this.keyPath(key), what, v.value, v.envName);
    return n;
  }

  int(key: string, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.get(key);
    if (!v) return def;
    const what = max === Number.MAX_SAFE_INTEGER ? `a whole number ≥ ${min}` : `a whole number from ${min} to ${max}`;
    const n = this.number(key, v, what);
    if (!Number.isInteger(n) || n < min || n > max) return this.r.fail(this.keyPath(key), what, v.value, v.envName);
    return n;
  }

  intOrNull(key: string, min: number, max: number): number | null {
    if (!this.get(key)) return null;
    return this.int(key, 0, min, max);
  }

  /** A positive amount (e.g. US dollars) or null. */
  positiveOrNull(key: string, unit: string): number | null {
    const v = this.get(key);
    if (!v) return null;
    const what = `a positive number of ${unit}, or null`;
    const n = this.number(key, v, what);
    if (n <= 0) return this.r.fail(this.keyPath(key), what, v.value, v.envName);
    return n;
  }

  /** A share above 0 and at most 1 (e.g. 0.8), or null. */
  fractionOrNull(key: string): number | null {
    const v = this.get(key);
    if (!v) return null;
    const what = 'a number above 0 and at most 1 (e.g. 0.8 for 80%), or null';
    const n = this.number(key, v, what);
    if (n <= 0 || n > 1) return this.r.fail(this.keyPath(key), what, v.value, v.envName);
    return n;
  }

  duration(key: string, def: number, min = 1): number {
    const v = this.get(key);
    if (!v) return def;
    const ms = parseDuration(v.value, this.keyPath(key), this.r.file);
    if (ms < min) {
      const floor = min <= 1 ? 'greater than zero' : `at least ${min} ms`;
      return this.r.fail(this.keyPath(key), `${DURATION_HINT}, ${floor}`, v.value, v.envName);
    }
    return ms;
  }

  /** A list of strings; a single string is taken as a one-item list. */
  list(key: string, def: string[], opts: { nonEmpty?: boolean } = {}): string[] {
    const v = this.get(key);
    if (!v) {
      if (opts.nonEmpty && def.length === 0) this.r.fail(this.keyPath(key), 'a non-empty list of strings', []);
      return [...def];
    }
    const items = typeof v.value === 'string' ? [v.value] : v.value;
    const what = opts.nonEmpty ? 'a non-empty list of non-empty strings' : 'a list of non-empty strings';
    if (!Array.isArray(items)) return this.r.fail(this.keyPath(key), what, v.value, v.envName);
    if (opts.nonEmpty && items.length === 0) return this.r.fail(this.keyPath(key), what, v.value, v.envName);
    return items.map((item, i) => {
      const p = `${this.keyPath(key)}[${i}]`;
      const res = this.r.resolve(item, p);
      const s = typeof res.value === 'number' ? String(res.value) : res.value;
      if (typeof s !== 'string' || s.trim() === '') return this.r.fail(p, 'a non-empty string', res.value, res.envName);
      return s;
    });
  }

  /** A mapping of environment variable names to string values (numbers and booleans are stringified). */
  stringMap(key: string): Record<string, string> {
    const section = this.sub(key);
    const out: Record<string, string> = {};
    for (const [name, raw] of section.entries()) {
      const p = section.keyPath(name);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        this.r.fail(p, 'named like an environment variable (letters, digits, _)', name);
      }
      if (raw === null || raw === undefined) {
        out[name] = '';
        continue;
      }
      const res = this.r.resolve(raw, p);
      if (typeof res.value === 'string') out[name] = res.value;
      else if (typeof res.value === 'number' || typeof res.value === 'boolean') out[name] = String(res.value);
      else this.r.fail(p, 'a string', res.value, res.envName);
    }
    return out;
  }

  /** Warn about every key of this mapping that no reader asked for (the keys read are the known ones: did you mean one?). */
  finish(): void {
    for (const k of Object.keys(this.obj)) {
      if (this.seen.has(k)) continue;
      const near = closest(k, this.seen);
      this.r.warnings.push(`${this.r.file}: unknown key ${this.keyPath(k)} (ignored)${near ? `; did you mean ${this.keyPath(near)}?` : ''}`);
    }
  }
}

/** A URL with one of `protocols`, or null. Secret-bearing URLs are never echoed in the error. */
export function urlOrNull(s: Section, key: string, protocols: string[], what: string, secret: boolean): string | null {
  const value = s.strOrNull(key);
  if (value === null) return null;
  let ok = false;
  try {
    ok = protocols.includes(new URL(value).protocol);
  } catch {
    ok = false;
  }
  if (!ok) {
    const got = secret ? 'a value that is not one; not shown as it may hold a secret' : JSON.stringify(value);
    throw new ConfigError(`${s.file}: ${s.keyPath(key)} must be ${what} (got ${got})`);
  }
  return value;
}
