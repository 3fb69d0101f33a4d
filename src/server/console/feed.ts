// What the console's stream carries, made from what the daemon already produces: every logged transition
// (Logger.onEvent, already redacted) and every parsed line of every running agent (the runtime's
// AgentWatch). Each becomes one typed bus event:
//   status   {ticket, key, event, status, title, reason?, at}          a ticket's transition
//   attempt  {ticket, key, attempt, phase: started|ended, model, …}    an attempt began or ended
//   line     {ticket, key, attempt, seq, kind, activity, tool, html}   one line of a running agent (tool: the
//                                                                     call it makes, when it is a tool call)
//   message  {ticket, key, attempt, text, at}                          an operator message was delivered
//   pause    {event: paused|resumed|budget_reached, kind?, until?, reason, at}
//   account  {event, status?, utilization?, limit_type?, resets_at?, until?, at}   the Claude account's window
//   fleet    {event, status?, error?, ticket?, at}                     fleet database and leases
//   daemon   {event, …}                                                the daemon itself (start, drain, config)
// It also samples the account's usage window into events.jsonl (`account_window`: on a change of a
// point or more, else every five minutes) so the history can chart it.
import type { StreamEvent } from '../../agent/types.js';
import type { SwarmEvent } from '../../core/events.js';
import type { Logger, LogEvent } from '../../log/logger.js';
import type { AgentWatch } from '../../orchestrator/runtime.js';
import type { TicketState } from '../../core/types.js';
import { describeEvent } from '../../agent/describe.js';
import { toEvent } from '../../agent/stream.js';
import type { EventBus } from './bus.js';
import { eventHtml, lineKind } from './transcript-html.js';

const WINDOW_SAMPLE_MS = 5 * 60_000;

export class ConsoleFeed implements AgentWatch {
  private readonly seq = new Map<string, number>();
  /** Each running agent's current (latest) tool call, by ticket key. */
  private readonly tools = new Map<string, string>();
  private window: { at: number; status: string; utilization: number | null } | null = null;

  constructor(
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly ticketOf: (key: string) => TicketState | undefined,
    private readonly now: () => number = Date.now,
    /**
     * Whether the console's live stream is served (server.port set). Without it nobody can read a line from
     * the bus (the control socket carries no stream), so a line only feeds what other surfaces read: the
     * current tool call and the account window's sample. Making and keeping every line anyway cost a daemon
     * with 20 streaming agents ~100 MB of RSS: ~100 MB of lines promoted through the old space by the ring.
     */
    private readonly served = true,
  ) {}

  /** Pass to Logger.onEvent. */
  readonly listener = (le: LogEvent): void => {
    const ev = le.event;
    const kind = channelOf(ev);
    if (kind === null) return;
    if (kind === 'status' || kind === 'attempt') {
      const t = ev as Extract<SwarmEvent, { key: string }>;
      const ts = this.ticketOf(t.key);
      if (ev.type === 'finished' || ev.type === 'interrupted') {
        for (const k of this.seq.keys()) if (k.startsWith(`${t.key}\n`)) this.seq.delete(k);
        this.tools.delete(t.key);
      }
      if (kind === 'attempt') {
        const { type, ...rest } = ev as Extract<SwarmEvent, { type: 'started' | 'finished' }>;
        this.bus.publish('attempt', { ...rest, phase: type === 'started' ? 'started' : 'ended', status: ts?.status ?? null });
      } else {
        const { type, ...rest } = t;
        this.bus.publish('status', { ...rest, event: type, status: ts?.status ?? null, title: ts?.title ?? '' });
      }
      return;
    }
    const { type, ...rest } = ev;
    this.bus.publish(kind, { event: type, ...rest });
  };

  /** A parsed line of a running agent (the dispatcher calls this for every line, as parsed: not yet redacted). */
  line(ticket: { key: string; identifier: string }, attempt: number, parsed: StreamEvent): void {
    if (!this.served && parsed.type !== 'rate_limit' && !isToolCall(parsed)) return;
    // The agent's words are masked before anything is made of them, exactly as the run file's line is.
    const ev = toEvent(JSON.parse(this.log.redact(JSON.stringify(parsed.raw))) as Record<string, unknown>);
    const id = `${ticket.key}\n${attempt}`;
    const seq = (this.seq.get(id) ?? 0) + 1;
    this.seq.set(id, seq);
    if (ev.type === 'rate_limit') this.sampleWindow(ev);
    const tool = isToolCall(ev) ? describeEvent(ev) : null;
    if (tool) this.tools.set(ticket.key, tool);
    if (!this.served) return;
    this.bus.publish('line', { ticket: ticket.identifier, key: ticket.key, attempt, seq, kind: lineKind(ev), activity: describeEvent(ev), tool, html: eventHtml(ev) });
  }

  /** The running agent's current tool call (null before its first). */
  currentTool(key: string): string | null {
    return this.tools.get(key) ?? null;
  }

  private sampleWindow(ev: Extract<StreamEvent, { type: 'rate_limit' }>): void {
    const now = this.now();
    const w = this.window;
    const moved = !w || w.status !== ev.status || Math.abs((w.utilization ?? -1) - (ev.utilization ?? -1)) >= 0.01 || now - w.at >= WINDOW_SAMPLE_MS;
    if (!moved) return;
    this.window = { at: now, status: ev.status, utilization: ev.utilization };
    this.log.event({ type: 'account_window', status: ev.status, utilization: ev.utilization, limit_type: ev.rateLimitType, resets_at: ev.resetsAt ? new Date(ev.resetsAt * 1000).toISOString() : null });
  }
}

function isToolCall(ev: StreamEvent): boolean {
  return ev.type === 'assistant' && !ev.synthetic && ev.toolUses.length > 0;
}

const ATTEMPT = new Set(['started', 'finished']);
const PAUSE = new Set(['paused', 'resumed', 'budget_reached', 'canary_passed']);
const ACCOUNT = new Set(['account_window', 'account_limit', 'account_canary', 'account_joined', 'account_error']);
const FLEET = new Set(['fleet_db', 'lease_lost', 'taken_over']);
const DAEMON = new Set(['daemon_started', 'daemon_stopped', 'draining', 'config_error', 'config_ok', 'poll_error', 'tracker_error', 'tracker_refused', 'recovered']);

/** Which stream channel an event goes to (null: not shown live). */
export function channelOf(ev: SwarmEvent): 'status' | 'attempt' | 'message' | 'pause' | 'account' | 'fleet' | 'daemon' | null {
  if (ATTEMPT.has(ev.type)) return 'attempt';
  if (ev.type === 'operator_message') return 'message';
  if (PAUSE.has(ev.type)) return 'pause';
  if (ACCOUNT.has(ev.type)) return 'account';
  if (FLEET.has(ev.type)) return 'fleet';
  if (DAEMON.has(ev.type)) return 'daemon';
  // Every other event naming a ticket is a change of its status (today's and any added later, e.g. verification).
  return 'key' in ev && typeof ev.key === 'string' && ev.type !== 'spawned' ? 'status' : null;
}
