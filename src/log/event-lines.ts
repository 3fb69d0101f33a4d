// The one human line each event prints on stdout (its ticket identifier goes first, added by the logger),
// and its level. Pure: an event in, a sentence out; null for events that only belong in events.jsonl.
import type { SwarmEvent } from '../core/events.js';
import { dbDownMeaning } from '../core/views.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Line {
  text: string;
  level: Level;
}

const info = (text: string): Line => ({ text, level: 'info' });
const warn = (text: string): Line => ({ text, level: 'warn' });
const error = (text: string): Line => ({ text, level: 'error' });

export function eventLine(ev: SwarmEvent): Line | null {
  switch (ev.type) {
    case 'claimed':
      return info(`claimed → ${ev.branch}`);
    case 'pr_found':
      return info(`already has ${ev.pr}; handed off without running`);
    case 'started':
      return info(`attempt ${ev.attempt} on ${ev.model} · ${ev.failures} of ${ev.max_attempts} failures used`);
    case 'spawned':
      return null;
    case 'finished': {
      const text = `attempt ${ev.attempt} ${ev.outcome}${ev.counted ? ' (counted)' : ''}: ${ev.reason}`;
      return ev.outcome.startsWith('pr_') ? info(text) : warn(text);
    }
    case 'pr_opened':
      return info(`handed off: ${ev.pr ?? 'the pushed branch'}`);
    case 'followup_started': {
      const what = ev.kind === 'ci' ? `failing check${ev.checks.length === 1 ? '' : 's'} ${ev.checks.map((c) => c.name).join(', ')}` : `changes requested (${ev.comments.length} comment${ev.comments.length === 1 ? '' : 's'})`;
      return info(`follow-up round ${ev.round} on PR #${ev.pr}: ${what} on ${ev.head_sha.slice(0, 7)}`);
    }
    case 'followup_pushed':
      return info(`follow-up round ${ev.round} pushed ${ev.head_sha.slice(0, 7)}; watching the PR again`);
    case 'needs_human':
      return warn(`needs a human (${ev.label}): ${ev.reason}`);
    case 'followups_resumed':
      return info(ev.reason);
    case 'commits_seen':
      return null;
    case 'branch_diverged':
      return warn(`needs a human (${ev.label}): ${ev.reason}`);
    case 'pr_closed':
      return info(ev.merged ? `done: ${ev.pr} was merged` : `done: ${ev.pr} was closed without merging`);
    case 'verify_started':
      return info(`merged as ${ev.merge_sha.slice(0, 7)} (${ev.pr}): verifying ${ev.base}`);
    case 'verified':
      return info(`verified: ${ev.detail}`);
    case 'verify_red':
      return error(`red after merge ${ev.merge_sha.slice(0, 7)}: ${ev.detail}; ${ev.charge_note}`);
    case 'reverted':
      return ev.outcome === 'opened' || ev.outcome === 'pushed' || ev.outcome === 'reported' || ev.outcome === 'recorded' ? warn(ev.detail) : error(ev.detail);
    case 'reopened':
      return warn(`reopened (${ev.label}): ${ev.reason}; next attempt on ${ev.branch}`);
    case 'verify_settled':
      // reported/recorded: the `reverted` line just said it; only the end is new.
      if (ev.outcome === 'reported' || ev.outcome === 'recorded') return info(`done: ${ev.merge_sha.slice(0, 7)} stays on the base (verify.revert ${ev.outcome === 'reported' ? 'report' : 'off'})`);
      return ev.outcome === 'needs_human' ? warn(`needs a human: ${ev.detail}`) : info(ev.detail);
    case 'retry_scheduled':
      return info(`retry at ${ev.due}`);
    case 'waiting':
      return info(`waits for the pause to end${ev.due ? ` (${ev.due})` : ' (`swarm resume`)'}; not counted`);
    case 'held':
      return warn(`not started: ${ev.reason}; waits${ev.due ? ` until ${ev.due}` : ''} (nothing ran, not counted)`);
    case 'ticket_failed':
      return error(`failed after ${ev.failures} counted attempts: ${ev.reason}`);
    case 'cancelled':
      return warn(`cancelled: ${ev.reason}${ev.stopping_agent ? '; stopping the agent' : ''}${ev.removing_worktree ? '; removing the worktree' : '; keeping the worktree'}`);
    case 'released':
      return ev.by === 'operator' ? info(ev.reason) : warn(`claim failed: ${ev.reason} (will retry next poll)`);
    case 'hold_lifted':
      return info(ev.reason);
    case 'retry_requested':
      return info(ev.reason);
    case 'interrupted':
      return warn(`interrupted: ${ev.reason}`);
    case 'paused': {
      const until = ev.until ? ` until ${ev.until}` : ' until `swarm resume`';
      return warn(ev.kind === 'operator' ? `dispatch paused${until} by an operator; running agents continue` : `dispatch paused${until}: ${ev.reason}`);
    }
    case 'resumed':
      return info(`resumed: ${ev.reason}${ev.canary ? ' (one canary run first)' : ''}`);
    case 'canary_passed':
      return info('canary run got past fast_fail: filling the other slots');
    case 'budget_reached':
      return warn(`no new work today: ${ev.reason}`);
    case 'daemon_started':
      return info(`swarm started (pid ${ev.pid}, ${ev.tracker} tracker, ${ev.mode}, up to ${ev.max_concurrent} agents)`);
    case 'daemon_stopped':
      return info('swarm stopped');
    case 'draining':
      return warn(`draining: no new work; waiting for ${ev.running} running agent(s) (signal again to stop them now)`);
    case 'recovered':
      return info(`recovered ${ev.interrupted} interrupted attempt(s) from the previous run; they will resume (not counted)`);
    case 'orphan_killed':
      return warn(ev.found_by === 'state' ? `killed orphaned agent process group ${ev.pid} from the previous daemon` : `killed a stray agent process group ${ev.pid} left by a previous daemon`);
    case 'state_moved_aside':
      return error(ev.message);
    case 'state_rebuilt':
      return warn(`rebuilt ${ev.tickets} ticket record(s) (${ev.counted_failures} counted failure(s)) from ${ev.events} line(s) of ${ev.file}; the tracker is re-read on the first poll`);
    case 'config_error':
      return error(`${ev.error} — keeping the last good configuration`);
    case 'config_ok':
      return info(`${ev.file} is valid again`);
    case 'poll_error':
      return error(`poll failed unexpectedly: ${ev.error} (retrying next poll)`);
    case 'tracker_error':
      return warn(`tracker poll failed: ${ev.error} (will retry next poll)`);
    case 'tracker_refused':
      return error(`tracker refuses the poll: ${ev.error} (not retried; polls resume once the setting is changed)`);
    case 'sync_failed':
      return warn(`tracker update failed: ${ev.error} (will be repaired on a later poll)`);
    case 'ignored':
      return info(`ignored: ${ev.reason}`);
    case 'control_refused':
      return warn(`not obeyed: ${ev.reason}`);
    case 'gc':
      return null; // the sweeper prints its own summary, only when it did something
    case 'fleet_db':
      return ev.status === 'ok' ? info('fleet database reachable again: claims resume') : error(`fleet database unreachable (${ev.error}): ${dbDownMeaning()}`);
    case 'lease_lost':
      return warn('this ticket\'s lease is gone (another daemon holds it now): its agent here is stopped and nothing more is written for it');
    case 'fenced':
      return ev.verdict === 'lost'
        ? warn(`${ev.what} not sent: another daemon holds this ticket's lease now; this run is interrupted and recorded by the holder`)
        : warn(`${ev.what} waits: the fleet database cannot confirm this daemon's lease yet`);
    case 'taken_over':
      return warn(`taking over from ${ev.from}, which stopped renewing its lease`);
    case 'account_joined':
      return info(`Claude account ${ev.account} (from ${ev.from}) shared through ${ev.where}; ${ev.others} other daemon(s) on it`);
    case 'account_limit':
      return ev.model_family
        ? warn(`weekly ${ev.model_family} limit shared with every daemon on Claude account ${ev.account}: no ${ev.model_family} attempt starts before ${ev.until}; others go on`)
        : warn(`usage limit shared with every daemon on Claude account ${ev.account}: none starts an agent before ${ev.until}`);
    case 'account_canary':
      return ev.change === 'claimed'
        ? info(`runs the one canary run for Claude account ${ev.account} after its usage limit; the other daemons wait for it`)
        : ev.change === 'passed'
          ? info(`canary run passed for Claude account ${ev.account}: every daemon on it may fill its slots`)
          : warn(`canary run for Claude account ${ev.account} ended without proof; another daemon may take it`);
    case 'account_error':
      return warn(`${ev.error} (using the last record read; will retry)`);
    case 'operator_message':
      return info(`operator message to attempt ${ev.attempt}: ${ev.text.replace(/\s+/g, ' ').slice(0, 100)}`);
    case 'account_window':
      return null;
    case 'webhook': {
      const what = ev.event === null ? `${ev.source} request` : `${ev.source} ${ev.event}${ev.action ? `.${ev.action}` : ''}${ev.delivery ? ` (delivery ${ev.delivery.slice(0, 12)})` : ''}`;
      return ev.status >= 400 ? warn(`webhook refused (${ev.status}): ${what}: ${ev.detail}; nothing done`) : info(`webhook ${what}: ${ev.detail}`);
    }
    case 'webhooks_health':
      return ev.state === 'healthy' ? info(`${ev.source} webhooks healthy: ${ev.detail}`) : warn(`${ev.source} webhooks silent: ${ev.detail}`);
    case 'server_started':
      return info(`dashboard and API on ${ev.url} (metrics: ${ev.url}metrics)`);
    case 'disk_full':
      return error(`disk full: ${ev.error}; kept the previous ${ev.file}. Dispatch is paused until swarm can write again (running agents continue); free some space`);
    case 'disk_recovered':
      return info(`disk space is back: ${ev.file} written again${ev.unwritten > 0 ? ` (and ${ev.unwritten} event line(s) held in memory)` : ''}; dispatch resumes`);
  }
}
