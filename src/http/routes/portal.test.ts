import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { Api } from '../app.ts';
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

  it('says how to build it when the checkout has no build', async () => {
    const app = await appServing(join(tmpdir(), 'no-such-portal-build'));
    for (const url of ['/portal', '/portal/', '/portal/orgs']) {
      const page = await app.inject({ url });
      expect([page.statusCode, page.body], url).toEqual([503, expect.stringMatching(/npm start/)]);
    }
    await app.close();
  });
});
