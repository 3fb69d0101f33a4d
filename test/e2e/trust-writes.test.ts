// Issue #22, swarm's own writes (acceptance 6 and 7), one daemon run on the fake GitHub with a webhook:
// - the Claude key (ANTHROPIC_API_KEY=sk-ant-probe…), PGPASSWORD and an agent.env value, printed by the agent
//   in a tool result and its final text (plus tokens swarm never read: a GitHub token, an Anthropic key, a
//   URL with a password) reach no transcript, state, event, auto-opened PR, sticky comment or notification;
// - the issue titled `touch pwned` $(id) gets a PR titled by swarm, the title quoted in the body;
// - a failure reason carrying @everyone / <!channel> reaches the webhook neutralised for Slack and Discord;
// - `swarm logs`, `status` and `explain` of a ticket whose transcript and title carry OSC 52 print no ESC.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, githubWorld, runCli, startDaemon, teardown, type Daemon, type Project } from '../helpers/daemon.js';
import { startWebhook, type FakeWebhook } from '../helpers/webhook.js';

const rnd = () => randomBytes(12).toString('hex');
const ANTHROPIC = `sk-ant-probe-${rnd()}`;
const PGPASSWORD = `pgpw-${rnd()}`;
const AGENT_ENV = `agentenv-${rnd()}`;
/** Secrets swarm never read: masked by their shape alone. */
const UNKNOWN_GH = `ghp_${randomBytes(18).toString('hex')}`;
const UNKNOWN_ANT = `sk-ant-api03-${randomBytes(30).toString('base64url')}`;
const URL_PASSWORD = `urlpw${rnd()}`;
const OSC52 = '\u001b]52;c;dG91Y2ggcHduZWQ=\u0007';
const HOSTILE_TITLE = '`touch pwned` $(id)';

const KNOWN = `K=${ANTHROPIC} P=${PGPASSWORD} E=${AGENT_ENV}`;
const ALL = `${KNOWN} gh=${UNKNOWN_GH} ant=${UNKNOWN_ANT} remote=https://x-access-token:${URL_PASSWORD}@github.com/acme/widgets.git`;
const NEEDLES = [ANTHROPIC, ANTHROPIC.slice(13), PGPASSWORD, AGENT_ENV, UNKNOWN_GH, UNKNOWN_GH.slice(4), UNKNOWN_ANT, URL_PASSWORD];

let project: Project;
let gh: FakeGitHub;
let hook: FakeWebhook;
let daemon: Daemon | null = null;
let pwned = 0;
let loud = 0;

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}

function leaks(where: string, text: string): string[] {
  return NEEDLES.filter((n) => text.includes(n)).map((n) => `${where}: ${n.slice(0, 18)}…`);
}

