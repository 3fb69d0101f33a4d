// Types for fake-anthropic.mjs (plain JS so the fixture recorder runs without a build).

export interface FakeError {
  status: number;
  /** authentication_error | permission_error | invalid_request_error | rate_limit_error | api_error | overloaded_error | not_found_error */
  type: string;
  message: string;
  /** Extra fields of the error object, e.g. {error_code: "verification_required"} on a 403 permission_error. */
  details?: Record<string, unknown>;
}

/** One scripted answer to POST /v1/messages. `times` repeats it (Infinity: until the server closes). */
export type FakeStep = { times?: number; headers?: Record<string, string>; usage?: { input?: number; output?: number } } & (
  | { text: string }
  /** A tool_use block (stop_reason tool_use), optionally after a text block; the CLI runs the tool for real. */
  | { toolUse: { name: string; input: unknown; id?: string }; preamble?: string }
  /** JSON error with this status. */
  | { error: FakeError }
  /** message_start, then nothing: the socket stays open (the CLI's own timeout does not fire for this). */
  | { stall: true }
  /** Accept the request and never answer, not even headers (API_TIMEOUT_MS fires). */
  | { noResponse: true }
  /** Destroy the socket. */
  | { hangup: true }
);

export interface RecordedRequest {
  at: number;
  method: string;
  path: string;
  url: string;
  /** Request headers without x-api-key / authorization / cookie. */
  headers: Record<string, string | string[] | undefined>;
  /** Which credential was sent (never its value). */
  auth: 'api-key' | 'bearer' | null;
  body: unknown;
}

export interface FakeAnthropic {
  url: string;
  port: number;
  requests: RecordedRequest[];
  script(steps: FakeStep[]): void;
  /** Answer what the script does not cover from the request body (null: the default text). */
  respond(fn: (body: any) => FakeStep | null): void;
  pending(): number;
  messageRequests(): RecordedRequest[];
  close(): Promise<void>;
}

export function startFakeAnthropic(opts?: { defaultText?: string }): Promise<FakeAnthropic>;

/** The 429 + anthropic-ratelimit-unified-* headers a subscription (OAuth) user gets at a usage limit. */
export function usageLimitStep(claim: 'five_hour' | 'seven_day' | string, resetEpochS: number): FakeStep;

/** Headers of a 200 served from paid extra usage (window rejected, overage allowed): the CLI reports isUsingOverage. */
export function overageHeaders(claim: 'five_hour' | 'seven_day' | string, resetEpochS: number): Record<string, string>;
