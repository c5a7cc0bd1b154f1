// Builds the portal (portal/ → portal/dist) when its sources are newer than the last build, so
// `npm start` and `npm test` serve a current portal without a separate step (and without rebuilding
// each time); then precompresses what is not yet (brotli and gzip beside each file, precompress.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { precompress } from './precompress.ts';

const portal = fileURLToPath(new URL('../portal/', import.meta.url));
const built = join(portal, 'dist', 'index.html');

function newestIn(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestIn(join(path, name))));
}

const sources = ['src', 'index.html', 'vite.config.ts', 'package.json', 'tsconfig.json', 'public'].map((name) => join(portal, name)).filter((path) => existsSync(path));
const stale = !existsSync(built) || Math.max(...sources.map(newestIn)) > statSync(built).mtimeMs || process.argv.includes('--force');
if (stale) {
  process.stderr.write('building the portal (portal/ → portal/dist)…\n');
  execFileSync('npm', ['run', '--silent', 'build', '-w', 'portal'], { stdio: ['ignore', 'ignore', 'inherit'], cwd: join(portal, '..') });
}
// Also a build made without this script (`npm run build -w portal`) is compressed the next time.
if (existsSync(built)) {
  const { written } = precompress(join(portal, 'dist'));
  if (written > 0) process.stderr.write(`precompressed ${written} portal files (br, gz)\n`);
}
