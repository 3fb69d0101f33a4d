// Strings that are secrets by their shape alone, whoever they belong to: a token the agent found in a file,
// a key pasted into a ticket, a URL with a password in it. Configured secrets are masked by value (secrets.ts);
// these are masked wherever they appear, in every sink that masks the configured ones. The list is the one
// place that knows the formats, for anything else that looks for secrets (e.g. a scan of commits before a
// push). Every pattern is JSON-safe: it never swallows a `"` or half of an escape, so masking a line of a
// stream-json transcript leaves it valid JSON.

export interface SecretPattern {
  /** Stable name, for reports ("github-token"). */
  name: string;
  /** The pattern (no flags: build your own RegExp with `new RegExp(p.regex.source, 'g')` to scan). */
  regex: RegExp;
  /** Cheap literal test: the pattern can only match text containing one of these… */
  hints: readonly string[];
  /** …and this. */
  also?: string;
  /** For patterns whose match carries non-secret context (a URL's scheme and user): the replacement. */
  replace?: (mask: string, ...groups: string[]) => string;
  /** Where the format is defined. */
  source: string;
}

/** A PEM private key body inside a line: base64, whitespace and the JSON escapes \n \r \t only. */
const PEM_HEAD = '-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----';
const PEM_TAIL = '-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----';

