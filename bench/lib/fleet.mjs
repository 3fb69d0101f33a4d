// A fleet for the bench: one bare origin and one fake GitHub, N clones of the repository (one daemon each,
// as on N machines) sharing one PostgreSQL database through `state.url`. Each clone talks to GitHub with
// its own token, so the fake's request log tells which daemon sent what. Plain JS twin of test/helpers/fleet.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeProject } from './harness.mjs';
import { git } from './repo.mjs';

/** `n` clones sharing database `url`; `config` is merged into every clone's WORKFLOW.md (`perMember(i)` on top). */
export async function makeFleet(gh, { url, n, config = {}, perMember = () => ({}), scenario }) {
  const first = await makeProject(gh, { config: { ...config, state: { ...(config.state ?? {}), url } }, scenario });
  const workflow = fs.readFileSync(path.join(first.dir, 'WORKFLOW.md'), 'utf8');
  const tokens = Array.from({ length: n }, (_, i) => (i === 0 ? gh.token : `ghp_benchFleetMember${i + 1}0000000000`));
  gh.setTokens(tokens);
  const members = [];
  for (let i = 0; i < n; i++) {
    const dir = i === 0 ? first.dir : path.join(first.base, `m${i + 1}`);
    if (i > 0) {
      await git(first.base, 'clone', '--quiet', first.origin, dir);
      await git(dir, 'remote', 'set-head', 'origin', 'main');
      for (const [k, v] of [['commit.gpgsign', 'false'], ['core.hooksPath', '/dev/null'], ['gc.auto', '0']]) await git(dir, 'config', k, v);
    }
    const front = JSON.parse(workflow.slice(4, workflow.indexOf('\n---\n')));
    const own = deepMerge(front, perMember(i));
    fs.writeFileSync(path.join(dir, 'WORKFLOW.md'), `---\n${JSON.stringify(own, null, 2)}\n---\n${workflow.slice(workflow.indexOf('\n---\n') + 5)}`);
    const swarmDir = path.join(dir, '.swarm');
    members.push({
      name: `m${i + 1}`,
      dir,
      token: tokens[i],
      env: { ...first.env, SWARM_BENCH_GH_TOKEN: tokens[i] },
      swarmDir,
      events() {
        const f = path.join(swarmDir, 'events.jsonl');
        return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
      },
    });
  }
  return { base: first.base, origin: first.origin, members, claudeCalls: () => first.claudeCalls(), scenariosFile: path.join(first.base, 'scenarios.json'), cleanup: first.cleanup };
}

function deepMerge(a, b) {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const plain = (x) => x && typeof x === 'object' && !Array.isArray(x);
    out[k] = plain(v) && plain(out[k]) ? deepMerge(out[k], v) : v;
  }
  return out;
}

/** The requests a member's daemon sent (its own token). */
export const fromMember = (r, m) => (r.headers?.authorization ?? '').endsWith(m.token);
