// Read WORKFLOW.md: YAML front matter (only YAML — gray-matter's JavaScript engines would run code)
// → schema → {config, template}. The template is compiled and rendered against sample variables here,
// so a typo like `{{ issue.nope }}` is a startup error rather than a failure at the first claim.
// `reloadWorkflow` is what the daemon calls every poll: a bad edit yields an error, never a stop.
import { readFileSync } from 'node:fs';
import matter from 'gray-matter';
import { type Workflow } from './types.js';
import { validateConfig } from './schema.js';
import type { Env } from './fields.js';
import { checkTemplate } from '../prompt/check.js';
import { registerSecrets } from '../util/secrets.js';
import { ConfigError, TemplateError } from '../errors.js';

const CODE_ENGINES = ['js', 'javascript', 'coffee', 'coffeescript', 'cson'];

function refuseCode(file: string): never {
  throw new ConfigError(`${file}: front matter must be YAML; \`---js\` blocks run code and are refused`);
}

function refuseOther(file: string, language: string): never {
  throw new ConfigError(`${file}: front matter must be YAML (found \`---${language}\`); start the file with a plain \`---\` line`);
}

/** js-yaml turns unquoted dates into Date objects; the schema only knows strings, so turn them back. */
function undate(value: unknown): unknown {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return String(value);
    const iso = value.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  if (Array.isArray(value)) return value.map(undate);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = undate(v);
    return out;
  }
  return value;
}

interface YamlError {
  name?: string;
  reason?: string;
  mark?: { line?: number; column?: number };
}

function yamlError(file: string, err: unknown): ConfigError {
  const e = err as YamlError;
  if (e && e.name === 'YAMLException') {
    // gray-matter hands js-yaml the text after the opening `---` (the rest of that line included), so
    // js-yaml's 0-based line n is the file's 1-based line n + 1.
    const line = typeof e.mark?.line === 'number' ? ` at line ${e.mark.line + 1}` : '';
    return new ConfigError(`${file}: front matter is not valid YAML${line}: ${e.reason ?? 'parse error'}`);
  }
  if (err instanceof ConfigError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new ConfigError(`${file}: could not read the front matter: ${msg}`);
}

/** Parse WORKFLOW.md text (no file access). `file` is the path shown in every message. */
export function parseWorkflow(text: string, file: string, env: Env): Workflow {
  const source = text.replace(/^\uFEFF/, '');
  const lines = source.split(/\r?\n/);
  const first = lines[0] ?? '';
  const warnings: string[] = [];
  let bodyLine = 1; // 1-based file line where the template starts

  // The same test gray-matter applies: `---` not followed by another `-`; the rest names the language.
  const open = /^---(?!-)/.test(first);
  if (open) {
    const language = first.slice(3).trim();
    if (CODE_ENGINES.includes(language.toLowerCase())) refuseCode(file);
    if (language !== '' && !['yaml', 'yml'].includes(language.toLowerCase())) refuseOther(file, language);
    const close = lines.findIndex((l, i) => i > 0 && l.startsWith('---'));
    if (close === -1) {
      throw new ConfigError(`${file}: the front matter opened on line 1 has no closing \`---\` line`);
    }
    bodyLine = close + 2;
  } else {
    warnings.push(`${file}: no front matter (a \`---\` block) at the top; using the default configuration`);
  }

  let parsed: matter.GrayMatterFile<string>;
  try {
    const refuse = (): never => refuseCode(file);
    // An options object: gray-matter then neither caches by content nor returns a shared object.
    parsed = matter(source, {
      engines: { js: refuse, javascript: refuse, coffee: refuse, coffeescript: refuse, cson: refuse },
    });
  } catch (err) {
    throw yamlError(file, err);
  }

  const { config, warnings: more, secrets, agentSecrets } = validateConfig(undate(parsed.data), { file, env });
  // Masked by every sink of this process from now on (the one redactor: logs, state, events, transcripts,
  // tracker writes, notifications, CLI errors). Only `secrets` is also kept from the agent's environment.
  registerSecrets([...secrets, ...agentSecrets]);
  warnings.push(...more);

  let template = open ? parsed.content : source;
  if (template.trim() === '') {
    throw new ConfigError(
      `${file}: the prompt template (the text after the front matter) is empty; write the instructions for the agent there`,
    );
  }
  try {
    checkTemplate(template);
  } catch (err) {
    if (err instanceof TemplateError) {
      const where = err.line !== null ? ` (line ${err.line + bodyLine - 1})` : '';
      throw new ConfigError(`${file}${where}: ${err.message}`);
    }
    throw err;
  }
  template = template.replace(/\r\n/g, '\n');
  return { path: file, config, template, warnings, secrets, source: text };
}

/** The file, bytes and environment each workflow was parsed from: an unchanged file is not parsed again. */
const parsedFrom = new WeakMap<Workflow, { path: string; text: string; env: Env }>();

/**
 * Read and validate WORKFLOW.md. Throws ConfigError (exit 2) naming the file, key or line. `last`: a
 * workflow loaded before, returned as it is when the file still holds the very bytes it was parsed from.
 */
export function loadWorkflow(path: string, env: Env, last: Workflow | null = null): Workflow {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ConfigError(`${path}: no such file; run \`swarm init\` to create one, or pass --workflow FILE`);
    }
    if (code === 'EISDIR') throw new ConfigError(`${path}: is a directory, not a WORKFLOW.md file`);
    throw new ConfigError(`${path}: cannot be read (${code ?? (err as Error).message})`);
  }
  const seen = last ? parsedFrom.get(last) : undefined;
  if (last && seen && seen.path === path && seen.text === text && seen.env === env) return last;
  const workflow = parseWorkflow(text, path, env);
  parsedFrom.set(workflow, { path, text, env });
  return workflow;
}

/**
 * Re-read WORKFLOW.md for the next poll. On a bad edit, keep `last` and return the problem as `error`
 * (the same text for the same problem, so the caller can log each distinct problem once). With no
 * last good workflow (startup) the ConfigError is thrown instead.
 */
export function reloadWorkflow(path: string, env: Env, last: Workflow | null): { workflow: Workflow; error: string | null } {
  try {
    return { workflow: loadWorkflow(path, env, last), error: null };
  } catch (err) {
    if (last === null) throw err;
    const message = err instanceof Error ? err.message : String(err);
    return { workflow: last, error: message };
  }
}

/**
 * reloadWorkflow for the poll loop: an invalid read is confirmed by a second read `settleMs` later, so
 * a file caught between an editor's truncate and write (empty, or half written) is not reported as a
 * configuration error. Costs nothing while the file is valid.
 */
export async function reloadWorkflowSettled(path: string, env: Env, last: Workflow, settleMs = 200): Promise<{ workflow: Workflow; error: string | null }> {
  const first = reloadWorkflow(path, env, last);
  if (first.error === null) return first;
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  return reloadWorkflow(path, env, last);
}
