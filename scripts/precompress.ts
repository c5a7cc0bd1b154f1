// Precompresses the portal's built files once, at build time, so the server sends them as they are
// (@fastify/static `preCompressed`, http/routes/portal.ts) and never compresses per request: a `.br`
// (brotli, best) and a `.gz` (gzip, best) beside each text file worth it. Made again when its file
// is newer; ones whose file is gone are removed. Cheap when nothing changed (stat calls only).
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** Text formats; images and fonts are compressed already. */
const COMPRESSIBLE = /\.(?:html|js|mjs|css|svg|json|map|txt|xml|webmanifest|ico)$/;
/** Below this a compressed answer saves less than its headers cost. */
const MIN_BYTES = 1_024;

const ENCODINGS = [
  { suffix: '.br', compress: (data: Buffer) => brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }) },
  { suffix: '.gz', compress: (data: Buffer) => gzipSync(data, { level: constants.Z_BEST_COMPRESSION }) },
] as const;

const isCompressed = (name: string) => ENCODINGS.some((e) => name.endsWith(e.suffix));

function filesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesIn(path) : entry.isFile() ? [path] : [];
  });
}

/** Answers how many compressed files it wrote and removed. */
export function precompress(dir: string): { written: number; removed: number } {
  let written = 0;
  let removed = 0;
  const files = filesIn(dir);
  const present = new Set(files);
  for (const file of files) {
    if (isCompressed(file)) {
      const source = ENCODINGS.reduce((name, e) => (name.endsWith(e.suffix) ? name.slice(0, -e.suffix.length) : name), file);
      if (!present.has(source)) {
        rmSync(file);
        removed++;
      }
      continue;
    }
    if (!COMPRESSIBLE.test(file)) continue;
    const stat = statSync(file);
    for (const { suffix, compress } of ENCODINGS) {
      const target = file + suffix;
      if (present.has(target) && statSync(target).mtimeMs >= stat.mtimeMs) continue;
      const data = stat.size >= MIN_BYTES ? readFileSync(file) : null;
      const compressed = data && compress(data);
      // Only when it saves something worth the while; otherwise the file goes as it is.
      if (compressed && compressed.length < stat.size * 0.9) {
        writeFileSync(target, compressed);
        written++;
      } else if (present.has(target)) {
        rmSync(target);
        removed++;
      }
    }
  }
  return { written, removed };
}
