// Notifications: notify.webhook_url, a Slack/Discord-compatible JSON POST ({"text", "content"}) for the
// transitions an operator wants pushed to them (pause, resume, ticket failed, PR opened, needs a human,
// daemon stopped), and notify.routes, which send chosen events to chosen places in one format each
// (slack, discord or json), each message about a ticket linking to its console page. Driven by
// Logger events (one listener), fire-and-forget with a short timeout: a slow, failing or unreachable
// webhook never delays or breaks the daemon, and never raises an unhandled rejection.
// Reasons quote the agent and the ticket, a stranger's words: every message is redacted, and mentions are
// neutralised for both readers (mention-safe.ts): Slack's `text` escaped, Discord's `content` defused and
// sent with `allowed_mentions: {parse: []}`, so nothing in it can ping a channel, a role or a person.
import type { LogEvent } from './logger.js';
import type { SwarmEvent } from '../core/events.js';
import type { NotifyRoute } from '../config/types.js';
import { ROUTE_EVENTS } from '../config/notify.js';
import { discordContent, slackText } from '../util/mention-safe.js';
import { terminalSafe } from '../util/terminal.js';

export interface NotifierOptions {
  /** Read at send time, so a reloaded WORKFLOW.md takes effect. null = the single webhook is off. */
  url: () => string | null;
  /** Routes (notify.routes), read at send time like `url`. */
  routes?: () => readonly NotifyRoute[];
  /** The console page of a ticket (server.public_url or the local URL), linked from its messages; null: no link. */
  link?: (key: string) => string | null;
  /** Shown first in every message (the repository or team), e.g. "acme/widgets". */
  source?: () => string;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
  /** Told about failures (debug log); never throws. */
  onError?: (message: string) => void;
  /** Masks secrets in the message (the process's redactor); default: none. */
  redact?: (text: string) => string;
}

/** Where one message goes and in which shape: a route's format, or `both` (notify.webhook_url: Slack's and Discord's fields at once). */
type Target = { url: string; format: NotifyRoute['format'] | 'both' };

const MAX_CHARS = 1900; // Discord refuses content over 2000 characters
const DISCORD_MAX = 2000; // after defusing mentions (each adds a zero-width space)

/** The message for an event, or null when the event is not one we notify about (pure). */
export function notificationFor(ev: SwarmEvent): string | null {
  switch (ev.type) {
    case 'paused': {
      const until = ev.until ? `until ${ev.until}` : 'until `swarm resume`';
      return `⏸ dispatch paused (${ev.kind}) ${until}${ev.reason ? `: ${ev.reason}` : ''}`;
    }
    case 'resumed':
      return `▶ dispatch resumed (was ${ev.kind})${ev.reason ? `: ${ev.reason}` : ''}`;
    case 'ticket_failed':
      return `✗ ${ev.ticket} failed${ev.reason ? `: ${ev.reason}` : ''}`;
    case 'pr_opened':
      return `✓ ${ev.ticket} handed off${ev.pr ? `: ${ev.pr}` : ''}`;
    case 'followup_started':
      return `↻ ${ev.ticket} follow-up round ${ev.round} (${ev.kind === 'ci' ? 'failing checks' : 'changes requested'}) on PR #${ev.pr}`;
    case 'needs_human':
    case 'branch_diverged':
      return `✋ ${ev.ticket} needs a human (${ev.label}): ${ev.reason}`;
    case 'verify_red':
      return `✗ ${ev.ticket}: the base branch went red after its merge ${ev.merge_sha.slice(0, 7)}: ${ev.detail}`;
    case 'reverted':
      // The `reverted` notification: what swarm did with the charged merge (or would have, or why it did not).
      return ev.outcome === 'opened' || ev.outcome === 'pushed' ? `↩ ${ev.ticket} reverted (verify.revert ${ev.mode}): ${ev.detail}` : `↩ ${ev.ticket} not reverted (verify.revert ${ev.mode}, ${ev.outcome}): ${ev.detail}`;
    case 'verify_settled':
      return ev.outcome === 'needs_human' ? `✋ ${ev.ticket} needs a human: ${ev.detail}` : null;
    case 'daemon_stopped':
      return `■ swarm daemon stopped (exit code ${ev.code})`;
    case 'disk_full':
      return `⏸ dispatch paused (disk_full): ${ev.error}`;
    case 'disk_recovered':
      return `▶ dispatch resumed (was disk_full): disk space is back`;
    default:
      return null;
  }
}

