// A TCP proxy on 127.0.0.1 in front of a server (PostgreSQL in the fleet tests) that can simulate a network
// partition or a refusing host:
//  - cut('blackhole'): like a partition. Existing connections stay open, but nothing is forwarded either
//    way — bytes and FINs are swallowed. New connections are accepted and then ignored the same way.
//  - cut('refuse'): like a host that is up with nothing listening. Existing connections are reset, new ones
//    are reset as soon as they are accepted (the client sees ECONNRESET).
//  - restore(): new connections are forwarded again. A connection blackholed earlier stays dead (bytes were
//    lost mid-stream, so its protocol state is gone), as it would after a long partition.
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';

export type CutMode = 'blackhole' | 'refuse';

export interface TcpProxy {
  readonly port: number;
  cut(mode: CutMode): void;
  restore(): void;
  /** Client connections currently open through the proxy (including blackholed ones). */
  connections(): number;
  /** Destroy every connection and stop listening. */
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket | null;
  blackholed: boolean;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let mode: 'open' | CutMode = 'open';
  const pairs = new Set<Pair>();

  const drop = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  };

  // One direction of a pair: forward while the pair is not blackholed, with backpressure.
  const wire = (pair: Pair, from: Socket, to: Socket) => {
    from.on('data', (chunk: Buffer) => {
      if (pair.blackholed) return;
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
    from.on('end', () => {
      if (!pair.blackholed) to.end();
    });
  };

  // allowHalfOpen: a FIN from one side is forwarded (or swallowed) by us, not answered automatically.
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const pair: Pair = { client, upstream: null, blackholed: false };
    client.on('error', () => drop(pair));
    client.on('close', () => drop(pair));
    if (mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    pairs.add(pair);
    if (mode === 'blackhole') {
      pair.blackholed = true;
      client.on('data', () => {}); // read and discard, so the client's writes succeed as into a partition
      return;
    }
    client.pause(); // hold the client's first bytes until the upstream is connected
    const upstream = connect({ port: targetPort, host: targetHost, allowHalfOpen: true });
    pair.upstream = upstream;
    upstream.on('error', () => drop(pair));
    upstream.on('close', () => {
      if (!pair.blackholed) drop(pair);
    });
    upstream.on('connect', () => {
      wire(pair, client, upstream);
      wire(pair, upstream, client);
      client.resume();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('tcp proxy: no port');

  return {
    port: addr.port,
    cut(m) {
      mode = m;
      for (const pair of [...pairs]) {
        if (m === 'refuse') {
          pairs.delete(pair);
          pair.client.resetAndDestroy();
          pair.upstream?.resetAndDestroy();
        } else {
          pair.blackholed = true;
          pair.client.resume(); // keep reading (and discarding) even if it was paused for backpressure
          pair.upstream?.resume();
        }
      }
    },
    restore() {
      mode = 'open';
    },
    connections: () => pairs.size,
    close() {
      for (const pair of [...pairs]) drop(pair);
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
