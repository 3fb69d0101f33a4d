// Console logins, the way Jupyter and the GitHub CLI do it: `swarm dashboard` asks the daemon (over its
// private control socket) for a one-time URL carrying a random token; the browser that opens it trades the
// token for a session cookie (HttpOnly, SameSite=Strict) and is redirected to a clean URL. A token works
// once and for a few minutes; a session lasts a week or until the daemon restarts (kept in memory only, so
// nothing on disk can be stolen and replayed). Secrets are compared in constant time.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'swarm_session';
const TOKEN_TTL_MS = 10 * 60_000;
const SESSION_TTL_MS = 7 * 24 * 3600_000;
const MAX_SESSIONS = 200;
const MAX_TOKENS = 50;

export class Sessions {
  private readonly tokens = new Map<string, number>();
  private readonly sessions = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A new one-time login token (valid for ten minutes). */
  mintToken(): string {
    this.prune();
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, this.now() + TOKEN_TTL_MS);
    while (this.tokens.size > MAX_TOKENS) this.tokens.delete(this.tokens.keys().next().value!);
    return token;
  }

  /** Trade a token for a new session id; null when the token is unknown, used or expired. */
  redeem(token: string): string | null {
    this.prune();
    const key = this.find(this.tokens, token);
    if (key === null) return null;
    this.tokens.delete(key); // once
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, this.now() + SESSION_TTL_MS);
    while (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    return id;
  }

  /** The session id when it is live. */
  check(id: string): string | null {
    const key = this.find(this.sessions, id);
    if (key === null) return null;
    if (this.sessions.get(key)! <= this.now()) {
      this.sessions.delete(key);
      return null;
    }
    return key;
  }

  /** `Set-Cookie` for a session (Secure when served over HTTPS). */
  static cookie(id: string, secure: boolean): string {
    return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(SESSION_TTL_MS / 1000)}${secure ? '; Secure' : ''}`;
  }

  private find(map: Map<string, number>, given: string): string | null {
    const g = Buffer.from(given);
    for (const [k, until] of map) {
      const b = Buffer.from(k);
      if (b.length === g.length && timingSafeEqual(b, g) && until > this.now()) return k;
    }
    return null;
  }

  private prune(): void {
    const now = this.now();
    for (const [k, until] of this.tokens) if (until <= now) this.tokens.delete(k);
    for (const [k, until] of this.sessions) if (until <= now) this.sessions.delete(k);
  }
}

/** The session cookie's value from a Cookie header, if any. */
export function sessionFromCookie(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === SESSION_COOKIE) return rest.join('=');
  }
  return null;
}
