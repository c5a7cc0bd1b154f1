// The portal (portal/, built by Vite into portal/dist) served at /portal: files as they are, any
// other /portal/… path answers index.html so the app's own routes survive a reload; / leads there.
// Compressed as the client accepts (br, then gzip) from the files precompressed at build time
// (scripts/precompress.ts), with Vary: Accept-Encoding and an ETag per file.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import type { Api } from '../app.ts';

export const PORTAL_DIST = fileURLToPath(new URL('../../../portal/dist/', import.meta.url));

export async function portalRoutes(app: Api, root: string = PORTAL_DIST): Promise<void> {
  app.get('/', { schema: { hide: true } }, (_request, reply) => reply.redirect('/portal/'));
  if (!existsSync(`${root}/index.html`)) {
    // A checkout where nobody built it yet: say how, instead of a bare 404.
    const notBuilt = (_request: unknown, reply: FastifyReply) =>
      reply.code(503).type('text/plain; charset=utf-8').send('The portal is not built in this checkout. Run `npm start` (it builds it), or `npm run build`.\n');
    app.get('/portal', { schema: { hide: true } }, notBuilt);
    app.get('/portal/*', { schema: { hide: true } }, notBuilt);
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/portal/',
    wildcard: false,
    index: ['index.html'],
    preCompressed: true,
    // Hashed asset names never change content; index.html must always be fetched fresh.
    setHeaders: (reply, path) => {
      // Its CSP (never framed, nothing inline) is set with every answer's: http/security-headers.ts.
      void reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  // Files listed at start are routes of their own; this catches the rest: a file built since (the
  // portal rebuilt while callhook runs), a missing asset (404, not HTML in place of a script), or
  // one of the app's own paths (index.html).
  app.get('/portal/*', { schema: { hide: true } }, (request, reply) => {
    const path = (request.params as { '*': string })['*'];
    const file = normalize(path);
    if (!file.startsWith('..') && !isAbsolute(file) && file !== '.' && existsSync(join(root, file)) && statSync(join(root, file)).isFile()) {
      return reply.sendFile(file, root);
    }
    if (file.startsWith('assets/')) return reply.code(404).type('text/plain; charset=utf-8').send(`No such portal file: ${path}\n`);
    return reply.header('cache-control', 'no-cache').sendFile('index.html', root);
  });
}
