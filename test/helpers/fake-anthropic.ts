// TypeScript entry for the fake Anthropic Messages API. The implementation is plain ESM
// (fake-anthropic.mjs, typed by fake-anthropic.d.mts) so scripts/record-claude-fixtures.mjs can use it
// without a build.
export { overageHeaders, startFakeAnthropic, usageLimitStep } from './fake-anthropic.mjs';
export type { FakeAnthropic, FakeError, FakeStep, RecordedRequest } from './fake-anthropic.mjs';
