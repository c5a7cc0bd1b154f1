import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { precompress } from '../../../scripts/precompress.ts';
import type { Api } from '../app.ts';
import { PORTAL_CSP, securityHeaders } from '../security-headers.ts';
import { portalRoutes } from './portal.ts';

describe('portal routes', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  async function appServing(root: string) {
    const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } }) as unknown as Api;
    await portalRoutes(app, root);
    return app;
  }

  it('serves built files with long caching for hashed assets, index.html for the app’s own paths', async () => {
    const root = mkdtempSync(join(tmpdir(), 'portal-'));
    dirs.push(root);
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<div id="root"></div>');
    writeFileSync(join(root, 'assets', 'app-abc123.js'), 'console.log(1)');
    const app = await appServing(root);
    const asset = await app.inject({ url: '/portal/assets/app-abc123.js' });
    expect([asset.statusCode, asset.headers['cache-control']]).toEqual([200, 'public, max-age=31536000, immutable']);
    for (const url of ['/portal', '/portal/', '/portal/orgs/org_1/calls']) {
      const page = await app.inject({ url });
      expect([page.statusCode, page.body, page.headers['cache-control']], url).toEqual([200, '<div id="root"></div>', 'no-cache']);
    }
    expect((await app.inject({ url: '/' })).headers.location).toBe('/portal/');

    // Rebuilt while running: the new hashed file is served, a missing asset is a 404, not HTML.
    writeFileSync(join(root, 'assets', 'app-def456.js'), 'console.log(2)');
    const rebuilt = await app.inject({ url: '/portal/assets/app-def456.js' });
    expect([rebuilt.statusCode, rebuilt.body, rebuilt.headers['cache-control']]).toEqual([200, 'console.log(2)', 'public, max-age=31536000, immutable']);
    expect((await app.inject({ url: '/portal/assets/app-gone.js' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/portal/../package.json' })).body).not.toContain('"name"');
    await app.close();
  });

  it('sends built files compressed as the client accepts, with Vary, ETag, long caching for hashed assets and the CSP (real HTTP)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'portal-'));
    dirs.push(root);
    mkdirSync(join(root, 'assets'));
    const html = `<!doctype html><div id="root"></div>${'<!-- padding -->'.repeat(200)}`;
    const script = Array.from({ length: 400 }, (_, i) => `export const value${i} = "the same words over and over ${i}";`).join('\n');
    const png = Buffer.from(Array.from({ length: 4_096 }, (_, i) => (i * 7919) % 251)); // not text: sent as it is
    writeFileSync(join(root, 'index.html'), html);
    writeFileSync(join(root, 'assets', 'app-abc123.js'), script);
    writeFileSync(join(root, 'assets', 'logo-abc123.png'), png);
    writeFileSync(join(root, 'assets', 'tiny-abc123.css'), 'a{}'); // too small to be worth it
    expect(precompress(root)).toEqual({ written: 4, removed: 0 });
    expect(precompress(root)).toEqual({ written: 0, removed: 0 }); // once: nothing again while nothing changed
    expect(existsSync(join(root, 'assets', 'logo-abc123.png.br')) || existsSync(join(root, 'assets', 'tiny-abc123.css.gz'))).toBe(false);

    const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } }) as unknown as Api;
    const harden = securityHeaders({ publicUrl: 'https://hooks.example.com' });
    app.addHook('onSend', async (req, reply) => harden(req, reply));
    await portalRoutes(app, root);
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      // undici's request decodes nothing: what arrives is what was sent.
      const get = async (path: string, headers: Record<string, string> = {}) => {
        const answer = await request(base + path, { headers });
        return { status: answer.statusCode, headers: answer.headers, body: Buffer.from(await answer.body.arrayBuffer()) };
      };
      const asset = '/portal/assets/app-abc123.js';
      const br = await get(asset, { 'accept-encoding': 'gzip, deflate, br' });
      expect(br.headers).toMatchObject({ 'content-encoding': 'br', 'cache-control': 'public, max-age=31536000, immutable', 'content-type': expect.stringContaining('javascript') });
      expect(String(br.headers.vary)).toMatch(/accept-encoding/i);
      expect(br.headers['content-security-policy']).toBe(PORTAL_CSP);
      expect(br.headers['x-content-type-options']).toBe('nosniff');
      expect(brotliDecompressSync(br.body).toString()).toBe(script);
      expect(br.body.length).toBeLessThan(script.length / 5);

      const gz = await get(asset, { 'accept-encoding': 'gzip' });
      expect([gz.headers['content-encoding'], gunzipSync(gz.body).toString()]).toEqual(['gzip', script]);
      const plain = await get(asset);
      expect([plain.headers['content-encoding'], plain.body.toString(), String(plain.headers.vary)]).toEqual([undefined, script, expect.stringMatching(/accept-encoding/i)]);

      // Each variant has its own ETag; asking again with it answers 304 without a body.
      expect(br.headers.etag).toBeTruthy();
      expect(new Set([br.headers.etag, gz.headers.etag, plain.headers.etag]).size).toBe(3);
      const again = await get(asset, { 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) });
      expect([again.status, again.body.length]).toEqual([304, 0]);

      // index.html, also for the app's own paths: compressed, never cached without asking.
      for (const path of ['/portal/', '/portal/orgs/org_1/webhooks']) {
        const page = await get(path, { 'accept-encoding': 'br' });
        expect([page.status, page.headers['content-encoding'], page.headers['cache-control'], page.headers['content-security-policy']], path).toEqual([200, 'br', 'no-cache', PORTAL_CSP]);
        expect(brotliDecompressSync(page.body).toString()).toBe(html);
      }
      // Already compressed or too small: as they are.
      const image = await get('/portal/assets/logo-abc123.png', { 'accept-encoding': 'br, gzip' });
      expect([image.headers['content-encoding'], image.body.equals(png)]).toEqual([undefined, true]);
      expect((await get('/portal/assets/tiny-abc123.css', { 'accept-encoding': 'br' })).body.toString()).toBe('a{}');

      // A file rebuilt: compressed again; a file gone: its compressed copies go too.
      writeFileSync(join(root, 'index.html'), html.replace('root', 'app'));
      utimesSync(join(root, 'index.html'), new Date(), new Date(Date.now() + 5_000));
      rmSync(join(root, 'assets', 'app-abc123.js'));
      expect(precompress(root)).toEqual({ written: 2, removed: 2 });
      expect(brotliDecompressSync((await get('/portal/', { 'accept-encoding': 'br' })).body).toString()).toContain('id="app"');
    } finally {
      await app.close();
    }
  });

  it('says how to build it when the checkout has no build', async () => {
    const app = await appServing(join(tmpdir(), 'no-such-portal-build'));
    for (const url of ['/portal', '/portal/', '/portal/orgs']) {
      const page = await app.inject({ url });
      expect([page.statusCode, page.body], url).toEqual([503, expect.stringMatching(/npm start/)]);
    }
    await app.close();
  });
});
