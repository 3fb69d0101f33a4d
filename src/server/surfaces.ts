// Everything a running daemon exposes to its operator, started by `swarm start` with one call: the control
// socket (for `swarm pause/resume/retry/release`), the dashboard/API/metrics server when server.port is
// set (with the webhook receivers), and webhook notifications. close() stops them all and waits for in-flight notifications.
import { ServerStartError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import type { SwarmPaths } from '../state/paths.js';
import { startControlSocket, type ControlSocket } from '../control/socket.js';
import { Notifier } from '../log/notify.js';
import { orchestratorHandle } from './handle.js';
import { startHttpServer, type RunningServer } from './http.js';
import { WebhookReceiver } from './webhooks/receiver.js';
import { join, resolve } from 'node:path';

export interface Surfaces {
  /** Dashboard URL, or null without server.port. */
  url: string | null;
  close(): Promise<void>;
}


export async function startSurfaces(opts: { orch: Orchestrator; repoDir: string; paths: SwarmPaths; log: Logger; now?: () => number }): Promise<Surfaces> {
  const { orch, log, paths } = opts;
  const handle = orchestratorHandle(orch, paths, opts.now);
  const notifier = new Notifier({
    url: () => orch.workflow.config.notify.webhook_url,
    source: () => orch.services.repoSlug,
    redact: (t) => log.redact(t),
    onError: (m) => log.debug(m),
  });
  const unsubscribe = log.onEvent(notifier.listener);

  let http: RunningServer | null = null;
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
      http = await startHttpServer({ host: cfg.host, port: cfg.port, handle, tokenFile: join(paths.dir, 'server-token'), tls, onError: (m) => log.warn(m), webhooks });
    } catch (err) {
      unsubscribe();
      throw new ServerStartError((err as Error).message);
    }
    log.event({ type: 'server_started', url: http.url });
  }

  orch.endpoint = { socket: null, url: http?.url ?? null };
  let control: ControlSocket | null = null;
  try {
    control = await startControlSocket({ repoDir: opts.repoDir, recordFile: paths.control, handle, url: http?.url ?? null, onError: (m) => log.warn(m) });
    log.debug(`control socket ${control.socket}`);
    orch.endpoint = { ...orch.endpoint, socket: control.socket };
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
        unsubscribe();
      })();
      return closing;
    },
  };
}
