// A fake Anthropic Messages API on 127.0.0.1 for driving the real Claude Code CLI (see
// test/helpers/real-claude.mjs). Plain ESM JavaScript so both vitest (TypeScript) and the
// fixture recorder (scripts/record-claude-fixtures.mjs, plain node) can import it.
// Types: fake-anthropic.d.mts.
import http from 'node:http';

/** Headers never recorded (credentials). */
const SECRET_HEADERS = new Set(['x-api-key', 'authorization', 'proxy-authorization', 'cookie']);

/**
 * The 429 a subscription (OAuth) user gets at a usage limit.
 * @param {'five_hour'|'seven_day'|string} claim
 * @param {number} resetEpochS epoch seconds
 */
export function usageLimitStep(claim, resetEpochS) {
  return {
    error: { status: 429, type: 'rate_limit_error', message: 'Rate limited' },
    headers: {
      'anthropic-ratelimit-unified-status': 'rejected',
      'anthropic-ratelimit-unified-reset': String(resetEpochS),
      'anthropic-ratelimit-unified-representative-claim': claim,
    },
  };
}

/**
 * The headers of an answer served from paid extra usage: the subscription window is spent ("rejected") and
 * overage allows the request. Measured on Claude Code 2.1.328 and 2.1.332 (docs/claude-code-notes.md):
 * `-unified-status: rejected` with `-unified-overage-status: allowed` (or allowed_warning) on a 200 is what
 * makes the CLI report `isUsingOverage: true`; `-reset` and `-representative-claim` add resetsAt and
 * rateLimitType. Put on a normal text or tool_use step.
 * @param {'five_hour'|'seven_day'|string} claim
 * @param {number} resetEpochS epoch seconds
 */
export function overageHeaders(claim, resetEpochS) {
  return {
    'anthropic-ratelimit-unified-status': 'rejected',
    'anthropic-ratelimit-unified-reset': String(resetEpochS),
    'anthropic-ratelimit-unified-representative-claim': claim,
    'anthropic-ratelimit-unified-overage-status': 'allowed',
  };
}

/** @param {import('node:http').ServerResponse} res @param {string} event @param {unknown} data */
function sse(res, event, data) {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function usage(input, output) {
  return { input_tokens: input, output_tokens: output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
}

/**
 * Start the fake API. Every response is taken from the scripted queue; an empty queue answers
 * with a short text reply.
 * @param {{ defaultText?: string }} [opts]
 */
export async function startFakeAnthropic(opts = {}) {
  const defaultText = opts.defaultText ?? 'OK from the fake API.';
  /** @type {any[]} */
  const queue = [];
  /** @type {any[]} */
  const requests = [];
  /** @type {Set<import('node:net').Socket>} */
  const sockets = new Set();
  let msgCounter = 0;
  let toolCounter = 0;
  let reqCounter = 0;

  /** @type {((body: any) => any) | null} */
  let responder = null;

  /** Take the next step (a step with `times` stays until used that many times; Infinity = forever). */
  function nextStep(body) {
    const step = queue[0];
    if (!step) return (responder && responder(body)) || { text: defaultText };
    const left = (step.times ?? 1) - 1;
    if (left <= 0) queue.shift();
    else step.times = left;
    return step;
  }

  function answerMessages(req, res, body) {
    const step = nextStep(body);
    const requestId = `req_fake_${reqCounter++}`;
    if (step.hangup) {
      req.socket.destroy();
      return;
    }
    if (step.noResponse) return; // never answer, not even headers; close() destroys the socket
    if (step.error) {
      const { status, type, message, details } = step.error;
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': requestId, ...(step.headers ?? {}) });
      // `details` (e.g. {error_code: "verification_required"}) is the extra object some refusals carry, as the
      // pinned CLI's own schema for a 403 permission_error reads it.
      res.end(JSON.stringify({ type: 'error', error: { type, message, ...(details ? { details } : {}) }, request_id: requestId }));
      return;
    }
    const model = typeof body?.model === 'string' ? body.model : 'claude-sonnet-fake';
    const id = `msg_fake_${String(++msgCounter).padStart(4, '0')}`;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'request-id': requestId,
      ...(step.headers ?? {}),
    });
    const inTokens = step.usage?.input ?? 12;
    sse(res, 'message_start', {
      type: 'message_start',
      message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: usage(inTokens, 1) },
    });
    if (step.stall) {
      // Keep the socket open and say nothing more; close() destroys it.
      res.flushHeaders?.();
      return;
    }
    let index = 0;
    const text = step.text ?? (step.toolUse ? step.preamble : undefined);
    if (typeof text === 'string') {
      sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
      sse(res, 'content_block_stop', { type: 'content_block_stop', index });
      index++;
    }
    if (step.toolUse) {
      const toolId = step.toolUse.id ?? `toolu_fake_${toolCounter++}`;
      sse(res, 'content_block_start', {
        type: 'content_block_start', index, content_block: { type: 'tool_use', id: toolId, name: step.toolUse.name, input: {} },
      });
      sse(res, 'content_block_delta', {
        type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(step.toolUse.input ?? {}) },
      });
      sse(res, 'content_block_stop', { type: 'content_block_stop', index });
    }
    sse(res, 'message_delta', {
      type: 'message_delta',
      delta: { stop_reason: step.toolUse ? 'tool_use' : 'end_turn', stop_sequence: null },
      usage: { output_tokens: step.usage?.output ?? 7 },
    });
    sse(res, 'message_stop', { type: 'message_stop' });
    res.end();
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body = null;
      if (raw) {
        try { body = JSON.parse(raw); } catch { body = raw; }
      }
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const headers = {};
      for (const [k, v] of Object.entries(req.headers)) if (!SECRET_HEADERS.has(k)) headers[k] = v;
      const record = {
        at: Date.now(), method: req.method ?? 'GET', path: url.pathname, url: req.url ?? '/', headers,
        auth: req.headers['x-api-key'] ? 'api-key' : req.headers.authorization ? 'bearer' : null, body,
      };
      requests.push(record);
      const path = url.pathname.replace(/\/+$/, '');
      if (req.method === 'POST' && path.endsWith('/v1/messages')) return answerMessages(req, res, body);
      if (req.method === 'POST' && path.endsWith('/v1/messages/count_tokens')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ input_tokens: 100 }));
      }
      if (req.method === 'HEAD') {
        res.writeHead(200);
        return res.end();
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: `Not found: ${url.pathname}` } }));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(undefined));
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    /** Append steps to the response queue. */
    script(steps) {
      for (const s of steps) queue.push({ ...s });
    },
    /**
     * Answer every request the script does not cover with `fn(body)` (a step, or null for the default
     * text): for several concurrent CLI sessions, each answered by what its own conversation needs.
     */
    respond(fn) {
      responder = fn;
    },
    /** Steps not yet used. */
    pending() {
      return queue.length;
    },
    /** Requests to the messages endpoint only. */
    messageRequests() {
      return requests.filter((r) => r.method === 'POST' && /\/v1\/messages\/?$/.test(r.path));
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}
