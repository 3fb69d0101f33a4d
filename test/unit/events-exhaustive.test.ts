// Acceptance #25.3: "a new event type without a decoder fails tsc" — proved with the compiler, not claimed.
// The TypeScript compiler checks src/core/events.ts as it is (no error), then with one new member added to
// each union (ticket, scope, daemon) and no decoder line: each must be refused, naming the new type.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/core');
const EVENTS = join(SRC, 'events.ts');
const DAEMON = join(SRC, 'daemon-events.ts');

/** Errors tsc reports for events.ts and daemon-events.ts with `edits` (file → new text) applied in memory. */
function errors(edits: Record<string, string>): string[] {
  const options: ts.CompilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, noEmit: true, skipLibCheck: true, types: ['node'] };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (f) => edits[resolve(f)] ?? read(f);
  const getSource = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang, onError) => {
    const text = edits[resolve(f)];
    return text !== undefined ? ts.createSourceFile(f, text, lang) : getSource(f, lang, onError);
  };
  const program = ts.createProgram([EVENTS, DAEMON], options, host);
  return [EVENTS, DAEMON].flatMap((f) => program.getSemanticDiagnostics(program.getSourceFile(f)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')));
}

/** The file with `member` added as the first member of the union `name`. */
function widen(file: string, name: string, member: string): string {
  const text = readFileSync(file, 'utf8');
  const head = `export type ${name} =\n`;
  expect(text).toContain(head); // the test edits the real declaration, not a guess
  return text.replace(head, `${head}  | ${member}\n`);
}

describe('the event decoder table is exhaustive by construction', () => {
  it('compiles as it is', () => {
    expect(errors({})).toEqual([]);
  }, 60_000);

  it('a ticket, scope or daemon event type without a decoder fails to compile, naming the type', () => {
    const cases: Array<[string, string, string]> = [
      [EVENTS, 'TicketEvent', "(T & { type: 'brand_new_ticket_event' })"],
      [EVENTS, 'ScopeEvent', "(At & { type: 'brand_new_scope_event' })"],
      [DAEMON, 'DaemonEvent', "(At & { type: 'brand_new_daemon_event' })"],
    ];
    for (const [file, union, member] of cases) {
      const found = errors({ [file]: widen(file, union, member) });
      const name = /'(brand_new_\w+)'/.exec(member)![1]!;
      expect(found.some((e) => e.includes(name)), `${union}: ${found.join(' | ')}`).toBe(true);
    }
  }, 120_000);
});
