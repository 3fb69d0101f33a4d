// What the real `claude` refuses while it parses its command line, for test/helpers/fake-claude.mjs: an
// argv it refuses gets the same message on stderr and rc 1, before anything runs and with nothing on
// stdout. test/integration/fake-claude-fidelity.test.ts runs each case through both and compares.
//
// The options the real CLI knows, with their arity as `claude --help` of 2.1.332 prints them (`<x>` takes
// the next argument whatever it looks like, `[x]` takes it unless it starts with "-", `<x...>` takes
// arguments until the next one starting with "-"), plus two hidden ones it accepts (--max-turns,
// --permission-prompt-tool). Anything else is refused like commander does, before anything runs:
// `error: unknown option '--no-such-flag'`, rc 1, nothing on stdout (test/fixtures/claude/unknown-flag.*;
// also after a variadic list: `--allowedTools Bash Read --no-such-flag` is refused, measured).
export const OPTIONS = {
  '--add-dir': 'list', '--agent': 'value', '--agents': 'value', '--allow-dangerously-skip-permissions': 'bool',
  '--allowedTools': 'list', '--allowed-tools': 'list', '--append-system-prompt': 'value', '--autocompact': 'value',
  '--ax-screen-reader': 'bool', '--bg': 'bool', '--background': 'bool', '--bare': 'bool', '--betas': 'list', '--brief': 'bool',
  '--chrome': 'bool', '--cloud': 'optional', '-c': 'bool', '--continue': 'bool', '--dangerously-skip-permissions': 'bool',
  '-d': 'optional', '--debug': 'optional', '--debug-file': 'value', '--desktop': 'bool', '--disable-slash-commands': 'bool',
  '--disallowedTools': 'list', '--disallowed-tools': 'list', '--effort': 'value', '--environment': 'value',
  '--exclude-dynamic-system-prompt-sections': 'bool', '--fallback-model': 'value', '--file': 'list', '--fork-session': 'bool',
  '--forward-subagent-text': 'bool', '--from-pr': 'optional', '-h': 'bool', '--help': 'bool', '--ide': 'bool',
  '--include-hook-events': 'bool', '--include-partial-messages': 'bool', '--input-format': 'value', '--json-schema': 'value',
  '--max-budget-usd': 'value', '--mcp-config': 'list', '--model': 'value', '-n': 'value', '--name': 'value', '--no-chrome': 'bool',
  '--no-session-persistence': 'bool', '--output-format': 'value', '--permission-mode': 'value', '--permission-prompts': 'value',
  '--plugin-dir': 'value', '--plugin-url': 'value', '-p': 'bool', '--print': 'bool', '--prompt-suggestions': 'optional',
  '--remote-control': 'optional', '--remote-control-session-name-prefix': 'value', '--replay-user-messages': 'bool',
  '--restricted': 'bool', '-r': 'optional', '--resume': 'optional', '--safe-mode': 'bool', '--session-id': 'value',
  '--setting-sources': 'value', '--settings': 'value', '--strict-mcp-config': 'bool', '--system-prompt': 'value',
  '--system-prompt-snapshot': 'value', '--teleport': 'optional', '--tmux': 'bool', '--tools': 'list', '--verbose': 'bool',
  '-w': 'optional', '--worktree': 'optional', '--max-turns': 'value', '--permission-prompt-tool': 'value',
};
/** The message the real CLI prints (then exits 1) for an argv it refuses while parsing options, or null. */
export function argvRefusal(argv) {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-') || a === '-') continue; // the prompt, given as an argument
    const [name, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, null];
    const kind = OPTIONS[name];
    if (!kind) return `error: unknown option '${name}'`;
    if (inline !== null || kind === 'bool') continue;
    if (kind === 'value') {
      if (i + 1 >= argv.length) return `error: option '${name}' argument missing`;
      i++;
    } else if (kind === 'optional') {
      if (i + 1 < argv.length && !argv[i + 1].startsWith('-')) i++;
    } else {
      while (i + 1 < argv.length && !argv[i + 1].startsWith('-')) i++;
    }
  }
  // `--max-budget-usd` must be a number > 0: 0, negatives and words are refused at parse time
  // (2.1.332, test/fixtures/claude/budget-zero.*).
  const at = argv.indexOf('--max-budget-usd');
  const budget = at >= 0 && at + 1 < argv.length ? argv[at + 1] : null;
  if (budget !== null && !(Number(budget) > 0)) {
    return `error: option '--max-budget-usd <amount>' argument '${budget}' is invalid. --max-budget-usd must be a number greater than 0`;
  }
  return null;
}
