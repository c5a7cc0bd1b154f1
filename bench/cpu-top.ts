// Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof <dir>`): top functions by self
// time, self time by file, and total (inclusive) time of callhook's own functions.
// Usage: node bench/cpu-top.ts <file.cpuprofile> [rows]
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, rowsText] = process.argv.slice(2);
if (!file) {
  process.stderr.write('Usage: node bench/cpu-top.ts <file.cpuprofile> [rows]\n');
  process.exit(2);
}
const rows = Number(rowsText ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const short = (url: string) => url.replace(/^file:\/\/.*?\/(src|node_modules)\//, '$1/').replace(/^node:/, 'node:') || '(native)';
const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;

let total = 0;
let idle = 0;
const selfByLabel = new Map<string, number>();
const selfByFile = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  total += us;
  if (n.callFrame.functionName === '(idle)') {
    idle += us;
    continue;
  }
  selfByLabel.set(label(n), (selfByLabel.get(label(n)) ?? 0) + us);
  const f = short(n.callFrame.url);
  selfByFile.set(f, (selfByFile.get(f) ?? 0) + us);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const c = byId.get(cur)!;
    if (!c.callFrame.url.includes('/src/')) continue;
    const l = label(c);
    if (seen.has(l)) continue; // recursion counts once
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + us);
  }
}
const busy = total - idle;
const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
const top = (m: Map<string, number>, k: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k);
console.log(`profile ${(total / 1e6).toFixed(1)} s, idle ${(idle / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s (percentages of busy)`);
console.log('\nself time by function:');
for (const [l, us] of top(selfByLabel, rows)) console.log(`${pct(us)}  ${l}`);
console.log('\nself time by file:');
for (const [l, us] of top(selfByFile, Math.ceil(rows / 2))) console.log(`${pct(us)}  ${l}`);
console.log('\ntotal time of src/ functions:');
for (const [l, us] of top(inclusive, rows)) console.log(`${pct(us)}  ${l}`);
