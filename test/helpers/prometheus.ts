// A tiny parser for the Prometheus text exposition format (0.0.4), strict enough to catch malformed
// output: every sample line must be `name{labels} value`, names and label names valid, every sample's
// family declared by a preceding # TYPE, values numeric (or NaN/+Inf/-Inf).
export interface PromSample { name: string; labels: Record<string, string>; value: number }
export interface PromFamily { name: string; type: string; help: string; samples: PromSample[] }

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function parsePrometheus(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    const where = `line ${i + 1} (${line})`;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (!m) continue; // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`bad metric name in ${where}`);
      const f = families.get(name) ?? { name, type: 'untyped', help: '', samples: [] };
      if (kind === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`bad type in ${where}`);
        if (f.samples.length > 0) throw new Error(`TYPE after samples in ${where}`);
        f.type = rest;
      } else f.help = rest;
      families.set(name, f);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
    if (!m) throw new Error(`malformed sample in ${where}`);
    const labels: Record<string, string> = {};
    if (m[3]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
      let pos = 0;
      for (let lm = re.exec(m[3]); lm; lm = re.exec(m[3])) {
        if (!LABEL_NAME.test(lm[1]!)) throw new Error(`bad label name in ${where}`);
        labels[lm[1]!] = lm[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
        pos = re.lastIndex;
      }
      if (pos !== m[3].length) throw new Error(`malformed labels in ${where}`);
    }
    const raw = m[4]!;
    const value = raw === 'NaN' ? NaN : raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    if (!/^(NaN|[+-]Inf|-?\d+(\.\d+)?([eE][+-]?\d+)?)$/.test(raw)) throw new Error(`bad value in ${where}`);
    // A histogram's samples are <name>_bucket, <name>_sum and <name>_count of the family <name>.
    const hist = /^(.*)_(bucket|sum|count)$/.exec(m[1]!);
    const f = families.get(m[1]!) ?? (hist && families.get(hist[1]!)?.type === 'histogram' ? families.get(hist[1]!) : undefined);
    if (!f || f.type === 'untyped') throw new Error(`sample without a # TYPE in ${where}`);
    if (f.type === 'histogram' && !hist) throw new Error(`histogram sample without _bucket/_sum/_count in ${where}`);
    if (hist?.[2] === 'bucket' && labels.le === undefined) throw new Error(`histogram bucket without le in ${where}`);
    f.samples.push({ name: m[1]!, labels, value });
  }
  return families;
}

export function sampleValue(fams: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  return fams.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}
