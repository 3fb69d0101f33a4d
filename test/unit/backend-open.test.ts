// openBackend is the one place that decides "embedded or fleet?": without state.url it hands back the
// embedded backend — the state file it was given as the store, one daemon owning every ticket, no one to
// pass a request to, no fleet to show, the account file in the user's state directory — and never loads
// the PostgreSQL backend (that path is covered end to end by test/e2e/fleet*.test.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/schema.js';
import { openBackend } from '../../src/backend/open.js';
import { FileStateStore } from '../../src/backend/embedded/state-store.js';
import { emptyState } from '../../src/state/empty-state.js';
import { Logger } from '../../src/log/logger.js';

const dir = mkdtempSync(join(tmpdir(), 'swarm-backend-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openBackend', () => {
  it('without state.url: the embedded backend, with the state file it was given as its store', async () => {
    const { config } = validateConfig({ tracker: { kind: 'local' } }, { file: 'WORKFLOW.md', env: {} });
    expect(config.state.url).toBeNull();
    const journal = new FileStateStore(join(dir, 'state.json'));
    const env = { XDG_STATE_HOME: join(dir, 'xdg') };
    const live = () => ({ running: 0, max_concurrent: 1, draining: false });
    const b = await openBackend(config, { env, journal, state: emptyState(Date.now()), repoSlug: 'acme/widgets', repoDir: dir, log: new Logger({ eventsFile: null, out: null }), account: null, live });
    expect(b.kind).toBe('embedded');
    expect(b.store).toBe(journal);
    expect(b.leases.shared).toBe(false);
    expect(await b.leases.acquire('7')).toBe('free');
    expect(b.leases.holds('7') && b.leases.owns('7') && b.leases.canClaim()).toBe(true);
    expect(b.leases.heldElsewhere('7')).toBeNull();
    expect(await b.leases.fence.check('7', 'a comment')).toBe('held');
    expect(await b.controls.ask('7', 'retry', 1_000)).toBeNull();
    expect(b.view.view()).toBeNull();
    expect(b.leaseTtl).toBeNull();
    expect(b.hintBus).toBeNull();
    const place = b.accounts('me@example.com');
    expect(place.file).toBe(join(dir, 'xdg', 'swarm', 'accounts', 'me@example.com.json'));
    expect(place.where).toBe(place.file);
    expect(place.store.name).toBe('me@example.com');
    await expect(b.close()).resolves.toBeUndefined();
  });
});
