#!/usr/bin/env node
// The `callhook` command. callhook runs its TypeScript directly on Node 24 (type stripping);
// npm scripts and npx put the project's own Node 24 first on PATH.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `callhook needs Node.js 24 or newer; this is ${process.version}.\n` +
      'Run it through npm (npm start, npx callhook …), which uses the Node 24 installed with the project.\n',
  );
  process.exit(1);
}
// Compiled code and type-stripped sources are kept on disk (the OS temp folder, or
// NODE_COMPILE_CACHE): a start after the first does about a third less work, which on a loaded
// machine is seconds before the banner.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), process.env);
