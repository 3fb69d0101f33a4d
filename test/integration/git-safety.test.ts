// swarm's own git against a repository whose local config an agent wrote: programs it names (a clean/smudge
// filter selected by .gitattributes, a credential helper, core.sshCommand, an upload-pack, fsmonitor, hooks)
// never run; the operator's own global helpers and settings still apply; the tracker token reaches only the
// commands that talk to a remote, through a credential helper scoped to the code host.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgetRemoteTokens, overridesFor, parseConfigList, registerRemoteToken, safeGit } from '../../src/workspace/git-safety.js';
import { gitAt } from '../../src/workspace/git.js';

let base: string;
let repo: string;
let canary: string;
let env: Record<string, string | undefined>;
const plain = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: env as NodeJS.ProcessEnv }).trim();

beforeAll(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'swarm-gitsafety-')));
  repo = path.join(base, 'repo');
  canary = path.join(base, 'canary');
  const home = path.join(base, 'home');
  fs.mkdirSync(repo);
  fs.mkdirSync(home);
  // The operator's own global config: a helper of theirs, which must keep working.
  fs.writeFileSync(path.join(home, '.gitconfig'), '[credential]\n\thelper = "!f() { echo username=operator; echo password=operators-own; }; f"\n[user]\n\tname = op\n\temail = op@example.invalid\n');
  env = { PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: '1', GITHUB_TOKEN: 'ghp_tracker_token_in_daemon_env' };
  const evil = path.join(base, 'evil.sh');
  fs.writeFileSync(evil, `#!/bin/sh\necho "$0 $* GITHUB_TOKEN=$GITHUB_TOKEN" >> ${canary}\ncat\n`, { mode: 0o755 });
  plain(repo, 'init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(repo, '.gitattributes'), '*.txt filter=evil diff=evil\n');
  fs.writeFileSync(path.join(repo, 'a.txt'), 'one\n');
  plain(repo, 'add', '.gitattributes');
  plain(repo, '-c', 'filter.evil.clean=cat', 'add', 'a.txt');
  plain(repo, 'commit', '-qm', 'base');
  // What an agent (unconfined) could write into .git/config and .git/hooks.
  for (const [k, v] of [
    ['filter.evil.clean', evil], ['filter.evil.smudge', evil], ['filter.evil.required', 'true'], ['diff.evil.textconv', evil],
    ['core.fsmonitor', evil], ['core.sshCommand', evil], ['credential.helper', `!${evil}`], ['credential.https://github.com.helper', `!${evil}`],
    ['remote.origin.uploadpack', evil], ['core.pager', evil], ['core.hooksPath', path.join(repo, '.git', 'hooks')],
  ]) plain(repo, 'config', k!, v!);
  fs.writeFileSync(path.join(repo, '.git', 'hooks', 'post-checkout'), `#!/bin/sh\n${evil} hook\n`, { mode: 0o755 });
  plain(repo, 'config', 'remote.origin.url', path.join(base, 'origin.git'));
  plain(base, 'init', '-q', '--bare', 'origin.git');
  // The plant works with plain git.
  plain(repo, 'checkout', '-q', '-b', 'x');
  expect(fs.existsSync(canary)).toBe(true);
  fs.rmSync(canary);
});

afterAll(() => {
  forgetRemoteTokens();
  fs.rmSync(base, { recursive: true, force: true });
});

async function run(args: string[]): Promise<string> {
  const safe = await safeGit(repo, args, env);
  return execFileSync('git', safe.args, { cwd: repo, encoding: 'utf8', env: safe.env, input: '' }).trim();
}

describe("swarm's git in a repository whose config an agent wrote", () => {
  it('checkout, add, diff, fetch and push run none of the planted programs', async () => {
    fs.writeFileSync(path.join(repo, 'a.txt'), 'two\n');
    await run(['checkout', '-q', 'main']);
    await run(['add', 'a.txt']);
    await run(['diff', '--cached', '--stat']);
    await run(['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'two']);
    await run(['push', '-q', 'origin', 'main']);
    await run(['fetch', '-q', 'origin', 'main']);
    await run(['status', '--porcelain']);
    expect(fs.existsSync(canary) ? fs.readFileSync(canary, 'utf8') : '').toBe('');
    // The filter was not applied either way: the blob holds the file as it is.
    expect(plain(repo, 'cat-file', '-p', 'HEAD:a.txt')).toBe('two');
  });

  it('the overrides come from the operator\'s own config, else a safe default', () => {
    const entries = parseConfigList([
      'global\0file:/h/.gitconfig\0credential.helper\nosxkeychain', 'local\0file:.git/config\0credential.helper\n!evil',
      'global\0file:/h/.gitconfig\0core.sshcommand\nssh -i ~/.ssh/deploy', 'local\0file:.git/config\0core.sshcommand\nevil',
      'local\0file:.git/config\0filter.lfs.smudge\nevil', 'local\0file:.git/config\0remote.origin.url\n/srv/x', '',
    ].join('\0'));
    expect(overridesFor(entries)).toEqual(['credential.helper=', 'credential.helper=osxkeychain', 'core.sshcommand=ssh -i ~/.ssh/deploy', 'filter.lfs.smudge=']);
  });

  it('the tracker token goes only to remote commands, through a helper scoped to the code host', async () => {
    registerRemoteToken('github.com', () => 'ghp_tracker_token_for_push');
    const local = await safeGit(repo, ['status'], env);
    expect(local.env.SWARM_GIT_TOKEN).toBeUndefined();
    expect(local.env.GITHUB_TOKEN).toBeUndefined(); // the daemon's own variable never reaches git
    expect(local.args.join(' ')).not.toContain('credential.https://github.com.helper=!f');
    const remote = await safeGit(repo, ['push', 'origin', 'main'], env);
    expect(remote.env.SWARM_GIT_TOKEN).toBe('ghp_tracker_token_for_push');
    expect(remote.args.join('\n')).not.toContain('ghp_tracker_token_for_push'); // never on a command line
    // What git would be told for github.com: the operator's helper first (theirs wins), the token after it;
    // the planted helpers are gone.
    const fill = (host: string) => execFileSync('git', [...remote.args.slice(0, remote.args.indexOf('push')), 'credential', 'fill'], {
      cwd: repo, env: remote.env, input: `protocol=https\nhost=${host}\n\n`, encoding: 'utf8',
    });
    expect(fill('github.com')).toContain('password=operators-own');
    expect(fs.existsSync(canary)).toBe(false);
    fs.writeFileSync(path.join(env.HOME!, '.gitconfig'), '[user]\n\tname = op\n');
    const bare = await safeGit(repo, ['push', 'origin', 'main'], env);
    const fill2 = execFileSync('git', [...bare.args.slice(0, bare.args.indexOf('push')), 'credential', 'fill'], {
      cwd: repo, env: bare.env, input: 'protocol=https\nhost=github.com\n\n', encoding: 'utf8',
    });
    expect(fill2).toContain('username=x-access-token\npassword=ghp_tracker_token_for_push');
    expect(fs.existsSync(canary)).toBe(false);
  });

  it('gitAt (every git call of swarm\'s) is hardened the same way', async () => {
    await gitAt(repo).raw(['checkout', '-q', 'x']);
    await gitAt(repo).raw(['checkout', '-q', 'main']);
    expect(fs.existsSync(canary)).toBe(false);
  });
});
