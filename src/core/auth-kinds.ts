// The one table of Claude Code error kinds that mean "this login or account cannot be used until a person
// acts": the classifier (a finished run → auth_failed, never counted) and the early kill (the first
// `system/api_retry` with such a kind stops the run instead of letting the CLI retry for minutes) both read
// it, so a kind added here is handled the same in both places. Each kind carries the fix an operator sees in
// `swarm status`.
//
// Sources: the `error` enum of `system/api_retry` and of synthetic error lines in the pinned CLI's own
// stream-json schema (2.1.328 and 2.1.332: authentication_failed, oauth_org_not_allowed, account_on_hold,
// verification_required, billing_error, rate_limit, overloaded, invalid_request, model_not_found,
// server_error, unknown, max_output_tokens, cloud_credential_error), the CLI's own status texts for each
// ("login required — run /login", "org disabled OAuth — use API key or ask admin", "account on hold — see
// detail", "organization verification required — see detail", "cloud credentials unavailable — check or
// refresh them"), and runs of the real binary against the fake Messages API recorded in
// test/fixtures/claude (org-not-allowed, verification, e401, billing400). `authentication_error` and
// `oauth_token_revoked` are the API's error type and an older CLI's code for the same dead login.

export interface AuthKind {
  /** What is wrong, in a few words (status and the reason's start). */
  what: string;
  /** What the operator does about it; every fix ends with `swarm resume`. */
  fix: string;
}

const LOGIN: AuthKind = {
  what: 'Claude Code is not logged in or its credentials were rejected',
  fix: 'run `claude` and /login, then `swarm resume`',
};

export const AUTH_KINDS: Readonly<Record<string, AuthKind>> = {
  authentication_failed: LOGIN,
  authentication_error: LOGIN,
  oauth_token_revoked: LOGIN,
  billing_error: {
    what: 'The Anthropic account behind Claude Code is out of credits (billing error)',
    fix: 'add credits or switch accounts, then `swarm resume`',
  },
  oauth_org_not_allowed: {
    what: "The Claude login's organization does not allow Claude Code with a subscription login (oauth_org_not_allowed)",
    fix: 'use an Anthropic API key (ANTHROPIC_API_KEY in agent.env) or have an admin enable access, then `swarm resume`',
  },
  account_on_hold: {
    what: 'The Anthropic account behind Claude Code is on hold (account_on_hold)',
    fix: 'run `claude` to read why and appeal at https://claude.ai/restricted, then `swarm resume`',
  },
  verification_required: {
    what: "The Claude login's organization must be verified before Claude Code may be used (verification_required)",
    fix: 'run `claude` and follow its verification link (an organization owner may have to do it), then `swarm resume`',
  },
  cloud_credential_error: {
    what: 'Claude Code could not load its cloud provider credentials (cloud_credential_error: Bedrock, Vertex or Foundry)',
    fix: "check or refresh the cloud credentials in the agent's environment (agent.env), then `swarm resume`",
  },
};

export const isAuthKind = (code: string | null | undefined): boolean => code != null && Object.hasOwn(AUTH_KINDS, code);

/** The first auth kind among `codes` (in order), or null. */
export function authKindOf(...codes: Iterable<string | null | undefined>[]): string | null {
  for (const list of codes) for (const c of list) if (isAuthKind(c)) return c!;
  return null;
}

/** The reason recorded for an auth pause: what is wrong, then the fix. */
export function authReason(kind: string | null): string {
  const k = (kind !== null && AUTH_KINDS[kind]) || LOGIN;
  return `${k.what}: ${k.fix}`;
}
