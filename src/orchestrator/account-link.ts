// The loop's side of the shared Claude account: at each poll the account record is read (and this
// daemon's membership renewed), a usage-limit pause another daemon hit is recorded here too — through the
// lifecycle's pause step, so eligibility, the spawn gate, the wake-up, status and explain see it like any
// pause — and right before a spawn the record is read again and, after a limit, the account's one canary
// run is asked for. Attempts report what they learn: window figures as the agent streams them, a usage
// limit, and whether the canary they ran passed. Decisions come from core/account-policy.ts.
import type { Config } from '../config/types.js';
import type { AccountSeen } from '../core/types.js';
import type { Logger } from '../log/logger.js';
import type { Ledger } from '../state/ledger.js';
import type { StreamSummary, Classification } from '../agent/types.js';
import { pause } from '../core/lifecycle.js';
import { figuresFromStream, type WindowFigures } from '../core/account-record.js';
import type { SharedAccount } from '../account/shared.js';
import { canaryTurn, mirroredPause, type AccountView } from '../core/account-policy.js';
import { effectOf } from '../core/outcome.js';

export interface AccountLinkOptions {
  shared: SharedAccount;
  ledger: Ledger;
  /** The daemon's view: the account as last read goes there (for status and explain). */
  view: { seeAccount(a: AccountSeen): void };
  log: Logger;
  now: () => number;
  /** The account file (null in fleet mode), and where the account's name came from, for status. */
  file: string | null;
  from: string;
}

export class AccountLink {
  /** The figures last sent, so a stream repeating them writes nothing. */
  private lastSent: string | null = null;

  constructor(private readonly o: AccountLinkOptions) {}

  get name(): string {
    return this.o.shared.name;
  }

  view(): AccountView {
    return { record: this.o.shared.record, self: this.o.shared.id };
  }

  /** Each poll: the record as it is now, its pause recorded here when it is not yet. */
  async poll(): Promise<void> {
    await this.o.shared.refresh();
    await this.follow();
  }

  /**
   * Right before a spawn: the freshest record, its pause recorded here, and — when a canary is pending
   * and nobody runs it, and this spawn would otherwise go ahead (`wouldStart`) — this daemon takes it.
   * Returns whether this daemon now holds the account's canary (this run is it).
   */
  async beforeSpawn(ticket: string, wouldStart: () => boolean): Promise<boolean> {
    await this.o.shared.refresh();
    await this.follow();
    const now = this.o.now();
    if (canaryTurn(this.view(), now) === 'open' && wouldStart()) {
      if (await this.o.shared.claimCanary()) this.o.log.event({ type: 'account_canary', account: this.name, change: 'claimed', ticket });
    }
    return canaryTurn(this.view(), this.o.now()) === 'mine';
  }

  /** An agent event: usage-window figures it reported go to the account at once (other daemons pace on them). */
  streamed(window: StreamSummary['window']): void {
    const f = figuresFromStream(window);
    if (f) void this.sendWindow(f);
  }

  /**
   * A finished attempt: its last figures, and a usage limit it hit (the same pause effectOf gives this
   * daemon) — or a weekly limit on one model family, which holds only attempts on that family, everywhere.
   */
  async ended(cls: Classification, window: StreamSummary['window'], config: Config, now: number, jitter: number): Promise<void> {
    const f = figuresFromStream(window);
    if (f) await this.sendWindow(f);
    const effect = effectOf(cls, 0, config, now, jitter);
    if (effect.kind === 'model_wait') {
      await this.o.shared.modelLimitSeen(effect.family, effect.limit);
      this.o.log.event({ type: 'account_limit', account: this.name, until: effect.limit.until, reason: effect.limit.reason, model_family: effect.family });
      return;
    }
    if (effect.kind !== 'pause' || effect.pause.kind !== 'rate_limit' || effect.pause.until === null) return;
    await this.o.shared.limitSeen({ until: effect.pause.until, reason: effect.pause.reason, limit_type: effect.pause.limit_type });
    this.o.log.event({ type: 'account_limit', account: this.name, until: effect.pause.until, reason: effect.pause.reason });
  }

  /** The canary run this daemon held proved the way clear. */
  async canaryPassed(ticket: string): Promise<void> {
    // Stamped when the pass was seen, before the other daemons can learn of it: every start they make is later.
    const at = new Date(this.o.now()).toISOString();
    await this.o.shared.canaryPassed();
    this.o.log.event({ type: 'account_canary', account: this.name, change: 'passed', ticket, at });
  }

  /** The canary run this daemon held ended (or never started) without proof: another daemon may take it. */
  async canaryReleased(ticket: string): Promise<void> {
    if (canaryTurn(this.view(), this.o.now()) !== 'mine') return;
    await this.o.shared.releaseCanary();
    this.o.log.event({ type: 'account_canary', account: this.name, change: 'released', ticket });
  }

  /** Record the account's pause here when the local pause does not already cover it; keep the view for status. */
  private async follow(): Promise<void> {
    const now = this.o.now();
    const p = mirroredPause(this.o.ledger.state.pause, this.view(), now);
    if (p) await this.o.ledger.commit(pause(p, now));
    this.o.view.seeAccount({ self: this.o.shared.id, file: this.o.file, from: this.o.from, record: this.o.shared.record });
  }

  private async sendWindow(f: WindowFigures): Promise<void> {
    const key = JSON.stringify(f);
    if (key === this.lastSent) return;
    this.lastSent = key;
    await this.o.shared.window(f);
  }
}
