// Which usage limits concern which runs, and the smallest budget Claude Code takes. A weekly limit can be
// scoped to a model family (`rateLimitType` seven_day_opus / seven_day_sonnet, in the pinned CLI's
// rate_limit_event schema; a 429 with `anthropic-ratelimit-unified-representative-claim: seven_day_opus`
// makes it say "You've hit your Opus limit", test/fixtures/claude/usage-opus.*): it stops only runs on that
// family, while every other limit (five_hour, seven_day, overage…) stops every run on the account.

export type ModelFamily = 'opus' | 'sonnet' | 'haiku';

const FAMILY_LIMITS: Readonly<Record<string, ModelFamily>> = { seven_day_opus: 'opus', seven_day_sonnet: 'sonnet' };

/** The model family a limit is scoped to, or null when it concerns every run on the account. */
export function limitFamily(limitType: string | null | undefined): ModelFamily | null {
  return limitType != null && Object.hasOwn(FAMILY_LIMITS, limitType) ? FAMILY_LIMITS[limitType]! : null;
}

/** The family of a model as agent.models names it: an alias (opus, sonnet[1m]) or an id (claude-opus-4-5…). */
export function modelFamily(model: string): ModelFamily | null {
  const m = /(opus|sonnet|haiku)/i.exec(model);
  return m ? (m[1]!.toLowerCase() as ModelFamily) : null;
}

/** "Opus" for a family, for sentences. */
export const familyName = (f: string): string => f.charAt(0).toUpperCase() + f.slice(1);

/**
 * The smallest `--max-budget-usd` worth passing: swarm writes it with 4 decimals, and Claude Code refuses 0
 * ("--max-budget-usd must be a number greater than 0", rc 1 before any request: measured on 2.1.332,
 * test/fixtures/claude/budget-zero.*). A remaining per-ticket budget below this is a budget stop.
 */
export const MIN_BUDGET_USD = 0.0001;
