// One stream event in a few words, for `swarm status` (a running agent's last activity) and transcripts:
// "Bash: npm test", "writing", "retrying API (overloaded_error)", "result: success".
import type { StreamEvent } from './types.js';
import { obj, str } from '../util/json.js';

const ACTIVITY_MAX = 60;
const oneLine = (s: string, max: number): string => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};
const TOOL_ARG_KEYS = ['command', 'file_path', 'path', 'pattern', 'url', 'query', 'description', 'prompt'];

function toolLabel(t: { name: string; input: unknown }): string {
  const input = obj(t.input);
  for (const k of TOOL_ARG_KEYS) {
    const v = input[k];
    if (typeof v === 'string' && v.trim()) return oneLine(`${t.name}: ${v}`, ACTIVITY_MAX);
  }
  return oneLine(t.name, ACTIVITY_MAX);
}

/** An event in a few words ("Bash: npm test", "writing", "result: success"); null = nothing worth showing. */
export function describeEvent(ev: StreamEvent): string | null {
  switch (ev.type) {
    case 'init':
      return oneLine(`started${ev.model ? ` (${ev.model})` : ''}`, ACTIVITY_MAX);
    case 'assistant':
      if (ev.synthetic) return oneLine(`API error: ${ev.text || ev.error || 'unknown'}`, ACTIVITY_MAX);
      if (ev.toolUses.length > 0) return toolLabel(ev.toolUses[ev.toolUses.length - 1]!);
      return ev.text ? 'writing' : 'thinking';
    case 'user':
      return 'thinking';
    case 'api_retry':
      return oneLine(`retrying API (${ev.error !== 'unknown' ? ev.error : (ev.errorStatus ?? 'no response')})`, ACTIVITY_MAX);
    case 'rate_limit':
      if (ev.status !== 'rejected') return null;
      return ev.isUsingOverage ? `on extra usage (${ev.rateLimitType ?? 'usage'} limit reached)` : `rate limited (${ev.rateLimitType ?? 'unknown'})`;
    case 'result':
      if (ev.isError && ev.subtype === 'success') return `result: API error${ev.apiErrorStatus ? ` ${ev.apiErrorStatus}` : ''}`;
      return `result: ${ev.subtype}`;
    case 'other':
      if (ev.name === 'system/model_fallback') return oneLine(`fell back to ${str(ev.raw.fallback_model, 'another model')}`, ACTIVITY_MAX);
      if (ev.name === 'system/permission_denied') return oneLine(`denied: ${str(ev.raw.tool_name, 'tool')}`, ACTIVITY_MAX);
      return null;
  }
}
