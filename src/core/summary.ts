// The agent's final word on a run, trimmed: what previous_attempts shows the next attempt, and what a PR
// swarm opens itself says. Pure.
import type { RunResult } from '../agent/types.js';

const SUMMARY_MAX = 2000;

export function attemptSummary(run: RunResult | null): string {
  const text = run?.summary.result?.result || run?.summary.lastText || '';
  return text.length > SUMMARY_MAX ? text.slice(0, SUMMARY_MAX - 1) + '…' : text;
}
