// The HTTP exchange under swarm's Octokit: a timeout per request (the body included), request and
// rate-limit counters, and redirects.
//
// Redirects. GitHub asks clients to follow them ("Best practices for using the REST API": follow redirects;
// a renamed or transferred repository answers 301 or 307 "depending on the type of request being made",
// GitHub's 2015 repository-redirects announcement). A GET is followed here, by hand and only on the API's
// own origin, so the token never leaves for another host. Everything else keeps `redirect: manual`: a
// DELETE or PATCH keeps its method on a 301/307, so following a write for an issue transferred to another
// repository would write to that issue over there; a write's 3xx surfaces (client.ts decides whether the
// repository itself moved). Job-log downloads stay manual too: their Location is a pre-signed URL on
// another host that watch-logs.ts fetches without the token, reading only the tail.

/**
 * The REST API version every request asks for (`X-GitHub-Api-Version`). 2022-11-28 is supported for at
 * least 24 months after 2026-03-10 (GitHub changelog 2026-03-12) and is the only version older GitHub
 * Enterprise Server releases know; swarm's payload handling is written against it.
 */
export const API_VERSION = '2022-11-28';

const FOLLOWED = new Set([301, 302, 303, 307, 308]);
const MAX_HOPS = 5;
const LOG_DOWNLOAD = /\/actions\/(?:jobs|runs)\/\d+\/logs$/;

export interface TransportStats {
  requests: number;
  rateLimitRemaining: number | null;
  rateLimitReset: number | null;
}

export interface TransportOptions {
  timeoutMs: number;
  stats: TransportStats;
  /** Called after every HTTP exchange (status 0 when no response arrived), each hop of a redirect too. */
  onRequest?: (info: { method: string; url: string; status: number }) => void;
}

function urlOf(input: Parameters<typeof fetch>[0]): string {
  return typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
}

/** A fetch for Octokit's `request.fetch` option. */
export function githubFetch(opts: TransportOptions): typeof fetch {
  const { stats } = opts;
  const once = async (url: string, init: RequestInit | undefined, signal: AbortSignal): Promise<Response> => {
    const method = init?.method ?? 'GET';
    stats.requests++;
    let res: Response;
    try {
      res = await fetch(url, { ...init, signal, redirect: 'manual' });
    } catch (err) {
      opts.onRequest?.({ method, url, status: 0 });
      throw err;
    }
    const remaining = res.headers.get('x-ratelimit-remaining');
    const reset = res.headers.get('x-ratelimit-reset');
    if (remaining !== null && remaining !== '' && Number.isFinite(Number(remaining))) stats.rateLimitRemaining = Number(remaining);
    if (reset !== null && reset !== '' && Number.isFinite(Number(reset))) stats.rateLimitReset = Number(reset);
    opts.onRequest?.({ method, url, status: res.status });
    return res;
  };
  return async (input, init) => {
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    let url = urlOf(input);
    const method = (init?.method ?? 'GET').toUpperCase();
    for (let hop = 0; ; hop++) {
      const res = await once(url, init, signal);
      if (method !== 'GET' || !FOLLOWED.has(res.status) || hop >= MAX_HOPS) return res;
      const next = nextHop(url, res.headers.get('location'));
      if (next === null) return res;
      await res.body?.cancel().catch(() => undefined);
      url = next;
    }
  };
}

/** Where a GET's redirect leads, when it is to be followed here: the same origin, not a log download. */
function nextHop(from: string, location: string | null): string | null {
  if (location === null || location === '') return null;
  let a: URL;
  let b: URL;
  try {
    a = new URL(from);
    b = new URL(location, from);
  } catch {
    return null;
  }
  if (LOG_DOWNLOAD.test(a.pathname)) return null;
  return a.origin === b.origin ? b.href : null;
}
