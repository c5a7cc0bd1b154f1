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
// `serve` runs with young-generation semi-spaces of 16 MB: left to itself, Node 24 grows them to
// 64 MB each under load, ~130 MB of RSS that buys no throughput (npm run bench: RSS peak 280–290
// → 205 MB, deliveries/s the same). The flag only counts on the command line, so the process
// replaces itself (same pid) unless one was given, in the command line or in NODE_OPTIONS.
const SEMI_SPACE = '--max-semi-space-size';
if (
  process.argv[2] === 'serve' &&
  typeof process.execve === 'function' &&
  !process.execArgv.some((arg) => arg.startsWith(SEMI_SPACE)) &&
  !(process.env.NODE_OPTIONS ?? '').includes(SEMI_SPACE)
) {
  process.execve(process.execPath, [process.execPath, `${SEMI_SPACE}=16`, ...process.execArgv, ...process.argv.slice(1)], process.env);
}
// Compiled code and type-stripped sources are kept on disk (the OS temp folder, or
// NODE_COMPILE_CACHE): a start after the first does about a third less work, which on a loaded
// machine is seconds before the banner.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), process.env);
