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
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), process.env);
