// A small GraphQL engine for fake servers: parses an operation (fields, aliases, arguments, variables,
// fragments), VALIDATES it against a schema the way graphql-js does (unknown fields/arguments, missing
// selections, undefined/unused/missing variables, variable type mismatches), then executes it over
// resolvers. The point is that a broken hand-written query fails a test instead of passing silently.
// (graphql-js is only a transitive dependency here, so we do without it.)

export type Value =
  | { kind: 'var'; name: string }
  | { kind: 'lit'; value: unknown }
  | { kind: 'list'; items: Value[] }
  | { kind: 'obj'; fields: Record<string, Value> };

export interface Field {
  alias: string | null;
  name: string;
  args: Record<string, Value>;
  selections: Field[] | null;
}

export interface Operation {
  type: 'query' | 'mutation';
  name: string | null;
  variables: { name: string; type: string }[];
  selections: Field[];
}

export interface FieldDef {
  /** Type name, `[T]` for lists; object types must be keys of the schema, anything else is a scalar. */
  type: string;
  /** Argument name → type ("String!", "IssueFilter", …). */
  args?: Record<string, string>;
  resolve?: (parent: any, args: Record<string, any>) => unknown;
}
export type Schema = Record<string, Record<string, FieldDef>>;

/** An error the fake reports like the real API: message plus `extensions`. */
export class GqlError extends Error {
  constructor(message: string, readonly extensions: Record<string, unknown> = { type: 'graphql error', code: 'GRAPHQL_VALIDATION_FAILED' }) {
    super(message);
  }
}

// ---- lexer / parser ------------------------------------------------------------------------------

const TOKEN = /\s+|,|#[^\n]*|(\.\.\.|[{}()[\]:!$=@])|("(?:\\.|[^"\\])*")|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|([_A-Za-z][_0-9A-Za-z]*)/y;

function lex(src: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < src.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(src);
    if (!m) throw new GqlError(`Syntax Error: Unexpected character "${src[at]}".`);
    const tok = m[1] ?? m[2] ?? m[3] ?? m[4];
    if (tok !== undefined) out.push(tok);
  }
  return out;
}

