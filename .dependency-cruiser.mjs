// Dependency rules that `npm test` enforces (npm run lint:deps): no runtime import cycles, the
// layers of DESIGN.md, config as a leaf, and no test library in shipped code.
// Parsed with swc: dependency-cruiser reads TypeScript only through TS < 7's compiler API.
// swc counts `import { type X }` as type-only although verbatimModuleSyntax keeps it as a runtime
// import; oxlint's typescript/no-import-type-side-effects forbids that form, so the two agree.

/** Files that are tests or test support, wherever they live. */
const TEST_CODE = '(\\.test\\.ts$|^src/store/contract/|^test/|^portal/e2e/)';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-runtime-cycle',
      severity: 'error',
      comment: 'A module cycle that survives type erasure: load order decides which side sees undefined. Import types with `import type`, or move what both sides need into a third module.',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'core-not-to-edges',
      severity: 'error',
      comment: 'calls, events, formats and delivery are the pure core: they see the store only through src/store/store.ts (its interface), never a backend, and know nothing of HTTP.',
      from: { path: '^src/(calls|events|formats|delivery)/', pathNot: TEST_CODE },
      to: { path: '^src/(http/|store/(sqlite|postgres|contract)/|store/open\\.ts$)' },
    },
    {
      name: 'config-is-a-leaf',
      severity: 'error',
      comment: 'config is read once and passed down; everything may import it, it imports nothing else of src.',
      from: { path: '^src/config/', pathNot: TEST_CODE },
      to: { path: '^src/', pathNot: '^src/config/' },
    },
    {
      name: 'no-test-library-in-src',
      severity: 'error',
      comment: 'Shipped code must not need a devDependency (vitest, smtp-server, playwright-core, standardwebhooks, …): `npm ci --omit=dev` leaves those out (npm run check:production).',
      from: { path: '^(src|bin)/', pathNot: TEST_CODE },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-test-code-in-src',
      severity: 'error',
      comment: 'Shipped code must not import tests, test helpers or the store contract suite.',
      from: { path: '^src/', pathNot: TEST_CODE },
      to: { path: TEST_CODE },
    },
    {
      name: 'resolvable',
      severity: 'error',
      comment: 'An import that does not resolve would make the checks above blind to it.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    parser: 'swc',
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|portal/node_modules|data|test-artifacts)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json', '.d.ts'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
