// A fake Slack/Discord webhook receiver on 127.0.0.1: records every JSON body it gets.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeWebhook {
  url: string;
  received: ({ text?: string; content?: string } & Record<string, unknown>)[];
  texts(): string[];
  close(): Promise<void>;
}

export async function startWebhook(opts: { status?: number; delayMs?: number } = {}): Promise<FakeWebhook> {
  const received: FakeWebhook['received'] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      try {
        received.push(JSON.parse(body));
      } catch {
        received.push({ text: `<<not json: ${body}>>` });
      }
      setTimeout(() => {
        res.writeHead(opts.status ?? 204);
        res.end();
      }, opts.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    texts: () => received.map((r) => r.text ?? ''),
    close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}