export function parse(src: string, operationName?: string | null): Operation {
  const t = lex(src);
  let i = 0;
  const peek = () => t[i];
  const next = () => {
    if (i >= t.length) throw new GqlError('Syntax Error: Unexpected <EOF>.');
    return t[i++]!;
  };
  const expect = (tok: string) => {
    const got = next();
    if (got !== tok) throw new GqlError(`Syntax Error: Expected "${tok}", found "${got}".`);
  };
  const name = () => {
    const n = next();
    if (!/^[_A-Za-z]/.test(n)) throw new GqlError(`Syntax Error: Expected Name, found "${n}".`);
    return n;
  };
  const typeRef = (): string => {
    let ty: string;
    if (peek() === '[') { next(); ty = `[${typeRef()}]`; expect(']'); } else ty = name();
    if (peek() === '!') { next(); ty += '!'; }
    return ty;
  };
  const value = (): Value => {
    const tok = next();
    if (tok === '$') return { kind: 'var', name: name() };
    if (tok === '[') {
      const items: Value[] = [];
      while (peek() !== ']') items.push(value());
      next();
      return { kind: 'list', items };
    }
    if (tok === '{') {
      const fields: Record<string, Value> = {};
      while (peek() !== '}') { const k = name(); expect(':'); fields[k] = value(); }
      next();
      return { kind: 'obj', fields };
    }
    if (tok.startsWith('"')) return { kind: 'lit', value: JSON.parse(tok) };
    if (/^-?\d/.test(tok)) return { kind: 'lit', value: Number(tok) };
    if (tok === 'true' || tok === 'false') return { kind: 'lit', value: tok === 'true' };
    if (tok === 'null') return { kind: 'lit', value: null };
    if (/^[_A-Za-z]/.test(tok)) return { kind: 'lit', value: tok }; // enum value
    throw new GqlError(`Syntax Error: Unexpected "${tok}".`);
  };
  type RawSel = Field | { spread: string };
  const selectionSet = (): RawSel[] => {
    expect('{');
    const sels: RawSel[] = [];
    while (peek() !== '}') {
      if (peek() === '...') {
        next();
        if (peek() === 'on') throw new GqlError('Inline fragments are not supported by the fake.');
        sels.push({ spread: name() });
        continue;
      }
      let alias: string | null = null;
      let fname = name();
      if (peek() === ':') { next(); alias = fname; fname = name(); }
      const args: Record<string, Value> = {};
      if (peek() === '(') {
        next();
        while (peek() !== ')') { const a = name(); expect(':'); args[a] = value(); }
        next();
      }
      const sub = peek() === '{' ? selectionSet() : null;
      sels.push({ alias, name: fname, args, selections: sub as Field[] | null });
    }
    next();
    if (sels.length === 0) throw new GqlError('Syntax Error: Expected Name, found "}".');
    return sels;
  };

  const ops: Operation[] = [];
  const fragments = new Map<string, RawSel[]>();
  while (i < t.length) {
    const tok = peek();
    if (tok === '{') { ops.push({ type: 'query', name: null, variables: [], selections: selectionSet() as Field[] }); continue; }
    next();
    if (tok === 'fragment') {
      const fname = name();
      expect('on');
      name();
      fragments.set(fname, selectionSet());
    } else if (tok === 'query' || tok === 'mutation') {
      const opName = peek() !== '(' && peek() !== '{' ? name() : null;
      const variables: { name: string; type: string }[] = [];
      if (peek() === '(') {
        next();
        while (peek() !== ')') {
          expect('$');
          const v = name();
          expect(':');
          const ty = typeRef();
          if (peek() === '=') { next(); value(); }
          variables.push({ name: v, type: ty });
        }
        next();
      }
      ops.push({ type: tok, name: opName, variables, selections: selectionSet() as Field[] });
    } else {
      throw new GqlError(`Syntax Error: Unexpected Name "${tok}".`);
    }
  }
  const expand = (sels: RawSel[], seen: string[]): Field[] =>
    sels.flatMap((s) => {
      if ('spread' in s) {
        const frag = fragments.get(s.spread);
        if (!frag) throw new GqlError(`Unknown fragment "${s.spread}".`);
        if (seen.includes(s.spread)) throw new GqlError(`Cannot spread fragment "${s.spread}" within itself.`);
        return expand(frag, [...seen, s.spread]);
      }
      return [{ ...s, selections: s.selections ? expand(s.selections as RawSel[], seen) : null }];
    });
  const op = operationName ? ops.find((o) => o.name === operationName) : ops.length === 1 ? ops[0] : undefined;
  if (!op) throw new GqlError(operationName ? `Unknown operation named "${operationName}".` : 'Must provide operation name if query contains multiple operations.');
  return { ...op, selections: expand(op.selections as RawSel[], []) };
}

// ---- validation ----------------------------------------------------------------------------------

const bare = (ty: string) => ty.replace(/[[\]!]/g, '');

