// TypeScript entry for running the real Claude Code binary in tests. The implementation is plain ESM
// (real-claude.mjs, typed by real-claude.d.mts) so scripts/record-claude-fixtures.mjs can use it without
// a build.
export { claudeArgs, claudeBinary, claudeEnv, makeSandbox, runClaude, scrubPaths } from './real-claude.mjs';
export type { ClaudeEnvOptions, ClaudeRun, Sandbox } from './real-claude.mjs';
