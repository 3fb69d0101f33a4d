// notify.webhook_url: a Slack/Discord-compatible JSON POST ({"text", "content"}) for the transitions an
// operator wants pushed to them: pause, resume, ticket failed, PR opened, daemon stopped. Driven by
// Logger events (one listener), fire-and-forget with a short timeout: a slow, failing or unreachable
// webhook never delays or breaks the daemon, and never raises an unhandled rejection.
// Reasons quote the agent and the ticket, a stranger's words: every message is redacted, and mentions are
// neutralised for both readers (mention-safe.ts): Slack's `text` escaped, Discord's `content` defused and
// sent with `allowed_mentions: {parse: []}`, so nothing in it can ping a channel, a role or a person.
import type { LogEvent } from './logger.js';
import type { SwarmEvent } from '../core/events.js';
import { discordContent, slackText } from '../util/mention-safe.js';
import { terminalSafe } from '../util/terminal.js';

export interface NotifierOptions {
  /** Read at send time, so a reloaded WORKFLOW.md takes effect. null = notifications off. */
  url: () => string | null;
  /** Shown first in every message (the repository or team), e.g. "acme/widgets". */
  source?: () => string;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
  /** Told about failures (debug log); never throws. */
  onError?: (message: string) => void;
  /** Masks secrets in the message (the process's redactor); default: none. */
  redact?: (text: string) => string;
}

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
      return `✋ ${ev.ticket} needs a human (${ev.label}): ${ev.reason}`;
    case 'daemon_stopped':
      return `■ swarm daemon stopped (exit code ${ev.code})`;
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
    if (text !== null) this.send(text);
  };

  send(message: string): void {
    let url: string | null;
    try {
      url = this.opts.url();
    } catch {
      url = null;
    }
    if (!url) return;
    const source = this.opts.source?.() ?? '';
    const full = clip(source ? `[swarm ${source}] ${message}` : `[swarm] ${message}`);
    // Control characters (an agent's escape sequences) are noise in a chat message: dropped like on a terminal.
    const text = terminalSafe(this.opts.redact ? this.opts.redact(full) : full);
    const p = this.post(url, text).catch((err: unknown) => this.opts.onError?.(`webhook notification failed: ${(err as Error)?.message ?? String(err)}`));
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Wait for in-flight notifications (each already bounded by its timeout); used before exiting. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private async post(url: string, text: string): Promise<void> {
    const res = await this.fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // Slack reads `text` (mrkdwn), Discord reads `content` and honours allowed_mentions; each ignores the other's.
      body: JSON.stringify({ text: slackText(text), content: clip(discordContent(text), DISCORD_MAX), allowed_mentions: { parse: [] } }),
      signal: AbortSignal.timeout(this.timeoutMs),
      redirect: 'error',
    });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  }
}

function clip(s: string, max = MAX_CHARS): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
