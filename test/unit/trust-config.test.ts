// The trust keys and what doctor says about spending: tracker.trusted_roles (Linear), allowed_authors forms
// that can never match, agent.reclaim_cooldown, and the warning when nothing bounds spend.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/schema.js';
import { checkBudget } from '../../src/doctor/checks.js';
import type { Workflow } from '../../src/config/types.js';

const load = (raw: Record<string, unknown>) => validateConfig(raw, { file: 'WORKFLOW.md', env: {} });

describe('trust configuration', () => {
  it('tracker.trusted_roles: admin and member by default; other values are refused naming the key', () => {
    expect(load({ tracker: { kind: 'linear', team: 'ENG' } }).config.tracker.trusted_roles).toEqual(['admin', 'member']);
    expect(load({ tracker: { kind: 'linear', team: 'ENG', trusted_roles: ['admin', 'guest'] } }).config.tracker.trusted_roles).toEqual(['admin', 'guest']);
    expect(() => load({ tracker: { kind: 'linear', team: 'ENG', trusted_roles: ['owner'] } })).toThrow('WORKFLOW.md: tracker.trusted_roles[0] must be one of admin, member, guest, app (got "owner")');
    expect(load({ tracker: { kind: 'github', trusted_roles: ['admin'] } }).warnings).toEqual(['WORKFLOW.md: tracker.trusted_roles applies to Linear only (on GitHub, write access decides who is trusted); ignored']);
  });

  it('warns about allowed_authors entries the tracker never matches: a Linear name, a GitHub email', () => {
    const linear = load({ tracker: { kind: 'linear', team: 'ENG', allowed_authors: ['alice@corp.com', 'Alice Smith', '5b0c4b9e-1234-4a6b-8000-000000000000'] } });
    expect(linear.warnings).toEqual(['WORKFLOW.md: tracker.allowed_authors entry "Alice Smith" is neither an email address nor a Linear user id; names never match (anyone can rename themselves)']);
    expect(load({ tracker: { kind: 'github', allowed_authors: ['alice', 583231, '@1234', 'bob@corp.com'] } }).warnings).toEqual(['WORKFLOW.md: tracker.allowed_authors entry "bob@corp.com" looks like an email address; GitHub entries are account ids (digits) or logins']);
    expect(load({ tracker: { kind: 'github', allowed_authors: [583231] } }).config.tracker.allowed_authors).toEqual(['583231']);
  });

  it('agent.reclaim_cooldown: one hour by default, a duration, 0 turns it off', () => {
    expect(load({}).config.agent.reclaim_cooldown).toBe(3_600_000);
    expect(load({ agent: { reclaim_cooldown: '10m' } }).config.agent.reclaim_cooldown).toBe(600_000);
    expect(load({ agent: { reclaim_cooldown: 0 } }).config.agent.reclaim_cooldown).toBe(0);
  });
});

describe('doctor: spend limit', () => {
  const ctx = (raw: Record<string, unknown>) => ({ repoDir: '/x', env: {}, fix: false, isRoot: false, wf: { config: load(raw).config } as Workflow });
  it('warns (without failing) when neither agent.max_cost_usd nor budget.daily_usd is set', () => {
    expect(checkBudget(ctx({}))).toEqual({ ok: true, warn: true, name: 'spend limit', detail: 'neither agent.max_cost_usd nor budget.daily_usd is set: nothing bounds what agents may spend', fix: 'set agent.max_cost_usd (per ticket, across attempts) and/or budget.daily_usd in WORKFLOW.md' });
    expect(checkBudget(ctx({ agent: { max_cost_usd: 5 } }))).toMatchObject({ ok: true, detail: '$5 per ticket' });
    expect(checkBudget(ctx({ agent: { max_cost_usd: 5 }, budget: { daily_usd: 40 } })).warn).toBeUndefined();
  });
});
