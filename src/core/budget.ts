// The budget rules: today's spend against budget.daily_usd, a ticket's spend against agent.max_cost_usd,
// and what is left of it for the next attempt. Pure.
import type { Config } from '../config/types.js';
import type { SwarmState, TicketState } from './types.js';
import { MIN_BUDGET_USD } from './limits.js';

export function budgetStop(config: Config, state: SwarmState, ts: TicketState | undefined): string | null {
  const daily = config.budget.daily_usd;
  if (daily !== null && state.daily.cost_usd >= daily) return `today's spend $${state.daily.cost_usd.toFixed(2)} reached budget.daily_usd $${daily.toFixed(2)}`;
  return ticketBudgetStop(config, ts);
}

/**
 * The per-ticket half of budgetStop: agent.max_cost_usd spent across attempts — or so nearly spent that what
 * is left is below the smallest --max-budget-usd Claude Code takes (it refuses 0 before doing anything).
 */
export function ticketBudgetStop(config: Config, ts: TicketState | undefined): string | null {
  const per = config.agent.max_cost_usd;
  const spent = ts?.cost_usd ?? 0;
  if (per === null) return null;
  if (spent >= per) return `ticket spent $${spent.toFixed(2)} of agent.max_cost_usd $${per.toFixed(2)}`;
  const left = per - spent;
  if (left < MIN_BUDGET_USD) {
    return `ticket spent $${usd(spent)} of agent.max_cost_usd $${usd(per)}: the $${usd(left)} left is below the $${MIN_BUDGET_USD} Claude Code needs for --max-budget-usd`;
  }
  return null;
}

/** Dollars with the precision small amounts need (up to 5 decimals, no trailing zeros, at least 2). */
const usd = (x: number): string => {
  const s = Math.max(0, x).toFixed(5).replace(/0+$/, '');
  return /\.\d\d/.test(s) ? s : Math.max(0, x).toFixed(2);
};

/** Remaining per-ticket budget to pass as --max-budget-usd (null = no cap). */
export function remainingBudget(config: Config, ts: TicketState | undefined): number | null {
  const per = config.agent.max_cost_usd;
  return per === null ? null : Math.max(0, per - (ts?.cost_usd ?? 0));
}
