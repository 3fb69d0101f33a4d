// The loop's side of webhooks: verified deliveries come in (from this daemon's receiver, or from another
// daemon of the fleet through the bus), the objects they name go into the dirty set, which nudges the loop
// into a targeted round; every verified delivery (a ping too) keeps its source healthy, and the loop asks
// here which poll and PR-watch intervals are in force. Health changes are said once (one log line, the
// daemon record `swarm status` and the dashboard read). While GitHub is quiet the hook is pinged — a ping
// is a delivery like any other, so an idle repository stays "healthy" exactly as long as GitHub can reach
// swarm with the right secret — at most once per 3/4 of `webhooks.healthy_within`.
import type { Config } from '../config/types.js';
import { webhookUrl } from '../config/webhooks.js';
import type { DaemonInfo } from '../core/types.js';
import type { Logger } from '../log/logger.js';
import { DeliveryLog } from '../webhooks/deliveries.js';
import { DirtySet, dirtyKeys, type DirtyKey } from '../webhooks/dirty.js';
import { webhookView, type LastSeen } from '../webhooks/health.js';
import type { WebhookView } from '../core/views.js';
import type { Mapped, WebhookSource } from '../webhooks/hints.js';
import { WebhookStats } from '../webhooks/stats.js';
import type { BusMessage, HintBus } from '../webhooks/bus.js';
import type { GitHubHooks } from '../tracker/github/hooks.js';
import { HooksForbidden } from '../tracker/github/hooks.js';
import type { Settings } from './runtime.js';

export interface WebhookLinkDeps {
  settings: Settings;
  log: Logger;
  now: () => number;
  random: () => number;
  /** The daemon's view: webhook health goes there (for status and the dashboard). */
  daemon: DaemonInfo;
  /** `.swarm/webhook-deliveries.log` (null: kept in memory only). */
  deliveriesFile: string | null;
  /** Wake the loop for a targeted round. */
  nudge: () => void;
}

/** Keep-alive pings go out once no verified GitHub delivery came for this share of healthy_within. */
const PING_AFTER = 0.75;

