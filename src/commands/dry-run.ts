// `swarm start --dry-run`: one listing, then what would be claimed and why — nothing is changed.
import type { Workflow } from '../config/types.js';
import type { Services } from '../orchestrator/runtime.js';
import type { SwarmPaths } from '../state/paths.js';
import { FileStateStore } from '../backend/embedded/state-store.js';
import { capacity, choose, eligibility } from '../core/policy.js';
import type { IO } from './common.js';
import { terminalSafe } from '../util/terminal.js';

export async function dryRun(wf: Workflow, svc: Services, paths: SwarmPaths, io: IO): Promise<number> {
  const state = new FileStateStore(paths.state).peek() ?? (await import('../state/empty-state.js')).emptyState(Date.now());
  const { tickets } = await svc.tracker.candidates();
  const ctx = { config: wf.config, state, now: Date.now(), running: new Set<string>() };
  const ordered = choose(tickets, ctx);
  let slots = capacity(wf.config, state, 0);
  const say = (line: string) => io.stdout.write(terminalSafe(line)); // titles are a stranger's text
  say(`dry run: ${tickets.length} open ticket(s) carry ${wf.config.tracker.labels.join(', ')}; ${ordered.length} eligible; ${slots} slot(s)\n`);
  for (const t of ordered) {
    const verdict = await svc.tracker.trust(t);
    if (!verdict.trusted) {
      say(`  skip   ${t.identifier} ${t.title}: ${verdict.reason}\n`);
      continue;
    }
    if (slots > 0) {
      slots--;
      say(`  claim  ${t.identifier} ${t.title} (priority ${t.priority})\n`);
    } else say(`  wait   ${t.identifier} ${t.title}: no free slot this poll\n`);
  }
  for (const t of tickets.filter((x) => !ordered.includes(x))) {
    const failing = eligibility(t, ctx).filter((c) => !c.pass).map((c) => c.detail);
    say(`  skip   ${t.identifier} ${t.title}: ${failing.join('; ')}\n`);
  }
  say('nothing was changed\n');
  return 0;
}
