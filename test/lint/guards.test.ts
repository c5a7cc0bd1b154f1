// The guards `npm test` runs (npm run lint) catch what they are there for: each rule of
// .oxlintrc.json and .dependency-cruiser.mjs that we rely on is run, with the real config, on a
// small project of deliberate breaches, and must name every one — and nothing that is allowed.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

/** Runs a tool of node_modules with this Node; its exit code and what it printed. */
async function tool(script: string, args: string[], cwd: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(ROOT, 'node_modules', script), ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, out: (failed.stdout ?? '') + (failed.stderr ?? '') };
  }
}

const FILES: Record<string, string> = {
  'tsconfig.json': JSON.stringify({
    compilerOptions: { target: 'es2024', module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2024'], types: [], strict: true, noEmit: true, allowImportingTsExtensions: true, verbatimModuleSyntax: true },
    include: ['src'],
  }),
  'package.json': JSON.stringify({ name: 'probe', type: 'module', devDependencies: { vitest: '*' } }),
  // oxlint: one breach per line, the allowed forms around them.
  'src/calls/lint-probe.ts': [
    "import { type Clock } from '../clock.ts';", // 1 inline type-only import: a runtime import under verbatimModuleSyntax
    'async function later(): Promise<number> { return 1; }',
    'export function fire(): void { later(); }', // 3 floating promise
    'export function fired(): void { void later(); }',
    'export const a = (name: string) => new RegExp(name);', // 5
    'export const b = (name: string) => RegExp(`^${name}: `);', // 6
    "export const c = (name: string) => new globalThis.RegExp('x', name);", // 7 flags from input
    'export const d = (text: string, name: string) => text.match(`^${name}`);', // 8 a string here becomes a pattern
    "export const e = (text: string, name: string) => text.search('^' + name);", // 9
    "export const fine = (text: string, name: string) => [new RegExp('^a+$', 'g'), RegExp(`abc`), /x/.test(text), text.replace(name, ''), text.split(name), text.match(/y/)];",
    'export type Later = Clock;',
  ].join('\n'),
  'src/clock.ts': 'export interface Clock { now(): number }\n',
  // Test code waits for signals, never for time (test/helpers/eventually.ts is the one exception).
  'src/calls/sleep-probe.test.ts': [
    "import { setTimeout as wait } from 'node:timers/promises';", // 1
    'export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));', // 2
    'export const nap = () => new Promise<void>((done) => { setTimeout(() => done(), 10); });', // 3
    'export const pause = (page: { waitForTimeout(ms: number): Promise<void> }) => page.waitForTimeout(100);', // 4
    "export const deadline = () => new Promise<never>((_, reject) => setTimeout(() => reject(new Error('late')), 10));",
    'export const later = (answer: () => void) => setTimeout(answer, 5);',
    'export const used = wait;',
  ].join('\n'),
  'src/calls/backoff.ts': 'export const backoff = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));\n',
  // A focused and a skipped test for the linter to find; spelled in parts so that no scan of this
  // repository mistakes the fixture for a focused or skipped test of ours.
  'src/calls/probe.test.ts': [
    "import { describe, it } from 'vitest';",
    `${['describe', 'only'].join('.')}('focused', () => {});`, // 2
    `${['it', 'skip'].join('.')}('skipped', () => {});`, // 3
    "it('kept', () => {});",
  ].join('\n'),
  // dependency-cruiser: a runtime cycle, a type-only one (allowed), layer and leaf breaches.
  'src/delivery/sender.ts': "import { route } from '../http/routes.ts';\nimport { openStore } from '../store/open.ts';\nexport const send = () => [route, openStore];\n",
  'src/http/routes.ts': "import { send } from '../delivery/sender.ts';\nexport const route = () => send;\n",
  'src/store/open.ts': "import { sqlite } from './sqlite/index.ts';\nexport const openStore = sqlite;\n",
  'src/store/sqlite/index.ts': 'export const sqlite = 1;\n',
  'src/events/event.ts': "import type { Shape } from '../formats/format.ts';\nexport interface Event { shape: Shape }\n",
  'src/formats/format.ts': "import type { Event } from '../events/event.ts';\nexport interface Shape { of: Event | null }\n",
  'src/config/load.ts': "import { send } from '../delivery/sender.ts';\nexport const load = send;\n",
  'src/cli/serve.ts': "import { expect } from 'vitest';\nimport { shared } from '../../test/helpers/shared.ts';\nexport const serve = [expect, shared];\n",
  'test/helpers/shared.ts': 'export const shared = 1;\n',
};

describe('lint and dependency guards', () => {
  let project: string;

  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'callhook-lint-guards-'));
    for (const [path, text] of Object.entries(FILES)) {
      mkdirSync(dirname(join(project, path)), { recursive: true });
      writeFileSync(join(project, path), text);
    }
    // The tools, vitest and oxlint's type-aware half resolve from here as they do in the repo.
    symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'));
  });
  afterAll(() => {
    rmSync(project, { recursive: true, force: true });
  });

  it('oxlint names each floating promise, RegExp built from input, inline type import, .only/.skip and sleep in a test', async () => {
    const { code, out } = await tool('oxlint/bin/oxlint', ['-c', join(ROOT, '.oxlintrc.json'), '-f', 'unix', 'src'], project);
    const found = [...out.matchAll(/^src\/(\S+?):(\d+):\d+: .*\[Error\/(\S+)\]$/gm)].map((m) => `${m[1]}:${m[2]} ${m[3]}`).sort();
    expect(found, out).toEqual(
      [
        'calls/lint-probe.ts:1 typescript(no-import-type-side-effects)',
        'calls/lint-probe.ts:3 typescript(no-floating-promises)',
        'calls/lint-probe.ts:5 callhook(regexp-literal-only)',
        'calls/lint-probe.ts:6 callhook(regexp-literal-only)',
        'calls/lint-probe.ts:7 callhook(regexp-literal-only)',
        'calls/lint-probe.ts:8 callhook(regexp-literal-only)',
        'calls/lint-probe.ts:9 callhook(regexp-literal-only)',
        'calls/probe.test.ts:2 vitest(no-focused-tests)',
        'calls/probe.test.ts:3 vitest(no-disabled-tests)',
        'calls/sleep-probe.test.ts:1 callhook(no-sleep-in-tests)',
        'calls/sleep-probe.test.ts:2 callhook(no-sleep-in-tests)',
        'calls/sleep-probe.test.ts:3 callhook(no-sleep-in-tests)',
        'calls/sleep-probe.test.ts:4 callhook(no-sleep-in-tests)',
      ].sort(),
    );
    expect(code).not.toBe(0);
  });

  it('dependency-cruiser names the runtime cycle, the layer and leaf breaches and test code in src — not the type-only cycle', async () => {
    const { code, out } = await tool('dependency-cruiser/bin/dependency-cruiser.mjs', ['--config', join(ROOT, '.dependency-cruiser.mjs'), '--output-type', 'err', 'src'], project);
    // A package shows as its resolved file: name it by package.
    const found = [...out.matchAll(/error (\S+): (\S+) → ?\s*(\S+)/g)].map((m) => `${m[1]}: ${m[2]} → ${m[3]!.replace(/^.*node_modules\/([^/]+)\/.*$/, '$1')}`).sort();
    expect(found, out).toEqual(
      [
        'no-runtime-cycle: src/delivery/sender.ts → src/http/routes.ts',
        'core-not-to-edges: src/delivery/sender.ts → src/http/routes.ts',
        'core-not-to-edges: src/delivery/sender.ts → src/store/open.ts',
        'config-is-a-leaf: src/config/load.ts → src/delivery/sender.ts',
        'no-test-library-in-src: src/cli/serve.ts → vitest',
        'no-test-code-in-src: src/cli/serve.ts → test/helpers/shared.ts',
      ].sort(),
    );
    expect(code).not.toBe(0);
  });
});
