// The suite's fake GitHub (test/helpers/fake-github.ts, compiled by compile.mjs), so request counts and
// 304s are judged by exactly the server the tests trust.
//
// Each logged request also gets `at` (epoch ms when it arrived) for the latency targets: the fake logs
// every request with requests.push(entry) as it arrives, so wrapping push on that array stamps it.
import { helper } from './compile.mjs';

export { cleanupCompiled } from './compile.mjs';

/** Start the suite's fake GitHub; requests carry `at` (arrival time, epoch ms). */
export async function startFakeGitHub(opts = {}) {
  const mod = await helper('fake-github');
  const gh = await mod.startFakeGitHub(opts);
  const reqs = gh.requests;
  reqs.push = function stamp(...entries) {
    for (const e of entries) e.at = Date.now();
    return Array.prototype.push.apply(this, entries);
  };
  return gh;
}