export const SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    name: 'github-token',
    // ghp_ (classic PAT), gho_ (OAuth), ghu_ (App user-to-server), ghr_ (refresh): [A-Za-z0-9_], 36 today, up
    // to 255; ghs_ (App installation) now also carries . _ - and has a variable length.
    regex: /\bgh(?:[pour]_[A-Za-z0-9_]{36,255}|s_[A-Za-z0-9._-]{36,255})/,
    hints: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
    source: 'GitHub changelog 2021-03-31 "Authentication token format updates"; 2026-05-15 stateless installation tokens',
  },
  {
    name: 'github-fine-grained-pat',
    regex: /\bgithub_pat_[A-Za-z0-9_]{22,255}/,
    hints: ['github_pat_'],
    source: 'GitHub docs, "Managing your personal access tokens" (github_pat_<22>_<59>)',
  },
  {
    name: 'anthropic-key',
    // sk-ant-api03-… (API keys), sk-ant-oat01-… (OAuth tokens from `claude setup-token`), sk-ant-admin01-….
    regex: /\bsk-ant-[A-Za-z0-9_-]{20,}/,
    hints: ['sk-ant-'],
    source: 'Anthropic Console API keys; Claude Code `setup-token` (CLAUDE_CODE_OAUTH_TOKEN)',
  },
  {
    name: 'slack-token',
    regex: /\bxox[abposr]-[A-Za-z0-9-]{10,}/,
    hints: ['xox'],
    source: 'Slack docs, "Token types" (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xoxo-)',
  },
  {
    name: 'aws-access-key-id',
    regex: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/,
    hints: ['AKIA', 'ASIA'],
    source: 'AWS IAM docs, "Unique identifiers": AKIA (access key), ASIA (temporary credentials)',
  },
  {
    name: 'private-key',
    // A whole block, or — cut off (an excerpt, a torn line) — the header and the key material after it.
    regex: new RegExp(`${PEM_HEAD}(?:(?:[^"\\\\]|\\\\[\\s\\S])*?${PEM_TAIL}|(?:[A-Za-z0-9+/=\\s:,-]|\\\\[nrt])*)`),
    hints: ['PRIVATE KEY'],
    source: 'RFC 7468 (PEM textual encoding); OpenSSH and PGP armour use the same BEGIN/END lines',
  },
  {
    name: 'url-credentials',
    // scheme://user:password@ — the password is masked, scheme and user stay (JSON may escape the slashes).
    regex: /\b([a-z][a-z0-9+.-]*:(?:\/\/|\\\/\\\/))([^\s/?#@:"'<>\\]*):([^\s/?#@"'<>\\]+)@/,
    hints: ['://', ':\\/\\/'],
    also: '@',
    replace: (mask, scheme, user) => `${scheme}${user}:${mask}@`,
    source: 'RFC 3986 §3.2.1 (user information; "user:password" is deprecated for exactly this reason)',
  },
];

const GLOBAL = SECRET_PATTERNS.map((p) => ({ ...p, g: new RegExp(p.regex.source, 'g') }));

function mayMatch(text: string, p: Pick<SecretPattern, 'hints' | 'also'>): boolean {
  if (p.also !== undefined && !text.includes(p.also)) return false;
  for (const h of p.hints) if (text.includes(h)) return true;
  return false;
}

/** `text` with every pattern match masked (only the password of a URL's user-info). */
export function maskSecretPatterns(text: string, mask = '***'): string {
  let out = text;
  for (const p of GLOBAL) {
    if (!mayMatch(out, p)) continue;
    const replace = p.replace;
    p.g.lastIndex = 0;
    // The callback gets (match, ...groups, offset, whole text): the groups are all but the last two.
    out = replace ? out.replace(p.g, (_m, ...args: unknown[]) => replace(mask, ...(args.slice(0, -2) as string[]))) : out.replace(p.g, mask);
  }
  return out;
}

export interface SecretMatch {
  name: string;
  index: number;
  length: number;
}

/** Every pattern match in `text` (for scanners that report rather than mask), in order of position. */
export function findSecretPatterns(text: string): SecretMatch[] {
  const out: SecretMatch[] = [];
  for (const p of SECRET_PATTERNS) {
    if (!mayMatch(text, p)) continue;
    for (const m of text.matchAll(new RegExp(p.regex.source, 'g'))) {
      if (p.name === 'url-credentials' && m[3] === '***') continue; // already masked
      out.push({ name: p.name, index: m.index ?? 0, length: m[0].length });
    }
  }
  return out.sort((a, b) => a.index - b.index);
}

/** How a finding of each pattern is named to people: never any part of the value beyond its shared prefix. */
const LABELS: Record<string, string> = {
  'github-token': 'a GitHub token (ghp_/gho_/ghu_/ghs_/ghr_…)',
  ghp_: 'a GitHub personal access token (ghp_…)',
  gho_: 'a GitHub OAuth token (gho_…)',
  ghu_: 'a GitHub App user token (ghu_…)',
  ghs_: 'a GitHub App installation token (ghs_…)',
  ghr_: 'a GitHub refresh token (ghr_…)',
  'github-fine-grained-pat': 'a GitHub fine-grained token (github_pat_…)',
  'anthropic-key': 'an Anthropic key (sk-ant-…)',
  'slack-token': 'a Slack token (xox…-)',
  'aws-access-key-id': 'an AWS access key id (AKIA…)',
  'private-key': 'a private key block (-----BEGIN … PRIVATE KEY-----)',
  'url-credentials': 'a password in a URL (scheme://user:password@)',
};

/** A pattern's name as people read it in a finding ("a GitHub token (ghp_…)"). */
export function secretLabel(name: string): string {
  return LABELS[name] ?? name;
}

/** Known secret values shorter than this are not searched for in diffs (too likely to match by chance). */
export const MIN_KNOWN_SECRET = 8;

/** How the first pattern or known value found in `text` is named, or null: for scans that report, never mask. */
export function secretIn(text: string, known: readonly string[]): string | null {
  const hit = findSecretPatterns(text)[0];
  // A GitHub token is named by its prefix (ghp_ is a person's token, ghs_ an App's): said, never the value.
  if (hit) return secretLabel(hit.name === 'github-token' ? text.slice(hit.index, hit.index + 4) : hit.name);
  for (const k of known) if (k.length >= MIN_KNOWN_SECRET && text.includes(k)) return 'a secret swarm holds (a configured token, key or password)';
  return null;
}
