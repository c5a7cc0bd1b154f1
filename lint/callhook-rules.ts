// callhook's own lint rules, loaded by oxlint as a JS plugin (.oxlintrc.json "jsPlugins").
// regexp-literal-only: a pattern built at run time can come from input, and one crafted pattern
// (`(.*)*(.*)*x`) holds the event loop for seconds; every pattern must be written in the source.
// no-sleep-in-tests: a test that sleeps a fixed time is wrong on a loaded machine (too short) and
// slow on an idle one; tests wait with test/helpers/eventually.ts, for a signal, with a timeout.

interface Node {
  type: string;
  [key: string]: unknown;
}
interface Context {
  readonly filename: string;
  report(diagnostic: { node: Node; message: string }): void;
}
interface Rule {
  meta: { type: 'problem'; docs: { description: string } };
  create(context: Context): Record<string, (node: Node) => void>;
}

/** `'…'`, `/…/` or a template without `${}`: text fixed in the source. */
function isFixedText(node: Node | undefined): boolean {
  if (!node) return true;
  if (node.type === 'Literal') return typeof node.value === 'string' || 'regex' in node;
  if (node.type === 'TemplateLiteral') return (node.expressions as Node[]).length === 0;
  return false;
}

/** `RegExp`, `globalThis.RegExp`, `window.RegExp`. */
function isRegExpCallee(callee: Node): boolean {
  if (callee.type === 'Identifier') return callee.name === 'RegExp';
  return callee.type === 'MemberExpression' && (callee.property as Node).type === 'Identifier' && (callee.property as Node).name === 'RegExp';
}

/** String methods that turn a string argument into a pattern (unlike replace/split/includes). */
const PATTERN_METHODS = new Set(['match', 'matchAll', 'search']);

/** Text assembled at run time: a template with `${}` or a `+` concatenation. */
function isBuiltText(node: Node | undefined): boolean {
  if (!node) return false;
  if (node.type === 'TemplateLiteral') return (node.expressions as Node[]).length > 0;
  return node.type === 'BinaryExpression' && node.operator === '+';
}

const MESSAGE = 'Regular expressions are written as literals, never built at run time (input could make one that stalls the event loop): match text with string methods, or a fixed /pattern/.';

const regexpLiteralOnly: Rule = {
  meta: { type: 'problem', docs: { description: 'Forbid building a RegExp from anything but fixed text in the source.' } },
  create(context) {
    const check = (node: Node) => {
      const args = node.arguments as Node[];
      if (isRegExpCallee(node.callee as Node)) {
        if (!isFixedText(args[0]) || (args[1] !== undefined && !isFixedText(args[1]))) context.report({ node, message: MESSAGE });
        return;
      }
      const callee = node.callee as Node;
      if (node.type === 'CallExpression' && callee.type === 'MemberExpression' && (callee.property as Node).type === 'Identifier') {
        if (PATTERN_METHODS.has((callee.property as Node).name as string) && isBuiltText(args[0])) context.report({ node, message: MESSAGE });
      }
    };
    return { NewExpression: check, CallExpression: check };
  },
};

/** Test code: test/, portal/e2e/ and `*.test.ts` beside the modules. */
function isTestFile(path: string): boolean {
  const file = path.replaceAll('\\', '/');
  return file.endsWith('.test.ts') || file.includes('/test/') || file.includes('/portal/e2e/');
}

/** The one place allowed to wait on the clock. */
const WAITING_HELPER = '/test/helpers/eventually.ts';

const SLEEP_MESSAGE =
  'Tests do not sleep: wait for a signal with eventually()/within() (test/helpers/eventually.ts) and an explicit timeout; to show that nothing happened, wait for a later positive signal first.';

function isSetTimeout(callee: Node): boolean {
  if (callee.type === 'Identifier') return callee.name === 'setTimeout';
  return callee.type === 'MemberExpression' && (callee.property as Node).type === 'Identifier' && (callee.property as Node).name === 'setTimeout';
}

/** Calls `visit` on every node below `node` (not following `parent`). */
function walk(node: Node, visit: (node: Node) => void): void {
  visit(node);
  for (const [key, value] of Object.entries(node)) {
    if (key === 'parent' || value === null || typeof value !== 'object') continue;
    for (const child of Array.isArray(value) ? value : [value]) {
      if (child && typeof (child as Node).type === 'string') walk(child as Node, visit);
    }
  }
}

/** `resolve` itself, or a function that calls it: what a timer hands a promise to settle it. */
function settles(callback: Node | undefined, resolve: string): boolean {
  if (!callback) return false;
  if (callback.type === 'Identifier') return callback.name === resolve;
  if (callback.type !== 'ArrowFunctionExpression' && callback.type !== 'FunctionExpression') return false;
  let found = false;
  walk(callback, (node) => {
    if (node.type === 'CallExpression' && (node.callee as Node).type === 'Identifier' && (node.callee as Node).name === resolve) found = true;
  });
  return found;
}

const noSleepInTests: Rule = {
  meta: { type: 'problem', docs: { description: 'Forbid fixed-time waits (a timer that resolves a promise, timers/promises, waitForTimeout) in test code.' } },
  create(context) {
    const visitors: Record<string, (node: Node) => void> = {};
    if (!isTestFile(context.filename) || context.filename.replaceAll('\\', '/').endsWith(WAITING_HELPER)) return visitors;
    return {
      // new Promise((resolve) => setTimeout(resolve, ms)) and its variants.
      NewExpression(node) {
        const callee = node.callee as Node;
        const executor = (node.arguments as Node[])[0];
        if (callee.type !== 'Identifier' || callee.name !== 'Promise' || !executor) return;
        if (executor.type !== 'ArrowFunctionExpression' && executor.type !== 'FunctionExpression') return;
        const resolve = (executor.params as Node[])[0];
        if (resolve?.type !== 'Identifier') return;
        walk(executor.body as Node, (inner) => {
          if (inner.type === 'CallExpression' && isSetTimeout(inner.callee as Node) && settles((inner.arguments as Node[])[0], resolve.name as string)) {
            context.report({ node: inner, message: SLEEP_MESSAGE });
          }
        });
      },
      // import { setTimeout } from 'node:timers/promises' (and scheduler.wait).
      ImportDeclaration(node) {
        const from = (node.source as Node).value;
        if (from === 'timers/promises' || from === 'node:timers/promises') context.report({ node, message: SLEEP_MESSAGE });
      },
      // Playwright's page.waitForTimeout(ms).
      CallExpression(node) {
        const callee = node.callee as Node;
        if (callee.type === 'MemberExpression' && (callee.property as Node).type === 'Identifier' && (callee.property as Node).name === 'waitForTimeout') {
          context.report({ node, message: SLEEP_MESSAGE });
        }
      },
    };
  },
};

export default {
  meta: { name: 'callhook' },
  rules: { 'regexp-literal-only': regexpLiteralOnly, 'no-sleep-in-tests': noSleepInTests },
};
