// The token patterns: each vendor's documented shape is masked wherever it appears (prose, a JSON line of
// a transcript, a URL), look-alikes that are not tokens are left alone, a masked JSON line stays valid
// JSON, and the stream redactor applies them across chunks and to a private key torn by an early flush.
import { describe, expect, it } from 'vitest';
import { findSecretPatterns, maskSecretPatterns, SECRET_PATTERNS } from '../../src/util/secret-patterns.js';
import { makeRedactor, redactKnown } from '../../src/util/secrets.js';
import { LineRedactor } from '../../src/agent/redact-stream.js';

const b62 = (n: number, seed = 7) => Array.from({ length: n }, (_, i) => 'aB3dE5gH7jK9mN1pQ2sT4vW6xY8z0'[(i * seed) % 29]).join('');
const PEM = ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun', 'VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK', '-----END RSA PRIVATE KEY-----'].join('\n');

const SAMPLES: Record<string, string> = {
  'github-token': `ghp_${b62(36)}`,
  'github-fine-grained-pat': `github_pat_${b62(22)}_${b62(59, 11)}`,
  'anthropic-key': `sk-ant-api03-${b62(93)}AA`,
  'slack-token': 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx',
  'aws-access-key-id': 'AKIAIOSFODNN7EXAMPLE',
  'private-key': PEM,
};

describe('secret patterns', () => {
  it('mask every documented token shape in prose and inside a JSON line (which stays valid JSON)', () => {
    for (const [name, token] of Object.entries(SAMPLES)) {
      expect(maskSecretPatterns(`found ${token} here`), name).toBe('found *** here');
      const line = JSON.stringify({ type: 'user', content: `cat .env\nKEY=${token}\nok` });
      const masked = maskSecretPatterns(line);
      expect(masked, name).not.toContain(token.slice(12, 30));
      expect(JSON.parse(masked).content, name).toBe('cat .env\nKEY=***\nok');
      expect(findSecretPatterns(`x ${token}`).map((m) => m.name), name).toEqual([name]);
    }
    expect(SECRET_PATTERNS.map((p) => p.name).sort()).toEqual([...Object.keys(SAMPLES), 'url-credentials'].sort());
  });

  it('mask the other GitHub prefixes and the new variable-length installation tokens', () => {
    for (const prefix of ['gho_', 'ghu_', 'ghs_', 'ghr_']) expect(maskSecretPatterns(`${prefix}${b62(36)}`)).toBe('***');
    expect(maskSecretPatterns(`ghs_${b62(40)}.${b62(20)}-x_y end`)).toBe('*** end');
    expect(maskSecretPatterns('ASIAY34FZKBOKMUTVV7A')).toBe('***');
    for (const t of ['xoxp-1-2-3-abcdef', 'xoxa-2-abcdefghij', 'xoxr-abcdefghijkl', 'xoxs-abcdefghijkl', 'xoxo-abcdefghijkl']) expect(maskSecretPatterns(t), t).toBe('***');
  });

  it('mask the password of a URL, keeping scheme, user and host; JSON-escaped slashes too', () => {
    expect(maskSecretPatterns('git remote: https://x-access-token:s3cr3t-value@github.com/o/r.git')).toBe('git remote: https://x-access-token:***@github.com/o/r.git');
    expect(maskSecretPatterns('postgres://swarm:p%40ss@db:5432/x and redis://:onlypass@cache')).toBe('postgres://swarm:***@db:5432/x and redis://:***@cache');
    expect(maskSecretPatterns('{"u":"https:\\/\\/bob:hunter22@example.com\\/"}')).toBe('{"u":"https:\\/\\/bob:***@example.com\\/"}');
    expect(findSecretPatterns('https://bob:***@h')).toEqual([]); // already masked: nothing left to find
  });

  it('leave look-alikes alone: short prefixes, ordinary URLs, prose about keys', () => {
    const benign = [
      'ghp_short', 'the gh_ prefix', 'sk-ant-', 'xoxb-1', 'AKIA1234', 'AKIAIOSFODNN7EXAMPLE1234',
      'https://github.com/acme/widgets/pull/1', 'ssh://git@github.com/acme/widgets', 'http://127.0.0.1:4000/x?a=b',
      'generate a private key with -----BEGIN nothing', 'see "PRIVATE KEY" in the docs', 'time 12:30@noon',
    ];
    for (const t of benign) expect(maskSecretPatterns(t), t).toBe(t);
  });

  it('mask a private key cut off before its END line (an excerpt) without breaking the JSON around it', () => {
    const torn = PEM.slice(0, 120);
    const line = JSON.stringify({ a: `key: ${torn}`, b: 'after' });
    const masked = maskSecretPatterns(line);
    expect(JSON.parse(masked)).toEqual({ a: 'key: ***', b: 'after' });
  });

  it('are part of every redactor: makeRedactor with no values, the process registry', () => {
    expect(makeRedactor([])(`t=${SAMPLES['github-token']}`)).toBe('t=***');
    expect(redactKnown(`k=${SAMPLES['anthropic-key']}`)).toBe('k=***');
  });
});

describe('LineRedactor and the patterns', () => {
  const feed = (lr: LineRedactor, chunks: Buffer[]) => Buffer.concat([...chunks.map((c) => lr.push(c)), lr.end()]);

  it('catches a token pattern split across two chunks at every position', () => {
    const token = SAMPLES['github-token']!;
    const line = Buffer.from(`${JSON.stringify({ type: 'assistant', text: `found ${token}` })}\n`);
    for (let cut = 1; cut < line.length; cut++) {
      const out = feed(new LineRedactor([]), [line.subarray(0, cut), line.subarray(cut)]).toString();
      expect(out).toBe(`${JSON.stringify({ type: 'assistant', text: 'found ***' })}\n`);
    }
  });

  it('holds back a private key whose END has not arrived when a huge line is flushed early', () => {
    const lr = new LineRedactor([], 1024);
    const head = `{"type":"user","content":"${'x'.repeat(2000)} `;
    const key = JSON.stringify(PEM).slice(1, -1); // as it appears inside a JSON string
    const out: Buffer[] = [lr.push(Buffer.from(head + key.slice(0, 100)))];
    for (let i = 100; i < key.length; i += 50) out.push(lr.push(Buffer.from(key.slice(i, i + 50))));
    out.push(lr.push(Buffer.from(`"}\n`)), lr.end());
    const text = Buffer.concat(out).toString();
    expect(text).toBe(`${head}***"}\n`);
    expect(() => JSON.parse(text)).not.toThrow();
  });
});