export class Notifier {
  private readonly pending = new Set<Promise<void>>();
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly opts: NotifierOptions) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.fetchImpl = opts.fetchImpl ?? fetch;
  }

  /** Pass to Logger.onEvent. */
  readonly listener = (ev: LogEvent): void => {
    const text = notificationFor(ev.event);
    if (text === null) return;
    const key = 'key' in ev.event && typeof ev.event.key === 'string' ? ev.event.key : null;
    const targets = this.targetsFor(ev.event.type);
    if (targets.length > 0) this.deliver(targets, text, ev.event, key);
  };

  /** A message to the single webhook (notify.webhook_url) only. */
  send(message: string): void {
    const url = this.safe(() => this.opts.url());
    if (url) this.deliver([{ url, format: 'both' }], message, null, null);
  }

  /** Wait for in-flight notifications (each already bounded by its timeout); used before exiting. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private targetsFor(type: string): Target[] {
    const out: Target[] = [];
    const url = this.safe(() => this.opts.url());
    if (url) out.push({ url, format: 'both' });
    for (const r of this.safe(() => this.opts.routes?.()) ?? []) {
      if (r.events.some((e) => ROUTE_EVENTS[e]?.includes(type))) out.push({ url: r.url, format: r.format });
    }
    return out;
  }

  private deliver(targets: Target[], message: string, ev: SwarmEvent | null, key: string | null): void {
    const source = this.opts.source?.() ?? '';
    const full = clip(source ? `[swarm ${source}] ${message}` : `[swarm] ${message}`);
    // Control characters (an agent's escape sequences) are noise in a chat message: dropped like on a terminal.
    const text = terminalSafe(this.opts.redact ? this.opts.redact(full) : full);
    const link = key !== null ? this.safe(() => this.opts.link?.(key)) ?? null : null;
    for (const t of targets) {
      const body = this.opts.redact ? this.opts.redact(JSON.stringify(bodyFor(t.format, text, link, ev, source))) : JSON.stringify(bodyFor(t.format, text, link, ev, source));
      const p = this.post(t.url, body).catch((err: unknown) => this.opts.onError?.(`webhook notification failed: ${(err as Error)?.message ?? String(err)}`));
      this.pending.add(p);
      void p.finally(() => this.pending.delete(p));
    }
  }

  private safe<T>(fn: () => T): T | null {
    try {
      return fn();
    } catch {
      return null;
    }
  }

  private async post(url: string, body: string): Promise<void> {
    const res = await this.fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(this.timeoutMs),
      redirect: 'error',
    });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  }
}

/**
 * The request body for a format. Slack reads `text` (mrkdwn: a link is `<url|label>`, built after escaping
 * the text); Discord reads `content` and honours allowed_mentions (a link in `<…>` shows no preview); json
 * is for anything else. `both`: Slack's and Discord's fields together (notify.webhook_url).
 */
export function bodyFor(format: Target['format'], text: string, link: string | null, ev: SwarmEvent | null, source: string): Record<string, unknown> {
  const safeLink = link === null ? null : link.replace(/[|<>\s]/g, encodeURIComponent);
  const slack = () => slackText(text) + (safeLink ? ` <${safeLink}|open in the swarm console>` : '');
  const discord = () => clip(discordContent(text) + (safeLink ? `\n<${safeLink}>` : ''), DISCORD_MAX);
  switch (format) {
    case 'slack':
      return { text: slack() };
    case 'discord':
      return { content: discord(), allowed_mentions: { parse: [] } };
    case 'json': {
      const t = ev && 'ticket' in ev && typeof ev.ticket === 'string' ? ev.ticket : null;
      const k = ev && 'key' in ev && typeof ev.key === 'string' ? ev.key : null;
      // Mentions defused here too: a JSON consumer may well relay the text to a chat.
      return { source, event: ev?.type ?? 'message', ticket: t, key: k, text: discordContent(text), url: link, at: ev?.at ?? new Date().toISOString() };
    }
    case 'both':
      // notify.webhook_url as it always was: the same words for Slack and Discord, no link.
      return { text: slackText(text), content: clip(discordContent(text), DISCORD_MAX), allowed_mentions: { parse: [] } };
  }
}

function clip(s: string, max = MAX_CHARS): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
