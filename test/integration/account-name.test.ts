// The default account name against the real Claude Code binary (fake Messages API on 127.0.0.1): the CLI
// writes its global config where account/name.ts looks for the login — .claude.json inside
// CLAUDE_CONFIG_DIR, or in $HOME without it — keeps an `oauthAccount` there across runs, and sends the API
// key rather than an OAuth token when both are set (so the key names the account).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deriveAccount } from '../../src/account/name.js';
import { startFakeAnthropic, type FakeAnthropic } from '../helpers/fake-anthropic.js';
import { claudeArgs, claudeBinary, claudeEnv, makeSandbox, runClaude, type Sandbox } from '../helpers/real-claude.js';

let bin: string;
let api: FakeAnthropic | null = null;
let box: Sandbox | null = null;

beforeAll(() => {
  bin = claudeBinary();
});
afterEach(async () => {
  await api?.close();
  box?.remove();
  api = null;
  box = null;
});

async function run(env: Record<string, string>): Promise<void> {
  const r = await runClaude({ bin, args: claudeArgs(), cwd: box!.repo, env, prompt: 'Say hi.', timeoutMs: 60_000 });
  expect(r.exitCode, r.stderr).toBe(0);
}

describe('account name from the real CLI configuration', () => {
  it('finds the login in CLAUDE_CONFIG_DIR/.claude.json, which the CLI creates and keeps', async () => {
    api = await startFakeAnthropic({ defaultText: 'hi' });
    box = makeSandbox('swarm-account-name-');
    const env = claudeEnv({ baseUrl: api.url, configDir: box.configDir, home: box.home, auth: 'api-key' });
    await run(env);
    const file = join(box.configDir, '.claude.json');
    expect(existsSync(file)).toBe(true);
    expect(existsSync(join(box.home, '.claude.json'))).toBe(false);
    const written = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(written.oauthAccount).toBeUndefined(); // no login yet: only an API key in the environment
    const { ANTHROPIC_API_KEY: _key, ...noKey } = env;
    expect(deriveAccount({ configured: null, env: noKey }).name).toMatch(/^config-[0-9a-f]{12}$/);

    // What `claude /login` stores (field names as the binary reads them), then another run.
    const login = { accountUuid: '4f1c0d1e-0000-4000-8000-000000000001', emailAddress: 'ada@example.com', organizationUuid: '4f1c0d1e-0000-4000-8000-0000000000aa' };
    writeFileSync(file, JSON.stringify({ ...written, oauthAccount: login }, null, 2));
    await run(env);
    expect((JSON.parse(readFileSync(file, 'utf8')) as { oauthAccount?: unknown }).oauthAccount).toMatchObject(login);
    expect(deriveAccount({ configured: null, env: noKey })).toMatchObject({ name: expect.stringMatching(/^ada@example\.com-[0-9a-f]{6}$/), from: `login in ${file}` });
    expect(deriveAccount({ configured: null, env }).from).toBe('ANTHROPIC_API_KEY');
  });

  it('without CLAUDE_CONFIG_DIR the file is $HOME/.claude.json; with a key and a token the CLI sends the key', async () => {
    api = await startFakeAnthropic({ defaultText: 'hi' });
    box = makeSandbox('swarm-account-name-');
    const { CLAUDE_CONFIG_DIR: _dir, ...env } = claudeEnv({ baseUrl: api.url, configDir: box.configDir, home: box.home, auth: 'api-key', extra: { CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-fake' } });
    await run(env);
    expect(existsSync(join(box.home, '.claude.json'))).toBe(true);
    expect(existsSync(join(box.home, '.claude'))).toBe(true);
    expect(api.messageRequests().map((r) => r.auth)).toEqual(['api-key']);
    expect(deriveAccount({ configured: null, env }).from).toBe('ANTHROPIC_API_KEY');
  });
});
