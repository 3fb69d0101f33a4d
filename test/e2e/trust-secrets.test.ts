// Issue #7 acceptance: the secret scan. A full end-to-end run with unique token values (GitHub token,
// webhook URL with a secret path, a Linear-style key in the environment) in which the agent itself echoes
// the secrets on stdout, stderr and in its final summary. Afterwards no sink holds any of them: every file
// under .swarm/ (state, events, transcripts, sticky files, worktrees), the daemon's stdout/stderr, the
// agent's environment dump, what the fake GitHub and the webhook received, and /proc/*/cmdline of every
// process sampled throughout the run.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { githubConfig, makeProject, runCli, startDaemon, type Daemon, type Project } from '../helpers/daemon.js';

let gh: FakeGitHub;
let project: Project;
let daemon: Daemon | null = null;
let hook: http.Server;
const hookBodies: string[] = [];

const rnd = () => randomBytes(12).toString('hex');
const TOKEN = `ghp_SCANTOKEN${rnd()}`;
const HOOK_SECRET = `SCANHOOKPATH${rnd()}`;
const LINEAR = `lin_api_SCANLINEAR${rnd()}`;
let WEBHOOK = '';

beforeEach(async () => {
  hookBodies.length = 0;
  project = await makeProject();
  gh = await startFakeGitHub({ gitDir: project.origin, token: TOKEN });
  hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      hookBodies.push(`${req.method} ${req.url}\n${body}`);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  WEBHOOK = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/services/T000/B000/${HOOK_SECRET}`;
});

afterEach(async () => {
  await daemon?.stop();
  daemon = null;
  await gh.close();
  await new Promise((r) => hook.close(r));
  project.cleanup();
});

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Every needle a leak could take: the values and their distinctive parts. */
const NEEDLES = () => [TOKEN, TOKEN.slice(4), HOOK_SECRET, LINEAR, LINEAR.slice(8), WEBHOOK];

function hits(where: string, text: string): string[] {
  return NEEDLES().filter((n) => text.includes(n)).map((n) => `${where}: ${n.slice(0, 16)}…`);
}

/** Sample /proc/<pid>/cmdline of every process until stopped. */
function sampleArgv(): { stop: () => { samples: number; leaks: string[] } } {
  const leaks = new Set<string>();
  let samples = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    samples++;
    for (const pid of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        for (const h of hits(`pid ${pid} argv`, cmd)) leaks.add(`${h} (${cmd.slice(0, 120)})`);
      } catch {
        /* gone */
      }
    }
    setTimeout(tick, 20);
  };
  tick();
  return { stop: () => ((running = false), { samples, leaks: [...leaks] }) };
}

describe('secret scan', () => {
  it.each(['GITHUB_TOKEN', 'gh auth token'] as const)('no sink ever holds the GitHub token (from %s), the webhook URL or the Linear key', async (source) => {
    const envDump = (n: number) => path.join(project.base, `env-${n}.json`);
    const leak = `GITHUB_TOKEN=${TOKEN} webhook=${WEBHOOK} key=${LINEAR}`;
    const cfg = githubConfig(gh, {
      tracker: { token: null, trusted_labelers_only: true },
      notify: { webhook_url: '$SWARM_TEST_WEBHOOK' },
      agent: { max_attempts: 3 },
    }) as any;
    // The agent gets no token: swarm opens the PRs itself (the agent only commits).
    delete cfg.agent.env.FAKE_GITHUB_TOKEN;
    project.writeWorkflow(cfg);
    Object.assign(project.env, { SWARM_TEST_WEBHOOK: WEBHOOK, LINEAR_API_KEY: LINEAR });
    if (source === 'GITHUB_TOKEN') project.env.GITHUB_TOKEN = TOKEN;
    else {
      // No token in the environment: swarm asks `gh auth token` and reads it from stdout.
      const bin = path.join(project.base, 'bin');
      fs.mkdirSync(bin);
      fs.writeFileSync(path.join(bin, 'gh'), `#!/bin/sh\nif [ "$1 $2" = "auth token" ]; then echo ${TOKEN}; else exit 1; fi\n`, { mode: 0o755 });
      project.env.PATH = `${bin}${path.delimiter}${project.env.PATH}`;
    }

    const talker = gh.addIssue({ title: 'Echoes secrets then commits', body: 'Do it.', labels: ['agent'] });
    const crasher = gh.addIssue({ title: 'Crashes with a secret on stderr', labels: ['agent'] });
    const failer = gh.addIssue({ title: 'Fails quoting a secret', labels: ['agent'] });
    project.setScenarios({
      [talker]: [[{ envDump: envDump(talker) }, { init: true }, { text: `I found ${leak}` }, { stderr: leak }, { commit: {} }, { result: { text: `Summary: ${leak}` } }]],
      [crasher]: [
        [{ envDump: envDump(crasher) }, { crash_before_turn: { text: `fatal: could not read ${leak}` } }],
        [{ init: true }, { text: `retry ${leak}` }, { commit: {} }, { result: { text: `ok ${leak}` } }],
      ],
      [failer]: [
        [{ envDump: envDump(failer) }, { init: true }, { text: leak }, { result: { isError: true, subtype: 'error_during_execution', text: `boom ${leak}` } }, { exit: 1 }],
        [{ init: true }, { commit: {} }, { result: { text: `fixed; ${leak}` } }],
      ],
    });

    const sampler = sampleArgv();
    daemon = startDaemon(project, ['start', '--until-idle']);
    const exit = await daemon.exited;
    const argv = sampler.stop();
    expect(exit.code, daemon.stdout + daemon.stderr).toBe(0);

    // The run did what we think: all three handed off, two after a failed first attempt.
    const state = project.state();
    for (const n of [talker, crasher, failer]) expect(state.tickets[String(n)].status, `#${n}`).toBe('review');
    expect(state.tickets[String(crasher)].attempts[0].outcome).toBe('infra_failed');
    expect(state.tickets[String(failer)].attempts[0].outcome).toBe('agent_error');
    expect(gh.pulls).toHaveLength(3);
    // …and the secrets really went through every sink, masked: proof the scan below is not vacuous.
    expect(state.tickets[String(crasher)].attempts[0].reason).toContain('GITHUB_TOKEN=***');
    const talkerPr = gh.pulls.find((p) => p.body?.includes(`#${talker}`))!;
    expect(talkerPr.body).toContain('Summary: GITHUB_TOKEN=*** webhook=*** key=***');
    const transcripts = filesUnder(path.join(project.swarmDir, 'runs')).filter((f) => f.endsWith('.jsonl'));
    expect(transcripts.length).toBeGreaterThanOrEqual(5);
    expect(transcripts.map((f) => fs.readFileSync(f, 'utf8')).join('\n')).toContain('GITHUB_TOKEN=***');
    expect(daemon.stdout).toContain('***');
    expect(argv.samples).toBeGreaterThan(5);

    const leaks: string[] = [];
    // Every file under .swarm/ (state.json, events.jsonl, runs/**, worktrees, locks, sticky files…).
    const files = filesUnder(project.swarmDir);
    expect(files.some((f) => f.endsWith('state.json'))).toBe(true);
    expect(files.some((f) => f.endsWith('events.jsonl'))).toBe(true);
    for (const f of files) leaks.push(...hits(path.relative(project.dir, f), fs.readFileSync(f, 'latin1')));
    // The daemon's own output.
    leaks.push(...hits('stdout', daemon.stdout), ...hits('stderr', daemon.stderr));
    // The agent's environment (swarm's tokens are not inherited) and what the fake claude logged.
    for (const n of [talker, crasher, failer]) {
      const env = JSON.parse(fs.readFileSync(envDump(n), 'utf8')) as Record<string, string>;
      expect(env.SWARM_TICKET_NUMBER).toBe(String(n));
      for (const name of ['GITHUB_TOKEN', 'GH_TOKEN', 'LINEAR_API_KEY', 'SWARM_TEST_WEBHOOK']) expect(env[name], name).toBeUndefined();
      leaks.push(...hits(`agent env #${n}`, JSON.stringify(env)));
    }
    leaks.push(...hits('fake claude log', fs.readFileSync(project.claudeLog, 'utf8')));
    // Everything sent to GitHub: comments, PRs, every request body; and every webhook notification.
    for (const c of gh.comments) leaks.push(...hits(`comment on #${c.issue}`, c.body));
    for (const p of gh.pulls) leaks.push(...hits(`PR #${p.number}`, `${p.title}\n${p.body ?? ''}`));
    for (const r of gh.requests) leaks.push(...hits(`${r.method} ${r.path}`, `${r.path}\n${JSON.stringify(r.body ?? null)}`));
    expect(hookBodies.length).toBeGreaterThan(0); // notifications were sent (PR opened…), and scanned
    for (const b of hookBodies) leaks.push(...hits('webhook body', b.slice(b.indexOf('\n'))));
    // argv of every process, sampled every ~20 ms during the run.
    leaks.push(...argv.leaks);
    expect(leaks).toEqual([]);
  });

  it('CLI error messages mask the token', async () => {
    const dir = path.join(project.base, `dir-${TOKEN}`);
    const res = await runCli(project, ['start', '--once', '--workflow', path.join(dir, 'WORKFLOW.md')], { env: { GITHUB_TOKEN: TOKEN } });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('dir-***');
    expect(res.stderr).not.toContain(TOKEN);
    const verbose = await runCli(project, ['--verbose', 'start', '--once', '--workflow', path.join(dir, 'WORKFLOW.md')], { env: { GITHUB_TOKEN: TOKEN } });
    expect(verbose.stderr).not.toContain(TOKEN);
  });
});
