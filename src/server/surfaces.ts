// Everything a running daemon exposes to its operator, started by `swarm start` with one call: the control
// socket (for `swarm pause/resume/retry/release/explain/gc/dashboard`), the console/API/metrics server when
// server.port is set (with its live feed, its history, its login sessions and the webhook receivers), and
// notifications.
// close() stops them all and waits for in-flight notifications.
import { ServerStartError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import type { SwarmPaths } from '../state/paths.js';
import { startControlSocket, type ControlSocket } from '../control/socket.js';
import { Notifier } from '../log/notify.js';
import { orchestratorHandle } from './handle.js';
import { startHttpServer, type RunningServer } from './http.js';
import { Sessions } from './sessions.js';
import { EventBus } from './console/bus.js';
import { ConsoleFeed } from './console/feed.js';
import { History } from './console/history.js';
import { streamServer } from './console/sse.js';
import { ticketHref } from './console/html.js';
import { WebhookReceiver } from './webhooks/receiver.js';
import { join, resolve } from 'node:path';

export interface Surfaces {
  /** Console URL, or null without server.port. */
  url: string | null;
  close(): Promise<void>;
}

export async function startSurfaces(opts: { orch: Orchestrator; repoDir: string; paths: SwarmPaths; log: Logger; now?: () => number }): Promise<Surfaces> {
  const { orch, log, paths } = opts;
  const now = opts.now ?? Date.now;
  let http: RunningServer | null = null;
  // The console's address as people reach it: server.public_url, else this server's own URL.
  const base = () => orch.workflow.config.server.public_url ?? http?.url ?? null;
  const notifier = new Notifier({
    url: () => orch.workflow.config.notify.webhook_url,
    routes: () => orch.workflow.config.notify.routes,
    link: (key) => {
      const b = base();
      return b ? new URL(ticketHref(key).slice(1), b).toString() : null;
    },
    source: () => orch.services.repoSlug,
    redact: (t) => log.redact(t),
    onError: (m) => log.debug(m),
  });
  const unsubscribe = [log.onEvent(notifier.listener)];
  // The live feed (every transition and every agent line, redacted once) and the history, for the console.
  const bus = new EventBus((t) => log.redact(t));
  const feed = new ConsoleFeed(bus, log, (key) => orch.state.tickets[key], now, orch.workflow.config.server.port !== null);
  unsubscribe.push(log.onEvent(feed.listener));
  orch.rt.watch = feed;
  const history = new History(paths.events, now);
  const sessions = new Sessions(now);
  const handle = orchestratorHandle(orch, paths, now, {
    console: { history, bus, currentTool: (key) => feed.currentTool(key) },
    loginLink: () => {
      const b = base();
      if (!http || !b) return { error: 'this daemon serves no console: set server.port in WORKFLOW.md (or start it with --port 8080)' };
      return { url: `${b}login?token=${sessions.mintToken()}` };
    },
  });

  const cfg = orch.workflow.config.server;
  if (cfg.port !== null) {
    try {
      const tls = cfg.tls ? { cert: resolve(opts.repoDir, cfg.tls.cert), key: resolve(opts.repoDir, cfg.tls.key) } : null;
      // Always there with the server: a secret added by a later reload takes effect without a restart.
      const webhooks = new WebhookReceiver({
        config: () => orch.workflow.config,
        repo: () => (orch.services.codeHost.kind === 'github' ? orch.services.repoSlug : null),
        log,
        now: opts.now ?? Date.now,
        deliveries: orch.webhooks.deliveries,
        stats: orch.webhooks.stats,
        accept: (source, mapped, at) => orch.webhooks.accept(source, mapped, at),
      });
      http = await startHttpServer({ host: cfg.host, port: cfg.port, handle, tokenFile: join(paths.dir, 'server-token'), tls, onError: (m) => log.warn(m), webhooks, sessions, stream: streamServer(bus) });
    } catch (err) {
      for (const u of unsubscribe) u();
      orch.rt.watch = null;
      throw new ServerStartError((err as Error).message);
    }
    log.event({ type: 'server_started', url: http.url });
  }

  // Where this daemon can be reached goes into its report (daemon.json) the moment each endpoint listens.
  const url = http?.url ?? null;
  orch.view.listening({ socket: null, url });
  let control: ControlSocket | null = null;
  try {
    control = await startControlSocket({ repoDir: opts.repoDir, handle, listening: (socket) => orch.view.listening({ socket, url: socket === null ? null : url }), onError: (m) => log.warn(m) });
    log.debug(`control socket ${control.socket}`);
  } catch (err) {
    log.warn(`control socket unavailable (${(err as Error).message}): swarm pause/resume/retry/release cannot reach this daemon`);
  }

  let closing: Promise<void> | null = null;
  return {
    url: http?.url ?? null,
    close() {
      closing ??= (async () => {
        await control?.close().catch(() => undefined);
        await http?.close().catch(() => undefined);
        await notifier.flush();
        for (const u of unsubscribe) u();
        orch.rt.watch = null;
      })();
      return closing;
    },
  };
}
