// Whether a run that was asked to `--resume` a Claude session failed only because that session is not
// there, so the caller can start the attempt fresh (previous attempts in the prompt) instead of counting
// a failure. Independent of the outcome table in classify.ts, which calls this run infrastructure (a zeroed
// result before any model turn: never counted).
//
// What Claude Code 2.1.328 and 2.1.332 do for `-p --output-format stream-json --resume <id>` (run against the fake
// Messages API; recorded in test/fixtures/claude/bad-resume.*): an id with no transcript under this
// CLAUDE_CONFIG_DIR (never existed, another config dir, an empty transcript file) exits 1 in under a
// second with no init line, no model turn, and one `result` line — subtype `error_during_execution`,
// `num_turns` 0, `errors: ["No conversation found with session ID: <id>"]` — and the same text on stderr.
// A value that is neither a UUID nor a session title gets the same shape with "--resume requires a valid
// session ID or session title when used with --print". Both mean "nothing to resume". The text is only
// believed before any model turn, so an agent that prints the phrase in a real run is never mistaken for it.

import type { RunResult } from './types.js';

const NOTHING_TO_RESUME = /No conversation found with session ID|--resume requires a valid session ID/;

export function resumeFailed(run: RunResult): boolean {
  if (run.spawnError !== null || run.killedFor !== null || run.held !== null) return false;
  const s = run.summary;
  if (s.sawModelTurn) return false;
  const r = s.result;
  if (r === null) return NOTHING_TO_RESUME.test(run.stderrTail); // no result line: stderr alone says it
  if (r.subtype !== 'error_during_execution' || !r.isError || r.numTurns !== 0) return false;
  return r.errors.some((e) => NOTHING_TO_RESUME.test(e)) || NOTHING_TO_RESUME.test(run.stderrTail);
}
