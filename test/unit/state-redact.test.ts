// state.json is a sink too: text fields that may quote agent output or error text are masked in place on
// save, so the file, the daemon's memory and anything served from it never carry a secret.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStateStore } from '../../src/backend/embedded/state-store.js';
import { emptyState } from '../../src/state/empty-state.js';
import { makeRedactor } from '../../src/util/secrets.js';

const SECRET = 'lin_api_stateRedactSecret123456';

describe('FileStateStore redaction', () => {
  it('masks secrets in every string before writing, and in memory', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'state-redact-')), 'state.json');
    const store = new FileStateStore(file, Date.now, { redact: makeRedactor([SECRET]) });
    const state = emptyState(Date.now());
    state.pause = { kind: 'auth', reason: `401 with key ${SECRET}`, since: new Date().toISOString(), until: null, limit_type: null };
    store.save(state);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(SECRET);
    expect(text).toContain('401 with key ***');
    expect(state.pause.reason).toBe('401 with key ***');
    expect(store.load().state.pause?.reason).toBe('401 with key ***');
  });

  it('without a redactor writes text as is', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'state-redact-')), 'state.json');
    const state = emptyState(Date.now());
    state.pause = { kind: 'auth', reason: SECRET, since: new Date().toISOString(), until: null, limit_type: null };
    new FileStateStore(file).save(state);
    expect(readFileSync(file, 'utf8')).toContain(SECRET);
  });
});
