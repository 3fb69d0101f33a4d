// High-confidence token shapes: what must never be pushed even when swarm does not know the value. Each
// pattern is specific enough (a fixed prefix and a length) that a hit in a diff is almost surely a real
// credential. `label` is how a finding is named — it never contains any part of the value beyond the
// prefix every such token shares.

export interface SecretPattern {
  label: string;
  re: RegExp;
}

export const SECRET_PATTERNS: readonly SecretPattern[] = [
  { label: 'a GitHub personal access token (ghp_…)', re: /\bghp_[A-Za-z0-9]{36,}/ },
  { label: 'a GitHub fine-grained token (github_pat_…)', re: /\bgithub_pat_[A-Za-z0-9_]{50,}/ },
  { label: 'a GitHub OAuth token (gho_…)', re: /\bgho_[A-Za-z0-9]{36,}/ },
  { label: 'a GitHub app token (ghu_/ghs_/ghr_…)', re: /\bgh[usr]_[A-Za-z0-9]{36,}/ },
  { label: 'an Anthropic key (sk-ant-…)', re: /\bsk-ant-[A-Za-z0-9_-]{20,}/ },
  { label: 'a Slack token (xoxb-/xoxp-…)', re: /\bxox[bpars]-[A-Za-z0-9-]{10,}/ },
  { label: 'an AWS access key id (AKIA…)', re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { label: 'a private key block (-----BEGIN … PRIVATE KEY-----)', re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/ },
];

/** Known secret values shorter than this are not searched for in diffs (too likely to match by chance). */
export const MIN_KNOWN_SECRET = 8;

/** The label of the first pattern or known value found in `text`, or null. */
export function secretIn(text: string, known: readonly string[]): string | null {
  for (const p of SECRET_PATTERNS) if (p.re.test(text)) return p.label;
  for (const k of known) if (k.length >= MIN_KNOWN_SECRET && text.includes(k)) return 'a secret swarm holds (a configured token, key or password)';
  return null;
}