export function validate(op: Operation, schema: Schema, variables: Record<string, unknown>): void {
  const root = op.type === 'query' ? 'Query' : 'Mutation';
  const declared = new Map(op.variables.map((v) => [v.name, v.type]));
  const used = new Set<string>();
  const opLabel = op.name ? ` by operation "${op.name}"` : '';
  const checkValue = (v: Value, expected: string | null) => {
    if (v.kind === 'var') {
      used.add(v.name);
      const ty = declared.get(v.name);
      if (ty === undefined) throw new GqlError(`Variable "$${v.name}" is not defined${opLabel}.`);
      if (expected && (bare(ty) !== bare(expected) || (expected.endsWith('!') && !ty.endsWith('!'))))
        throw new GqlError(`Variable "$${v.name}" of type "${ty}" used in position expecting type "${expected}".`);
    } else if (v.kind === 'list') v.items.forEach((x) => checkValue(x, null));
    else if (v.kind === 'obj') Object.values(v.fields).forEach((x) => checkValue(x, null));
  };
  const walk = (sels: Field[], typeName: string) => {
    const type = schema[typeName]!;
    for (const f of sels) {
      if (f.name === '__typename') continue;
      const def = type[f.name];
      if (!def) throw new GqlError(`Cannot query field "${f.name}" on type "${typeName}".`);
      for (const [a, v] of Object.entries(f.args)) {
        const argType = def.args?.[a];
        if (!argType) throw new GqlError(`Unknown argument "${a}" on field "${typeName}.${f.name}".`);
        checkValue(v, argType);
      }
      for (const [a, ty] of Object.entries(def.args ?? {}))
        if (ty.endsWith('!') && !(a in f.args))
          throw new GqlError(`Field "${f.name}" argument "${a}" of type "${ty}" is required, but it was not provided.`);
      const target = bare(def.type);
      if (schema[target]) {
        if (!f.selections) throw new GqlError(`Field "${f.name}" of type "${def.type}" must have a selection of subfields. Did you mean "${f.name} { ... }"?`);
        walk(f.selections, target);
      } else if (f.selections) {
        throw new GqlError(`Field "${f.name}" must not have a selection since type "${def.type}" has no subfields.`);
      }
    }
  };
  if (!schema[root]) throw new GqlError(`Schema is not configured for ${op.type}s.`);
  walk(op.selections, root);
  for (const v of op.variables) {
    if (!used.has(v.name)) throw new GqlError(`Variable "$${v.name}" is never used${opLabel}.`);
    if (v.type.endsWith('!') && (variables[v.name] === undefined || variables[v.name] === null))
      throw new GqlError(`Variable "$${v.name}" of required type "${v.type}" was not provided.`, { type: 'graphql error', code: 'BAD_USER_INPUT' });
  }
}

// ---- execution -----------------------------------------------------------------------------------

function evaluate(v: Value, vars: Record<string, unknown>): unknown {
  if (v.kind === 'var') return vars[v.name] ?? null;
  if (v.kind === 'lit') return v.value;
  if (v.kind === 'list') return v.items.map((x) => evaluate(x, vars));
  return Object.fromEntries(Object.entries(v.fields).map(([k, x]) => [k, evaluate(x, vars)]));
}

export interface ExecResult {
  data: Record<string, unknown> | null;
  errors: { message: string; path: string[]; extensions: Record<string, unknown> }[];
}

export function execute(op: Operation, schema: Schema, rootValue: unknown, vars: Record<string, unknown>): ExecResult {
  const project = (value: unknown, typeName: string, sels: Field[]): unknown => {
    if (value === null || value === undefined) return null;
    if (Array.isArray(value)) return value.map((x) => project(x, typeName, sels));
    const out: Record<string, unknown> = {};
    for (const f of sels) {
      const key = f.alias ?? f.name;
      if (f.name === '__typename') { out[key] = typeName; continue; }
      const def = schema[typeName]![f.name]!;
      const args = Object.fromEntries(Object.entries(f.args).map(([k, v]) => [k, evaluate(v, vars)]));
      const raw = def.resolve ? def.resolve(value, args) : (value as Record<string, unknown>)[f.name];
      const target = bare(def.type);
      out[key] = schema[target] ? project(raw, target, f.selections!) : raw ?? null;
    }
    return out;
  };
  const root = op.type === 'query' ? 'Query' : 'Mutation';
  const data: Record<string, unknown> = {};
  const errors: ExecResult['errors'] = [];
  for (const f of op.selections) {
    const key = f.alias ?? f.name;
    try {
      data[key] = (project(rootValue, root, [f]) as Record<string, unknown>)[key];
    } catch (err) {
      if (!(err instanceof GqlError)) throw err;
      data[key] = null;
      errors.push({ message: err.message, path: [key], extensions: err.extensions });
    }
  }
  return { data, errors };
}