beforeAll(async () => {
  ({ project, gh } = await githubWorld());
  hook = await startWebhook();
  project.writeWorkflow(githubConfig(gh, {
    notify: { webhook_url: hook.url },
    agent: { max_attempts: 1, env: { DEPLOY_VALUE: AGENT_ENV } },
  }));
  Object.assign(project.env, { ANTHROPIC_API_KEY: ANTHROPIC, PGPASSWORD });
  pwned = gh.addIssue({ title: HOSTILE_TITLE, body: 'Do it.', labels: ['agent'] });
  loud = gh.addIssue({ title: `Fails ${OSC52}loudly`, body: 'Fail.', labels: ['agent'] });
  project.setScenarios({
    [pwned]: [[
      { envDump: path.join(project.base, 'agent-env.json') },
      { init: true },
      { toolUse: { name: 'Bash', input: { command: 'env; git remote -v' } } },
      { toolResult: { content: `${ALL}\n${OSC52}` } },
      { text: `I saw ${ALL} ${OSC52}` },
      { commit: {} },
      { result: { text: `Summary: ${ALL}` } },
    ]],
    [loud]: [[
      { init: true },
      { text: `failing ${KNOWN}` },
      { result: { isError: true, subtype: 'error_during_execution', errors: [`@everyone <!channel> <@U024BE7LH> ${OSC52}${KNOWN}`], text: KNOWN } },
      { exit: 1 },
    ]],
  });
  daemon = startDaemon(project, ['start', '--until-idle']);
  const exit = await daemon.exited;
  expect(exit.code, daemon.stdout + daemon.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await teardown(daemon, gh, project);
  await hook.close();
});

describe("swarm's own writes", () => {
  it('the run did what the scan below assumes: a PR auto-opened from the final text, a failure on the tracker and the webhook', () => {
    const state = project.state();
    expect(state.tickets[String(pwned)].status).toBe('review');
    expect(state.tickets[String(pwned)].attempts[0].outcome).toBe('pr_auto_opened');
    expect(state.tickets[String(loud)].status).toBe('failed');
    expect(gh.pulls).toHaveLength(1);
    // Masked, not missing: the values went through each sink.
    expect(gh.pulls[0]!.body).toContain('Summary: K=*** P=*** E=*** gh=*** ant=*** remote=https://x-access-token:***@github.com/acme/widgets.git');
    expect(state.tickets[String(loud)].attempts[0].reason).toContain('K=*** P=*** E=***');
    const sticky = gh.comments.filter((c) => c.issue === loud).map((c) => c.body).join('\n');
    expect(sticky).toContain('K=*** P=*** E=***');
    const runs = filesUnder(path.join(project.swarmDir, 'runs')).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    expect(runs).toContain('K=*** P=*** E=*** gh=*** ant=***');
    expect(hook.texts().some((t) => t.includes(`#${loud} failed`) && t.includes('K=*** P=*** E=***'))).toBe(true);
  });

  it('masking takes nothing from the agent: its Claude key, PGPASSWORD and agent.env value are in its environment', () => {
    const env = JSON.parse(fs.readFileSync(path.join(project.base, 'agent-env.json'), 'utf8')) as Record<string, string>;
    expect(env.ANTHROPIC_API_KEY).toBe(ANTHROPIC);
    expect(env.PGPASSWORD).toBe(PGPASSWORD);
    expect(env.DEPLOY_VALUE).toBe(AGENT_ENV);
  });

  it('no secret reaches the transcript, state, events, PR, sticky comment, a notification or stdout (acceptance 6)', () => {
    const found: string[] = [];
    const files = filesUnder(project.swarmDir).filter((f) => /(state\.json|events\.jsonl(\.1)?|\.jsonl)$/.test(f));
    expect(files.some((f) => f.endsWith('state.json')) && files.some((f) => f.endsWith('events.jsonl'))).toBe(true);
    for (const f of files) found.push(...leaks(path.relative(project.dir, f), fs.readFileSync(f, 'latin1')));
    for (const p of gh.pulls) found.push(...leaks(`PR #${p.number}`, `${p.title}\n${p.body ?? ''}`));
    for (const c of gh.comments) found.push(...leaks(`comment on #${c.issue}`, c.body));
    for (const r of gh.requests) found.push(...leaks(`${r.method} ${r.path}`, JSON.stringify(r.body ?? null)));
    expect(hook.received.length).toBeGreaterThan(0);
    for (const b of hook.received) found.push(...leaks('webhook', JSON.stringify(b)));
    found.push(...leaks('stdout', daemon!.stdout), ...leaks('stderr', daemon!.stderr));
    expect(found).toEqual([]);
  });

  it("an issue titled `touch pwned` $(id) gets swarm's title; the original is fenced in the body (acceptance 7)", () => {
    const pr = gh.pulls[0]!;
    expect(pr.title).toBe(`swarm: #${pwned} touch-pwned-id`);
    expect(pr.title).not.toContain('`');
    expect(pr.title).not.toContain('$(');
    expect(pr.body).toContain(`Closes #${pwned}\n\nTicket title, as written there:\n\n\`\`\`text\n${HOSTILE_TITLE}\n\`\`\``);
  });

  it('a notification quoting @everyone / <!channel> / <@U…> pings no one on Slack or Discord', () => {
    const failed = hook.received.find((b) => (b.text ?? '').includes(`#${loud} failed`)) as { text: string; content: string; allowed_mentions?: unknown };
    expect(failed).toBeDefined();
    expect(failed.allowed_mentions).toEqual({ parse: [] });
    expect(failed.text).toContain('&lt;!channel&gt; &lt;@U024BE7LH&gt;');
    expect(failed.text).not.toMatch(/<!channel>|<@U|@everyone/);
    expect(failed.content).not.toMatch(/@everyone|<@U/);
    expect(failed.content).toContain('<!channel>'); // plain text on Discord
    for (const b of hook.received) expect(JSON.stringify(b)).not.toContain('\\u001b');
  });

  it('swarm logs, status and explain print no ESC byte for a transcript and a title carrying OSC 52; nor does the daemon', async () => {
    const transcript = filesUnder(path.join(project.swarmDir, 'runs', String(pwned))).map((f) => fs.readFileSync(f, 'utf8')).join('');
    expect(transcript).toContain('\\u001b]52;c;'); // the transcript keeps what the agent printed (JSON-escaped)
    for (const args of [['logs', String(pwned)], ['logs', String(loud)], ['status'], ['explain', String(loud)]]) {
      const res = await runCli(project, args);
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(0);
      expect(res.stdout, args.join(' ')).not.toContain('\u001b');
      expect(res.stdout + res.stderr, args.join(' ')).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    }
    const logs = await runCli(project, ['logs', String(pwned)]);
    expect(logs.stdout).toContain('I saw K=*** P=*** E=***');
    expect(daemon!.stdout).not.toContain('\u001b');
  });
});
