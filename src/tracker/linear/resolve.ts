// Resolving the Linear configuration once: the team, its workflow states and labels (ids by name) and the
// project, each checked against what this API key can see — a name that is not there is a TrackerError
// 'config' naming the key and what there is.
import type { Config, LinearTrackerConfig } from '../../config/types.js';
import { verifyConfig } from '../../config/verify.js';
import { TrackerError } from '../../errors.js';
import type { LinearTransport } from './transport.js';
import * as Q from './queries.js';

export interface Resolved {
  teamKey: string;
  viewerId: string;
  states: Map<string, string>; // name → id
  labels: Map<string, string>; // name → id
  projectId: string | null;
}

const configError = (message: string) => new TrackerError('config', message);

export async function resolveTeam(api: LinearTransport, config: Config, cfg: LinearTrackerConfig): Promise<Resolved> {
  const teamKey = cfg.team;
  if (!teamKey) throw configError('tracker.team is required for the Linear tracker (the team key, e.g. ENG)');
  const data = await api.request(Q.RESOLVE_QUERY, { team: teamKey } satisfies Q.Vars['resolve']);
  const viewer = Q.obj(data.viewer, 'viewer');
  const team = Q.nodes(data.teams, 'teams')[0];
  if (!team) {
    const keys = Q.nodes((await api.request(Q.TEAM_KEYS_QUERY)).teams, 'teams').map((t) => Q.str(t.key, 'team.key'));
    throw configError(`tracker.team "${teamKey}" is not a Linear team this API key can see (have: ${keys.join(', ') || 'none'})`);
  }
  const stateList = Q.nodes(team.states, 'team.states')
    .sort((a, b) => Number(a.position ?? 0) - Number(b.position ?? 0))
    .map((s) => [Q.str(s.name, 'state.name'), Q.str(s.id, 'state.id')] as const);
  const states = new Map(stateList);
  const have = stateList.map(([n]) => n).join(', ');
  const wanted: [string, string | null][] = [
    ...cfg.states.map((s): [string, string] => ['tracker.states', s]),
    ['tracker.running_state', cfg.running_state], ['tracker.review_state', cfg.review_state], ['tracker.failed_state', cfg.failed_state],
    ['verify.reopen_state', verifyConfig(config).reopen_state],
  ];
  if (cfg.states.length === 0) throw configError('tracker.states must name at least one workflow state to pick tickets up from (e.g. [Todo])');
  for (const [key, name] of wanted)
    if (name !== null && !states.has(name)) throw configError(`${key} "${name}" is not a workflow state of team ${teamKey} (have: ${have})`);

  const labels = new Map<string, string>();
  let after: string | null = null;
  for (let i = 0; i < Q.MAX_PAGES; i++) {
    const conn: unknown = (await api.request(Q.LABELS_QUERY, { team: teamKey, after } satisfies Q.Vars['labels'])).issueLabels;
    for (const l of Q.nodes(conn, 'issueLabels')) labels.set(Q.str(l.name, 'label.name'), Q.str(l.id, 'label.id'));
    const p = Q.pageInfo(conn, 'issueLabels');
    if (!p.hasNextPage || !p.endCursor) break;
    after = p.endCursor;
  }
  const haveLabels = [...labels.keys()].join(', ') || 'none';
  for (const l of cfg.labels)
    if (!labels.has(l)) throw configError(`tracker.labels "${l}" is not a label of team ${teamKey} or the workspace (have: ${haveLabels})`);
  if (cfg.failed_state === null && !labels.has(cfg.failed_label))
    throw configError(`tracker.failed_label "${cfg.failed_label}" is not a label of team ${teamKey} or the workspace, and tracker.failed_state is null so failures are marked with it (have: ${haveLabels})`);

  let projectId: string | null = null;
  if (cfg.project) {
    const found = Q.nodes((await api.request(Q.PROJECTS_QUERY, { project: cfg.project } satisfies Q.Vars['project'])).projects, 'projects');
    if (found.length === 0) throw configError(`tracker.project "${cfg.project}" is not a Linear project name or slugId`);
    projectId = Q.str(found[0]!.id, 'project.id');
  }
  return { teamKey, viewerId: Q.str(viewer.id, 'viewer.id'), states, labels, projectId };
}
