// WORKFLOW.md keys for sharing one Claude account between daemons and spending it on what matters first:
// agent.account, agent.lanes.*, agent.pacing.reserve and budget (daily_usd with its urgent reserve, and the
// time zone its days run in).
// Same rules as schema.ts: typed, defaulted, errors that name the file, the key path and the fix.
import { type Config } from './types.js';
import { type Reader, type Section } from './fields.js';
import { isTimeZone, parseHours } from './hours.js';
import { ConfigError } from '../errors.js';

/** A Claude account name: it becomes a file name (accounts/<name>.json) and a database key. */
const ACCOUNT_NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$/;

export function readAccountName(r: Reader, a: Section): string | null {
  const name = a.strOrNull('account');
  if (name !== null && !ACCOUNT_NAME.test(name)) {
    r.fail(a.keyPath('account'), 'null (derived from the Claude login) or a name of letters, digits and . _ @ + - (at most 100, starting with a letter or digit), e.g. team-max', name);
  }
  return name;
}

export function readLanes(a: Section): Config['agent']['lanes'] {
  const lanes = a.sub('lanes');
  const urgent = lanes.sub('urgent');
  const background = lanes.sub('background');
  const hoursText = background.strOrNull('hours');
  const out: Config['agent']['lanes'] = {
    urgent: { labels: urgent.list('labels', []) },
    background: {
      labels: background.list('labels', []),
      hours: hoursText === null ? null : parseHours(hoursText, background.keyPath('hours'), background.file),
      max_concurrent: background.intOrNull('max_concurrent', 1, Number.MAX_SAFE_INTEGER),
    },
  };
  for (const s of [urgent, background, lanes]) s.finish();
  return out;
}

export function readPacing(a: Section): Config['agent']['pacing'] {
  const p = a.sub('pacing');
  const out = { reserve: p.fractionOrNull('reserve') };
  p.finish();
  return out;
}

export function readBudget(r: Reader, root: Section): Config['budget'] {
  const b = root.sub('budget');
  const out = { daily_usd: b.positiveOrNull('daily_usd', 'US dollars'), urgent_reserve_usd: b.positiveOrNull('urgent_reserve_usd', 'US dollars'), timezone: b.strOrNull('timezone') };
  b.finish();
  if (out.timezone !== null && !isTimeZone(out.timezone.trim())) {
    throw new ConfigError(`${r.file}: budget.timezone must be an IANA time zone such as UTC or Europe/Berlin, or null (got ${JSON.stringify(out.timezone)}, which this system does not know)`);
  }
  if (out.timezone !== null) out.timezone = out.timezone.trim();
  if (out.urgent_reserve_usd !== null && out.daily_usd !== null && out.urgent_reserve_usd >= out.daily_usd) {
    throw new ConfigError(
      `${r.file}: budget.urgent_reserve_usd must be less than budget.daily_usd (got $${out.urgent_reserve_usd} ≥ $${out.daily_usd}; ` +
        'it is the part of the daily budget kept for urgent tickets)',
    );
  }
  if (out.urgent_reserve_usd !== null && out.daily_usd === null) {
    r.warnings.push(`${r.file}: budget.urgent_reserve_usd has no effect without budget.daily_usd (ignored)`);
  }
  return out;
}
