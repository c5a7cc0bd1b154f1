// callhook's own lint rules, loaded by oxlint as a JS plugin (.oxlintrc.json "jsPlugins").
// regexp-literal-only: a pattern built at run time can come from input, and one crafted pattern
// (`(.*)*(.*)*x`) holds the event loop for seconds; every pattern must be written in the source.

interface Node {
  type: string;
  [key: string]: unknown;
}
interface Context {
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

export default {
  meta: { name: 'callhook' },
  rules: { 'regexp-literal-only': regexpLiteralOnly },
};
