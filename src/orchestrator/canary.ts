// The canary gate after a pause (SPEC §4): one run goes first, and the other slots fill only once it has
// got past `agent.fast_fail`. PURE: the loop asks this on every agent event of the canary run.
import type { StreamSummary } from '../agent/types.js';

/**
 * A run can no longer be a fast-fail once the model took a real turn (fast-fail means "before any model
 * turn"), or once it has lived longer than fast_fail without the API retrying under it (a run stuck in
 * 5xx/529 retries proves nothing about the way being clear).
 */
export function canaryPassed(summary: Pick<StreamSummary, 'sawModelTurn' | 'apiRetries'>, elapsedMs: number, fastFailMs: number): boolean {
  if (summary.sawModelTurn) return true;
  return elapsedMs >= fastFailMs && summary.apiRetries.length === 0;
}
