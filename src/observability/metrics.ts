// A small Prometheus registry: counters with labels and gauges read at scrape time, rendered in the
// text exposition format at /metrics.

type Labels = Record<string, string>;

export interface Counter {
  inc(by?: number, labels?: Labels): void;
}

interface CounterEntry {
  kind: 'counter';
  help: string;
  values: Map<string, number>;
}

interface GaugeEntry {
  kind: 'gauge';
  help: string;
  read: () => number;
}

export interface Sample {
  labels?: Labels;
  value: number;
}

/** Values someone else keeps (per capture id, in the kernel…), read at scrape time. */
interface SampledEntry {
  kind: 'sampled';
  type: 'gauge' | 'counter';
  help: string;
  read: () => Sample[];
}

export class Metrics {
  private readonly entries = new Map<string, CounterEntry | GaugeEntry | SampledEntry>();

  counter(name: string, help: string): Counter {
    let entry = this.entries.get(name);
    if (!entry) {
      entry = { kind: 'counter', help, values: new Map() };
      this.entries.set(name, entry);
    }
    const values = (entry as CounterEntry).values;
    return {
      inc(by = 1, labels = {}) {
        const key = labelKey(labels);
        values.set(key, (values.get(key) ?? 0) + by);
      },
    };
  }

  gauge(name: string, help: string, read: () => number): void {
    this.entries.set(name, { kind: 'gauge', help, read });
  }

  /** A gauge or counter with labels whose samples are read at scrape time; `type` is what Prometheus is told. */
  sampled(name: string, help: string, type: 'gauge' | 'counter', read: () => Sample[]): void {
    this.entries.set(name, { kind: 'sampled', type, help, read });
  }

  /** The current value of a counter (summed over labels when none are given); for tests and benches. */
  value(name: string, labels?: Labels): number {
    const entry = this.entries.get(name);
    if (!entry) return 0;
    if (entry.kind === 'gauge') return entry.read();
    if (entry.kind === 'sampled') {
      const samples = entry.read().filter((sample) => !labels || labelKey(sample.labels ?? {}) === labelKey(labels));
      return samples.reduce((sum, sample) => sum + sample.value, 0);
    }
    if (labels) return entry.values.get(labelKey(labels)) ?? 0;
    let sum = 0;
    for (const v of entry.values.values()) sum += v;
    return sum;
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, entry] of this.entries) {
      lines.push(`# HELP ${name} ${entry.help}`, `# TYPE ${name} ${entry.kind === 'sampled' ? entry.type : entry.kind}`);
      if (entry.kind === 'gauge') lines.push(`${name} ${entry.read()}`);
      else if (entry.kind === 'sampled') for (const sample of entry.read()) lines.push(`${name}${labelKey(sample.labels ?? {})} ${sample.value}`);
      else if (entry.values.size === 0) lines.push(`${name} 0`);
      else for (const [key, value] of entry.values) lines.push(`${name}${key} ${value}`);
    }
    return lines.join('\n') + '\n';
  }
}

function labelKey(labels: Labels): string {
  const pairs = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1));
  if (pairs.length === 0) return '';
  const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  return `{${pairs.map(([k, v]) => `${k}="${escape(v)}"`).join(',')}}`;
}
