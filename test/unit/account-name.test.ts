// The default account name (account/name.ts) from the agent's environment and the Claude configuration
// files it points at, read through an injected reader: configured name, credentials in the CLI's order,
// the stored login, the config dir, and names that are always filesystem-safe and never a secret.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { accountName, claudeConfigPaths, deriveAccount, safeName } from '../../src/account/name.js';

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);
const files = (map: Record<string, unknown>) => (path: string): string | null =>
  path in map ? (typeof map[path] === 'string' ? (map[path] as string) : JSON.stringify(map[path])) : null;
const none = () => null;
const login = { oauthAccount: { accountUuid: 'acc-1', emailAddress: 'Ada@Example.com', organizationUuid: 'org-1', displayName: 'Ada' } };

describe('deriveAccount', () => {
  it('agent.account wins over everything', () => {
    expect(deriveAccount({ configured: 'team-max', env: { ANTHROPIC_API_KEY: 'sk-ant-1' }, readText: none })).toEqual({ name: 'team-max', from: 'agent.account' });
  });

  it('a credential in the environment names the account by a short hash, in the order the CLI uses them', () => {
    const key = 'sk-ant-api03-secret';
    const oauth = 'sk-ant-oat01-secret';
    expect(deriveAccount({ configured: null, env: { ANTHROPIC_API_KEY: key, CLAUDE_CODE_OAUTH_TOKEN: oauth }, readText: none })).toEqual({ name: `key-${hash(key)}`, from: 'ANTHROPIC_API_KEY' });
    expect(deriveAccount({ configured: null, env: { ANTHROPIC_AUTH_TOKEN: 'bearer-1', CLAUDE_CODE_OAUTH_TOKEN: oauth }, readText: none }).name).toBe(`token-${hash('bearer-1')}`);
    const o = deriveAccount({ configured: null, env: { CLAUDE_CODE_OAUTH_TOKEN: ` ${oauth}\n`, HOME: '/home/ada' }, readText: files({ '/home/ada/.claude.json': login }) });
    expect(o).toEqual({ name: `oauth-${hash(oauth)}`, from: 'CLAUDE_CODE_OAUTH_TOKEN' });
    expect(JSON.stringify(o)).not.toContain('secret');
    expect(deriveAccount({ configured: null, env: { ANTHROPIC_API_KEY: '', HOME: '/h' }, readText: none }).name).toMatch(/^config-/); // empty = unset
  });

  it('else the login stored in $HOME/.claude.json: the email, with a hash of the organization', () => {
    const r = deriveAccount({ configured: null, env: { HOME: '/home/ada' }, readText: files({ '/home/ada/.claude.json': login }) });
    expect(r).toEqual({ name: `ada@example.com-${hash('org-1').slice(0, 6)}`, from: 'login in /home/ada/.claude.json' });
    const noOrg = { oauthAccount: { accountUuid: 'acc-1', emailAddress: 'ada@example.com' } };
    expect(accountName({ configured: null, env: { HOME: '/home/ada' }, readText: files({ '/home/ada/.claude.json': noOrg }) })).toBe('ada@example.com');
    const noEmail = { oauthAccount: { accountUuid: 'acc-1', organizationUuid: 'org-1' } };
    expect(accountName({ configured: null, env: { HOME: '/home/ada' }, readText: files({ '/home/ada/.claude.json': noEmail }) })).toBe(`login-${hash('acc-1:org-1')}`);
  });

  it('with CLAUDE_CONFIG_DIR the file is .claude.json inside it; the legacy .config.json only when that is missing', () => {
    const env = { HOME: '/home/ada', CLAUDE_CONFIG_DIR: '/srv/claude' };
    expect(claudeConfigPaths(env)).toEqual({ dir: '/srv/claude', files: ['/srv/claude/.claude.json', '/srv/claude/.config.json'] });
    expect(claudeConfigPaths({ HOME: '/home/ada' })).toEqual({ dir: '/home/ada/.claude', files: ['/home/ada/.claude.json', '/home/ada/.claude/.config.json'] });
    expect(accountName({ configured: null, env, readText: files({ '/home/ada/.claude.json': login, '/srv/claude/.config.json': { oauthAccount: { emailAddress: 'old@example.com' } } }) })).toBe('old@example.com');
    // The file the CLI reads exists without a login: the legacy file is not what it uses.
    expect(accountName({ configured: null, env, readText: files({ '/srv/claude/.claude.json': { userID: 'x' }, '/srv/claude/.config.json': login }) })).toBe(`config-${hash('/srv/claude')}`);
  });

  it('a stored API key is named like the same key in the environment', () => {
    const r = deriveAccount({ configured: null, env: { HOME: '/h' }, readText: files({ '/h/.claude.json': { primaryApiKey: 'sk-ant-2' } }) });
    expect(r).toEqual({ name: `key-${hash('sk-ant-2')}`, from: 'API key stored in /h/.claude.json' });
    expect(accountName({ configured: null, env: { ANTHROPIC_API_KEY: 'sk-ant-2' }, readText: none })).toBe(r.name);
  });

  it('else a hash of the resolved config dir; a torn read is read again, not taken as "no login"', () => {
    expect(deriveAccount({ configured: null, env: { HOME: '/home/ada' }, readText: none })).toEqual({ name: `config-${hash('/home/ada/.claude')}`, from: 'Claude config dir /home/ada/.claude' });
    expect(deriveAccount({ configured: null, env: {}, readText: none })).toEqual({ name: 'claude-default', from: 'no CLAUDE_CONFIG_DIR or HOME' });
    const reads = ['{"oauthAccount": {"emailAd', JSON.stringify(login)];
    const flaky = (path: string) => (path === '/home/ada/.claude.json' ? (reads.shift() ?? null) : null);
    expect(accountName({ configured: null, env: { HOME: '/home/ada' }, readText: flaky })).toBe(`ada@example.com-${hash('org-1').slice(0, 6)}`);
    expect(accountName({ configured: null, env: { HOME: '/home/ada' }, readText: files({ '/home/ada/.claude.json': 'garbage' }) })).toBe(`config-${hash('/home/ada/.claude')}`);
  });
});

describe('safeName', () => {
  it('keeps safe names and cleans the rest', () => {
    expect(safeName('ada+work@example.com')).toBe('ada+work@example.com');
    expect(safeName('Ada Lovelace/../x')).toBe('Ada-Lovelace-..-x');
    expect(safeName('../etc')).toBe('etc');
    expect(safeName('///')).toBe(`account-${hash('///')}`);
    expect(safeName('a'.repeat(300))).toHaveLength(100);
    for (const n of ['Ada Lovelace/../x', '../etc', '///', 'é-ü', ' x ']) expect(safeName(n)).toMatch(/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$/);
  });
});
