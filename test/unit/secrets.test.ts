// Redaction forms and the in-stream line redactor: a secret is masked however it is spelled on the way out
// and wherever a pipe chunk splits it; bytes without secrets pass through untouched.
import { describe, expect, it } from 'vitest';
import { expandSecrets, makeRedactor, redactDeep, redactKnown, registerSecrets } from '../../src/util/secrets.js';
import { LineRedactor } from '../../src/agent/redact-stream.js';

const TOKEN = 'ghp_unitSecretToken1234567890';
const HOOK = 'https://hooks.example.invalid/services/T01/B02/webhookSecretPath42';

describe('expandSecrets / makeRedactor', () => {
  it('masks raw, JSON-escaped, URL-encoded forms and a URL\'s secret path', () => {
    const weird = 'pa"ss/wo\\rd-9';
    const r = makeRedactor([TOKEN, HOOK, weird, 'ab', '', null]);
    expect(r(`token ${TOKEN} end`)).toBe('token *** end');
    expect(r(JSON.stringify({ w: weird }))).toBe('{"w":"***"}');
    expect(r(`q=${encodeURIComponent(weird)}`)).toBe('q=***');
    expect(r(`posted to ${HOOK}`)).toBe('posted to ***');
    // Only the path leaked (e.g. an HTTP error naming the request path): still masked.
    expect(r('POST /services/T01/B02/webhookSecretPath42 failed')).toBe('POST *** failed');
    expect(r('escaped https:\\/\\/hooks.example.invalid\\/services\\/T01\\/B02\\/webhookSecretPath42')).not.toContain('webhookSecretPath42');
    // Short values are never secrets (masking "ab" would wreck every line).
    expect(r('ab cd')).toBe('ab cd');
  });

  it('masks a secret containing another one whole', () => {
    expect(expandSecrets(['abcd', 'abcdefgh'])[0]).toBe('abcdefgh');
    expect(makeRedactor(['abcd', 'xxabcdyy'])('xxabcdyy')).toBe('***');
  });

  it('registry: redactKnown masks registered values and extra ones', () => {
    registerSecrets(['registeredSecretValue99']);
    expect(redactKnown('a registeredSecretValue99 b extraSecretValue77', ['extraSecretValue77'])).toBe('a *** b ***');
  });

  it('redactDeep rewrites strings in place, leaves other values', () => {
    const state = { a: `x ${TOKEN}`, n: 3, list: [TOKEN, { deep: `${TOKEN}!` }], nil: null, ok: 'fine' };
    redactDeep(state, makeRedactor([TOKEN]));
    expect(state).toEqual({ a: 'x ***', n: 3, list: ['***', { deep: '***!' }], nil: null, ok: 'fine' });
  });
});

describe('LineRedactor', () => {
  const feed = (lr: LineRedactor, chunks: Buffer[]) => Buffer.concat([...chunks.map((c) => lr.push(c)), lr.end()]);

  it('catches a secret split across chunks at every position', () => {
    const line = Buffer.from(`{"type":"assistant","text":"my token is ${TOKEN} ok"}\n{"type":"result"}\n`);
    for (let cut = 1; cut < line.length; cut++) {
      const out = feed(new LineRedactor([TOKEN]), [line.subarray(0, cut), line.subarray(cut)]).toString();
      expect(out).not.toContain('unitSecret');
      expect(out).toBe(line.toString().replace(TOKEN, '***'));
    }
  });

  it('passes bytes without secrets through unchanged (even invalid UTF-8) and keeps a torn last line', () => {
    const raw = Buffer.concat([Buffer.from('{"a":1}\n'), Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from('torn')]);
    const out = feed(new LineRedactor([TOKEN]), [raw.subarray(0, 3), raw.subarray(3, 9), raw.subarray(9)]);
    expect(out.equals(raw)).toBe(true);
  });

  it('bounds memory on a huge line without newline and never writes half a secret', () => {
    const lr = new LineRedactor([TOKEN], 1024);
    const parts: Buffer[] = [];
    const filler = 'x'.repeat(1000);
    let expected = '';
    for (let i = 0; i < 50; i++) {
      const piece = `${filler}${TOKEN}`;
      expected += piece;
      // split every piece inside the token
      const b = Buffer.from(piece);
      parts.push(lr.push(b.subarray(0, 1010)), lr.push(b.subarray(1010)));
      expect((lr as unknown as { pending: Buffer }).pending.length).toBeLessThan(3000);
    }
    parts.push(lr.end());
    const out = Buffer.concat(parts).toString();
    expect(out).not.toContain('unitSecret');
    expect(out).toBe(expected.split(TOKEN).join('***'));
  });
});
