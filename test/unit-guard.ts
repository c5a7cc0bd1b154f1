// Set up before every file of `npm run test:unit`: the unit tests touch no network, no database,
// no child process and write no file, so they run in seconds anywhere. Each of those doors throws
// here, naming the way out: a test that needs one is an integration test (vitest.unit.config.ts
// lists the ones that live beside their modules). Reading the repository's fixtures is allowed.
import childProcess from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import fsPromises from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import sqlite from 'node:sqlite';

function refuse(what: string): never {
  throw new Error(`${what} in a unit test: unit tests do no I/O. Make it an integration test (test/integration/), or list the file in vitest.unit.config.ts's exclude.`);
}

function close(target: object, names: string[], what: string): void {
  for (const name of names) {
    Object.defineProperty(target, name, { value: () => refuse(`${what}.${name}`), configurable: true, writable: true });
  }
}

close(net.Socket.prototype, ['connect'], 'a network connection: net.Socket');
close(net.Server.prototype, ['listen'], 'a listening server: net.Server');
close(dgram.Socket.prototype, ['bind', 'send'], 'a UDP socket: dgram.Socket');
close(childProcess, ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'], 'a child process: child_process');
close(fs, ['writeFileSync', 'appendFileSync', 'mkdirSync', 'mkdtempSync', 'rmSync', 'renameSync', 'writeFile', 'appendFile', 'mkdir', 'mkdtemp', 'rm'], 'a file written: fs');
close(fsPromises, ['writeFile', 'appendFile', 'mkdir', 'mkdtemp', 'rm', 'rename'], 'a file written: fs/promises');
close(sqlite, ['DatabaseSync'], 'a database: node:sqlite');
syncBuiltinESMExports();
