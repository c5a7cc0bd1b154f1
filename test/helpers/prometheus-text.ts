// A strict reader of the Prometheus text exposition format (0.0.4), written from the format's
// description rather than by the library that writes it: every line is a HELP, a TYPE, blank, or a
// sample of a family declared before it; label values are escaped; histograms are cumulative and
// end in +Inf = count. Throws on the first line that is not so.

export interface Series {
  /** The sample's own name (`x_bucket`, `x_sum` … for a histogram). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  series: Series[];
}

const HELP = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/;
const TYPE = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/;
/** As Prometheus reads values (Go's ParseFloat): Inf and NaN in any case (prom-client writes `Nan`). */
const FLOAT = /^(?:[+-]?inf|nan|[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)$/i;

export function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  let current: Family | null = null;
  text.split('\n').slice(0, -1).forEach((line, index) => {
    const fail = (why: string) => {
      throw new Error(`line ${index + 1}: ${why}: ${line}`);
    };
    if (line === '') return;
    const help = HELP.exec(line);
    const type = TYPE.exec(line);
    if (help || type) {
      const name = (help ?? type)![1]!;
      let family = families.get(name);
      if (!family) {
        family = { name, help: '', type: 'untyped', series: [] };
        families.set(name, family);
      } else if (family !== current) fail('a family declared twice, or apart');
      if (help) family.help = help[2]!;
      if (type) {
        if (family.series.length > 0) fail('TYPE after the samples');
        family.type = type[2] as Family['type'];
      }
      current = family;
      return;
    }
    if (line.startsWith('#')) return; // a comment
    const sample = SAMPLE.exec(line);
    if (!sample) return fail('not a sample');
    const [, name, rawLabels = '', rawValue] = sample;
    if (!current || !belongsTo(name!, current)) return fail(`a sample of no family declared before it (current: ${current?.name})`);
    if (!FLOAT.test(rawValue!)) fail('the value is no number');
    const labels = parseLabels(rawLabels, fail);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) fail('the same series twice');
    seen.add(key);
    current.series.push({ name: name!, labels, value: toNumber(rawValue!) });
  });
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

function toNumber(raw: string): number {
  const lower = raw.toLowerCase();
  return lower === 'nan' ? NaN : lower.endsWith('inf') ? (lower.startsWith('-') ? -Infinity : Infinity) : Number(raw);
}

function belongsTo(name: string, family: Family): boolean {
  if (name === family.name) return family.type !== 'histogram';
  if (family.type === 'histogram') return [`${family.name}_bucket`, `${family.name}_sum`, `${family.name}_count`].includes(name);
  if (family.type === 'summary') return [`${family.name}_sum`, `${family.name}_count`].includes(name);
  return false;
}

function parseLabels(raw: string, fail: (why: string) => never): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = raw;
  while (rest.length > 0) {
    const label = LABEL.exec(rest);
    if (!label) return fail('labels not in the form name="value",…');
    if (label[1]! in labels) fail(`label ${label[1]} twice`);
    labels[label[1]!] = label[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(label[0].length);
  }
  return labels;
}

/** Per label set: buckets never fall, the last is +Inf, and it equals _count. */
function checkHistogram(family: Family): void {
  const groups = new Map<string, { buckets: Array<[number, number]>; count?: number }>();
  for (const s of family.series) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const group = groups.get(key) ?? { buckets: [] };
    groups.set(key, group);
    if (s.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${family.name}: a bucket without le`);
      group.buckets.push([toNumber(le), s.value]);
    } else if (s.name.endsWith('_count')) group.count = s.value;
  }
  for (const [key, group] of groups) {
    const sorted = [...group.buckets].sort((a, b) => a[0] - b[0]);
    sorted.forEach(([, v], i) => {
      if (i > 0 && v < sorted[i - 1]![1]) throw new Error(`${family.name}${key}: buckets are not cumulative`);
    });
    const last = sorted.at(-1);
    if (!last || last[0] !== Infinity || last[1] !== group.count) throw new Error(`${family.name}${key}: no +Inf bucket equal to _count`);
  }
}

/** The value of one series (`labels` exactly; a histogram's `_count` and so on by their own name), or the sum over all when no labels are given. */
export function seriesValue(families: Map<string, Family>, name: string, labels?: Record<string, string>): number {
  const family = families.get(name) ?? families.get(name.replace(/_(bucket|sum|count)$/, ''));
  if (!family) return 0;
  const same = (a: Record<string, string>, b: Record<string, string>) => Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);
  return family.series.filter((s) => s.name === name && (!labels || same(s.labels, labels))).reduce((sum, s) => sum + s.value, 0);
}
