// The operator's line into a running Claude Code session. With `--input-format stream-json` the CLI reads
// user messages as JSON lines on stdin ({"type":"user","message":{"role":"user","content":"…"}}) and keeps
// the session open until stdin closes; with `--replay-user-messages` it echoes each message back on stdout
// (a `user` line with `isReplay: true`) when it takes it in. Measured on the pinned 2.1.328 against a fake
// Messages API: a message written while a tool runs is echoed just before the next model request, which
// carries it inside the running turn (a `system` message "The user sent a new message while you were
// working: …"); one written after a `result` starts a new turn (a second init and result) with it as a user
// turn; closing stdin after the first message lets the turn finish and the CLI exit 0.
//
// So the runner writes the prompt as the first message, keeps stdin open, and this inbox closes it at a
// `result` once every message it wrote has been echoed (none pending): the session ends exactly when the
// agent has answered everything it was sent. A CLI that never echoes (no replay support) is closed at
// its first result, and a pending message that is not taken in within `graceMs` of a result closes it too,
// so stdin can never hold a finished agent open until the stall timeout.
import type { Writable } from 'node:stream';
import type { StreamEvent } from './types.js';

/** How an operator message starts, so a transcript can tell it from the prompt (both are replayed). */
export const OPERATOR_PREFIX = 'Message from the operator (sent through swarm while you work; this is not ticket text):\n\n';
/** An operator message longer than this is refused (it is a steer, not a document). */
export const MAX_MESSAGE_CHARS = 8000;

export type SendResult = { ok: true } | { ok: false; message: string };

/** One stream-json user message line. */
export function userMessageLine(text: string): string {
  return JSON.stringify({ type: 'user', message: { role: 'user', content: text } }) + '\n';
}

/** A replayed user line's text when it is an operator message (null for the prompt and anything else). */
export function operatorText(ev: StreamEvent): string | null {
  if (ev.type !== 'user' || ev.raw.isReplay !== true) return null;
  const msg = ev.raw.message as { content?: unknown } | undefined;
  const content = typeof msg?.content === 'string' ? msg.content : null;
  return content !== null && content.startsWith(OPERATOR_PREFIX) ? content.slice(OPERATOR_PREFIX.length) : null;
}

export class Inbox {
  private stdin: Writable | null = null;
  private written = 0;
  private echoed = 0;
  private closed = false;
  private grace: NodeJS.Timeout | null = null;

  constructor(private readonly graceMs = 30_000) {}

  /** The runner hands over the agent's stdin: the prompt goes first; stdin stays open. */
  open(stdin: Writable, prompt: string): void {
    this.stdin = stdin;
    this.write(prompt);
  }

  /** Messages written and not yet taken in by the agent. */
  get pending(): number {
    return Math.max(0, this.written - this.echoed);
  }

  get isOpen(): boolean {
    return this.stdin !== null && !this.closed;
  }

  /** Deliver operator text into the session at its next turn. */
  send(text: string): SendResult {
    const body = text.trim();
    if (body === '') return { ok: false, message: 'the message is empty' };
    if (body.length > MAX_MESSAGE_CHARS) return { ok: false, message: `the message is ${body.length} characters; at most ${MAX_MESSAGE_CHARS}` };
    if (this.stdin === null) return { ok: false, message: 'the agent has not started yet; try again in a moment' };
    if (this.closed) return { ok: false, message: 'the agent has already finished its session' };
    this.write(OPERATOR_PREFIX + body);
    return { ok: true };
  }

  /** Every parsed line of the run: echoes are counted; a result with nothing pending ends the session. */
  observe(ev: StreamEvent): void {
    if (this.closed || this.stdin === null) return;
    if (ev.type === 'user' && ev.raw.isReplay === true) {
      this.echoed++;
      this.clearGrace();
      return;
    }
    if (ev.type !== 'result') return;
    if (this.pending === 0 || this.echoed === 0) return this.close();
    // A message is still on its way in: the CLI answers it in a new turn. Never wait for it forever.
    this.clearGrace();
    this.grace = setTimeout(() => this.close(), this.graceMs);
    this.grace.unref();
  }

  /** EOF on stdin: the CLI finishes the turn it is in and exits. Idempotent. */
  close(): void {
    this.clearGrace();
    if (this.closed) return;
    this.closed = true;
    this.stdin?.end();
  }

  private write(text: string): void {
    this.written++;
    this.stdin!.write(userMessageLine(text));
  }

  private clearGrace(): void {
    if (this.grace) clearTimeout(this.grace);
    this.grace = null;
  }
}