export class WebhookLink {
  readonly stats = new WebhookStats();
  readonly dirty: DirtySet;
  readonly deliveries: DeliveryLog;
  private readonly last: LastSeen = { github: null, linear: null };
  private readonly startedAt: number;
  private announced: Record<WebhookSource, string> = { github: 'waiting', linear: 'waiting' };
  private savedLast: LastSeen = { github: null, linear: null };
  private bus: { bus: HintBus; me: string } | null = null;
  private ping = { at: Number.NEGATIVE_INFINITY, jitter: 0, off: false, said: '' };

  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly d: WebhookLinkDeps) {
    this.startedAt = d.now();
    this.dirty = new DirtySet(() => d.nudge());
    this.deliveries = new DeliveryLog(d.deliveriesFile, d.now, { onError: (m) => d.log.warn(`webhooks: ${m}`) });
  }

  /** Start the keep-alive checks (they cost nothing until a ping is due). */
  start(): void {
    if (this.timer) return;
    // Checked often enough that a ping goes out well inside healthy_within (a 20th of it, at most every second).
    this.timer = setInterval(() => this.keepAlive(), Math.max(100, Math.min(1000, Math.floor(this.config.webhooks.healthy_within / 20))));
    this.timer.unref();
    this.keepAlive();
  }

  private get config(): Config {
    return this.d.settings.wf.config;
  }

  /** Fleet mode: deliveries go to every daemon through `bus`; `me` is this daemon's fleet id. */
  attachBus(bus: HintBus, me: string): void {
    this.bus = { bus, me };
    bus.onMessage((m) => this.fromBus(m));
  }

  /** A verified, fresh, first-seen delivery from this daemon's receiver. */
  accept(source: WebhookSource, mapped: Mapped, at: number): void {
    const keys = mapped.kind === 'hints' ? dirtyKeys(mapped.hints) : [];
    if (!this.bus) return this.arrived(source, at, keys);
    const { bus, me } = this.bus;
    // Not listening right now (reconnecting): this daemon would not hear its own message; act here too.
    if (!bus.listening()) this.arrived(source, at, keys);
    bus.publish({ t: 'hint', from: me, source, at, keys }).catch((err: Error) => {
      // The fleet cannot hear it now: act on it here (the others' polls catch up).
      this.d.log.debug(`webhooks: could not tell the fleet (${err.message}); acting on the delivery here only`);
      if (bus.listening()) this.arrived(source, at, keys);
    });
  }

  /** Objects this daemon re-read for a delivery: in a fleet, the others need not. */
  served(keys: readonly DirtyKey[]): void {
    if (!this.bus || keys.length === 0) return;
    const { bus, me } = this.bus;
    void bus.publish({ t: 'done', from: me, keys: [...keys] }).catch(() => undefined);
  }

  /** The poll interval in force (ms). */
  pollInterval(): number {
    return this.view().poll_interval_ms;
  }

  /** The PR watch interval in force (ms). */
  watchInterval(): number {
    return this.view().watch_interval_ms;
  }

  view(now = this.d.now()): WebhookView {
    return webhookView(this.config, this.last, now, this.startedAt);
  }

  /** Moments the loop must wake at even without a delivery: a source's health running out. */
  wakeTimes(): number[] {
    const within = this.config.webhooks.healthy_within;
    return (['github', 'linear'] as const).filter((s) => this.last[s] !== null).map((s) => this.last[s]! + within + 1);
  }

  /**
   * Once per loop turn: a change of health is said once (a log line, the daemon record). True when the
   * record changed enough to be worth saving (state, intervals, or a delivery time 30 s newer).
   */
  checkHealth(): boolean {
    const now = this.d.now();
    const v = this.view(now);
    let changed = false;
    for (const source of ['github', 'linear'] as const) {
      const s = v[source].state;
      const was = this.announced[source];
      if (s === was) continue;
      this.announced[source] = s;
      if (s === 'off' && was === 'waiting') continue; // never configured: nothing changed
      changed = true;
      if (s === 'healthy') {
        const poll = v.tickets_from === source ? `polling every ${fmt(v.poll_interval_ms)} (webhooks.poll_interval)` : 'tickets are still polled at polling.interval';
        const watch = source === 'github' ? `, PR watches every ${fmt(v.watch_interval_ms)}` : '';
        this.d.log.event({ type: 'webhooks_health', source, state: 'healthy', poll_interval_ms: v.poll_interval_ms, detail: `verified deliveries arrive; ${poll}${watch} while they keep coming` });
      } else if (s === 'silent') {
        const since = this.last[source] === null ? 'since the daemon started' : `since ${new Date(this.last[source]!).toISOString()}`;
        this.d.log.event({ type: 'webhooks_health', source, state: 'silent', poll_interval_ms: v.poll_interval_ms, detail: `no verified delivery ${since} (webhooks.healthy_within ${fmt(this.config.webhooks.healthy_within)}); polling every ${fmt(v.poll_interval_ms)} (polling.interval) again` });
      }
    }
    for (const source of ['github', 'linear'] as const) {
      const t = this.last[source];
      if (t !== null && (this.savedLast[source] === null || t - this.savedLast[source]! >= 30_000)) changed = true;
    }
    this.d.daemon.webhooks = v;
    if (changed) this.savedLast = { ...this.last };
    return changed;
  }

  /** A full poll ran `gap` ms after the previous one: count the polls the relaxed interval saved. */
  notePoll(gap: number): void {
    const v = this.view();
    if (v.poll_interval_ms > v.polling_interval_ms && Number.isFinite(gap)) {
      this.stats.pollsSaved += Math.max(0, Math.floor(gap / v.polling_interval_ms) - 1);
    }
  }

  /** Ping the GitHub hook when GitHub has been quiet for a while (non-blocking). */
  keepAlive(): void {
    const hooks = (this.d.settings.svc.codeHost as { hooks?: GitHubHooks }).hooks;
    if (!hooks || !this.pingWanted() || this.d.now() < this.pingDue()) return;
    const url = webhookUrl(this.config, 'github')!;
    this.ping.at = this.d.now();
    this.ping.jitter = this.d.random();
    void hooks.ping(url).then(
      (r) => this.sayOnce(r === 'no_hook' ? `webhooks: no repository webhook delivers to ${url}, so swarm cannot ping it to check the deliveries; run \`swarm webhooks setup\`` : ''),
      (err: Error) => {
        if (err instanceof HooksForbidden) this.ping.off = true;
        this.sayOnce(`webhooks: cannot ping the GitHub hook (${err.message}); deliveries alone keep webhooks healthy`);
      },
    );
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.dirty.close();
  }

  private pingWanted(): boolean {
    const w = this.config.webhooks;
    return w.github_secret !== null && w.public_url !== null && !this.ping.off;
  }

  /** When the next keep-alive ping is due: 3/4 of healthy_within after the last delivery or ping (jittered, so a fleet does not ping at once). */
  private pingDue(): number {
    const within = this.config.webhooks.healthy_within;
    const quietSince = Math.max(this.last.github ?? Number.NEGATIVE_INFINITY, this.ping.at);
    return quietSince + within * (PING_AFTER + 0.1 * this.ping.jitter);
  }

  private sayOnce(message: string): void {
    if (message === this.ping.said) return;
    this.ping.said = message;
    if (message) this.d.log.info(message);
  }

  private fromBus(m: BusMessage): void {
    if (m.t === 'done') {
      if (m.from !== this.bus?.me) this.dirty.drop(m.keys);
      return;
    }
    this.arrived(m.source, m.at, m.keys);
  }

  private arrived(source: WebhookSource, at: number, keys: DirtyKey[]): void {
    // Another machine's clock may be ahead: a delivery never counts as newer than now.
    const t = Math.min(at, this.d.now());
    const was = this.announced[source];
    this.last[source] = Math.max(this.last[source] ?? t, t);
    if (keys.length > 0) this.dirty.add(keys, t);
    // Healthy again: the loop says so and takes the relaxed interval now, not after its current sleep.
    else if (was !== 'healthy') this.d.nudge();
  }
}

function fmt(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
