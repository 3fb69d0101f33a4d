// Client side of the operator controls (`swarm pause|resume|retry|release`): ask the running daemon over
// its control socket; when no daemon runs, take the daemon lock (so a daemon starting meanwhile fails
// cleanly instead of racing us), apply the same pure control function to state.json, and save.
import http from 'node:http';
import { existsSync } from 'node:fs';
import { pauseControl, releaseControl, resumeControl, retryControl, type Control, type ControlAction, type ControlAnswer } from '../core/controls.js';
import { Ledger } from '../state/ledger.js';
import { Logger } from '../log/logger.js';
import { FileStateStore } from '../backend/embedded/state-store.js';
import { acquireLock, lockAlive, readLock, releaseLock, type LockInfo } from '../state/lock.js';
import type { SwarmPaths } from '../state/paths.js';
import { defaultSocketPath, readEndpoint } from './endpoint.js';
import { findTicketState } from '../core/ticket-keys.js';
import type { Snapshot } from '../report/status.js';


export async function sendControl(repoDir: string, paths: SwarmPaths, action: ControlAction, now: () => number = Date.now, timeoutMs = 15_000): Promise<ControlAnswer> {
  for (let tries = 0; tries < 3; tries++) {
    const holder = liveHolder(paths);
    if (holder) return viaDaemon(repoDir, paths, holder, action, timeoutMs);
    const lock = acquireLock(paths.lock, `swarm ${action.kind} (editing state.json)`, now());
    if (!lock.ok) {
      // A daemon started just now: give it a moment to open its control socket, then ask it.
      await new Promise((r) => setTimeout(r, 300));
      continue;
    }
    try {
      return await applyOffline(paths, action, now());
    } finally {
      releaseLock(paths.lock);
    }
  }
  throw new Error(`could not reach the swarm daemon or take ${paths.lock}; try again`);
}

/**
 * The running daemon's own status snapshot (`GET /api/v1/state` over its control socket), or null when no
 * daemon runs or it does not answer within `timeoutMs`. Fresher than state.json, and the only way to see
 * what the daemon cannot write down (a full disk).
 */
export async function liveSnapshot(paths: SwarmPaths, timeoutMs = 1500): Promise<Snapshot | null> {
  const holder = liveHolder(paths);
  const record = readEndpoint(paths.report, holder);
  if (!record) return null;
  try {
    const res = await socketRequest(record.socket, 'GET', '/api/v1/state', null, timeoutMs);
    const b = res.body as Partial<Snapshot> | null;
    return res.status === 200 && b && typeof b === 'object' && typeof b.daemon === 'object' && Array.isArray(b.running) ? (b as Snapshot) : null;
  } catch {
    return null;
  }
}

/** The daemon running in this clone now (its lock, alive), or null. */
export function liveHolder(paths: SwarmPaths): LockInfo | null {
  const info = readLock(paths.lock);
  return info && info.pid !== process.pid && lockAlive(info) ? info : null;
}

async function viaDaemon(repoDir: string, paths: SwarmPaths, holder: LockInfo, action: ControlAction, timeoutMs: number): Promise<ControlAnswer> {
  const { method, path, body } = requestFor(action);
  const res = await holderRequest(repoDir, paths, holder, method, path, body, timeoutMs);
  const b = (res.body ?? {}) as { ok?: unknown; message?: unknown };
  return { ok: b.ok === true, message: typeof b.message === 'string' ? b.message : `daemon answered HTTP ${res.status}`, via: 'daemon', unknown: res.status === 404 };
}

/**
 * One request to the daemon running in this clone, over its control socket (`swarm explain`, `gc` and
 * `dashboard` use the daemon's configuration and tracker token this way); null when no daemon runs here.
 */
export async function daemonRequest(repoDir: string, paths: SwarmPaths, method: string, path: string, body: unknown, timeoutMs = 60_000): Promise<{ status: number; body: unknown } | null> {
  const holder = liveHolder(paths);
  return holder ? holderRequest(repoDir, paths, holder, method, path, body, timeoutMs) : null;
}

async function holderRequest(repoDir: string, paths: SwarmPaths, holder: LockInfo, method: string, path: string, body: unknown, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  // The daemon reports its socket once it listens; wait briefly for a daemon still starting.
  let record = readEndpoint(paths.report, holder);
  for (let i = 0; i < 20 && record === null; i++) {
    await new Promise((r) => setTimeout(r, 250));
    record = readEndpoint(paths.report, holder);
  }
  const socket = record?.socket ?? defaultSocketPath(repoDir);
  try {
    return await socketRequest(socket, method, path, body, timeoutMs);
  } catch (err) {
    throw new Error(`the swarm daemon (pid ${holder.pid}) runs but does not answer on its control socket ${socket} (${(err as Error).message}); check it with \`swarm status\` or restart it`);
  }
}

function requestFor(action: ControlAction): { method: string; path: string; body: unknown } {
  switch (action.kind) {
    case 'pause':
      return { method: 'POST', path: '/api/v1/pause', body: action.untilMs === null ? {} : { until: new Date(action.untilMs).toISOString() } };
    case 'resume':
      return { method: 'POST', path: '/api/v1/resume', body: {} };
    case 'retry':
      return { method: 'POST', path: `/api/v1/tickets/${encodeURIComponent(action.ticket)}/retry`, body: action.force ? { force: true } : {} };
    case 'release':
      return { method: 'POST', path: `/api/v1/tickets/${encodeURIComponent(action.ticket)}/release`, body: {} };
  }
}

async function applyOffline(paths: SwarmPaths, action: ControlAction, now: number): Promise<ControlAnswer> {
  const store = new FileStateStore(paths.state, () => now);
  if (existsSync(paths.state) && store.peek() === null) {
    throw new Error(`${paths.state} is unreadable; start the daemon once (it moves a corrupt file aside and reports it) and try again`);
  }
  const { state } = store.load();
  let control: Control;
  let unknown = false;
  switch (action.kind) {
    case 'pause':
      control = pauseControl(state, action.untilMs, now);
      break;
    case 'resume':
      control = resumeControl(state, now);
      break;
    case 'retry':
    case 'release': {
      const ts = findTicketState(state, action.ticket);
      if (!ts) {
        unknown = true;
        control = { step: null, result: { ok: false, message: `ticket ${action.ticket} is not known to swarm (it was never claimed); nothing to ${action.kind}` } };
      } else control = action.kind === 'retry' ? retryControl(state, ts.key, now, { force: action.force === true }) : releaseControl(state, ts.key, now);
      break;
    }
  }
  // The same step a running daemon would commit, logged the same way (events.jsonl only).
  if (control.step) await new Ledger(state, store, new Logger({ eventsFile: paths.events, out: null, now: () => now })).commit(control.step);
  return { ...control.result, via: 'state', unknown };
}

/** One HTTP request over a Unix socket; resolves with the status and the parsed JSON body. */
export function socketRequest(socketPath: string, method: string, path: string, body: unknown, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined || body === null ? '' : JSON.stringify(body);
    const req = http.request({ socketPath, method, path, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), host: 'localhost' }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* not JSON: keep the text */
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)}s`)));
    req.on('error', reject);
    req.end(payload);
  });
}
