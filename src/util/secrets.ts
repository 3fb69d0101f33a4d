// Secret redaction shared by every sink (stdout lines, events.jsonl, state.json, transcripts, tracker
// writes, notifications, CLI error messages). A secret is matched in the forms it takes on the way out: as
// is, escaped inside a JSON string, URL-encoded, and — for URLs such as a webhook — by its secret-bearing
// path and password alone; then the high-confidence token patterns of secret-patterns.ts (a GitHub token,
// an Anthropic key, a private key, a URL's password) are masked whoever they belong to. A process-wide
// registry lets sinks that are far from the configuration (the CLI's error report, the agent's stream)
// mask whatever this process has read, without threading the list through every call.
import { maskSecretPatterns } from './secret-patterns.js';

/** Values shorter than this are not treated as secrets (masking "main" or "1" would wreck every line). */
export const MIN_SECRET_LENGTH = 4;
/** A URL's path/query is treated as a secret of its own once it is at least this long (webhook tokens). */
const MIN_URL_PART = 12;
export const MASK = '***';

/** The secret-bearing parts of a URL (its password, a long path/query); [] for anything that is not a URL. */
export function urlParts(value: string): string[] {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return [];
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return [];
  }
  const out: string[] = [];
  const tail = u.pathname + u.search;
  if (tail.length >= MIN_URL_PART && tail !== '/') out.push(tail, tail.replace(/^\/+/, ''));
  if (u.password) out.push(u.password, decodeSafe(u.password));
  return out;
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Every form a secret may take in output: raw, JSON-escaped (with and without `\/`), URL-encoded, and the
 * path/password of a URL. Deduplicated, short values dropped, longest first (a secret containing another
 * is masked whole).
 */
export function expandSecrets(values: readonly (string | null | undefined)[]): string[] {
  const out = new Set<string>();
  const add = (v: string) => {
    if (v.length >= MIN_SECRET_LENGTH) out.add(v);
  };
  for (const raw of values) {
    if (typeof raw !== 'string') continue;
    const v = raw.trim();
    if (v.length < MIN_SECRET_LENGTH) continue;
    for (const form of [v, ...urlParts(v)]) {
      if (form.length < MIN_SECRET_LENGTH) continue;
      add(form);
      const json = JSON.stringify(form).slice(1, -1);
      add(json);
      add(json.replace(/\//g, '\\/'));
      add(encodeURIComponent(form));
    }
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/** Replace every occurrence of every (already expanded) secret, then every secret-shaped token, by `***`. */
export function redactWith(secrets: readonly string[], text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(MASK);
  return maskSecretPatterns(out, MASK);
}

/** A redaction function for a list of raw secret values (and the token patterns). */
export function makeRedactor(values: readonly (string | null | undefined)[]): (text: string) => string {
  const secrets = expandSecrets(values);
  return (t) => redactWith(secrets, t);
}

// --- process-wide registry ---------------------------------------------------------------------

const registry = new Set<string>();
let registryExpanded: string[] = [];

/** Remember secrets this process has read, so any sink can mask them (never forgets within a process). */
export function registerSecrets(values: readonly (string | null | undefined)[]): void {
  let changed = false;
  for (const v of values) {
    if (typeof v === 'string' && v.trim().length >= MIN_SECRET_LENGTH && !registry.has(v.trim())) {
      registry.add(v.trim());
      changed = true;
    }
  }
  if (changed) registryExpanded = expandSecrets([...registry]);
}

/** Every raw secret value this process has registered so far. */
export function knownSecrets(): string[] {
  return [...registry];
}

/** Mask every registered secret, plus any `extra` values (e.g. token variables of the environment). */
export function redactKnown(text: string, extra: readonly (string | null | undefined)[] = []): string {
  const more = extra.filter((v): v is string => typeof v === 'string' && v.trim().length >= MIN_SECRET_LENGTH);
  const secrets = more.length === 0 ? registryExpanded : expandSecrets([...registry, ...more]);
  return redactWith(secrets, text);
}

/**
 * Replace secrets inside every string of a JSON-like value, in place (objects and arrays are walked; keys
 * are left alone). Used on the persisted state so memory, disk and anything served from either agree.
 */
export function redactDeep(value: unknown, redact: (s: string) => string, depth = 0): void {
  if (depth > 64 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (typeof v === 'string') {
        const r = redact(v);
        if (r !== v) value[i] = r;
      } else redactDeep(v, redact, depth + 1);
    }
    return;
  }
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (typeof v === 'string') {
      const r = redact(v);
      if (r !== v) obj[k] = r;
    } else redactDeep(v, redact, depth + 1);
  }
}

/** The raw secret values this process has registered (for scanning what the agent wants published). */
export function knownSecretValues(): string[] {
  return [...registry];
}
