// Hardening headers on every kind of answer the service gives: API JSON, problem+json errors, the
// router's own errors, the portal (a CSP with nothing inline, which its Vite build must allow),
// the API docs, and HSTS only when the public address is https.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PORTAL_DIST } from '../../src/http/routes/portal.ts';
import { testScope } from '../helpers/scope.ts';
import { OPERATOR_TOKEN, startTestService } from '../helpers/service.ts';

/** Directives of a CSP header by name. */
function csp(header: string | null): Record<string, string> {
  return Object.fromEntries((header ?? '').split(';').map((part) => part.trim()).filter(Boolean).map((part) => [part.split(/\s+/)[0]!, part.split(/\s+/).slice(1).join(' ')]));
}

describe('hardening headers', () => {
  const scope = testScope();

  it('every answer says nosniff, no referrer, never framed; the portal and the docs get a CSP without inline script', async () => {
    const t = await startTestService();
    scope.defer(() => t.cleanup());
    const index = readFileSync(new URL('index.html', `file://${PORTAL_DIST}`), 'utf8');
    const asset = /src="(\/portal\/assets\/[^"]+\.js)"/.exec(index)![1]!;
    const auth = { authorization: `Bearer ${OPERATOR_TOKEN}` };
    const answers: Array<[string, string, RequestInit, 'portal' | 'docs' | 'api']> = [
      ['API JSON', '/v1/orgs', { headers: auth }, 'api'],
      ['problem+json', '/v1/orgs/org_nope', { headers: auth }, 'api'],
      ['no such route', '/nowhere', {}, 'api'],
      ['broken URL (router)', '/v1/orgs/%E0%A4%A', { headers: auth }, 'api'],
      ['too long a path parameter (router)', `/v1/orgs/${'x'.repeat(150)}`, { headers: auth }, 'api'],
      ['OpenAPI', '/openapi.json', {}, 'api'],
      ['health', '/healthz', {}, 'api'],
      ['portal page', '/portal/', {}, 'portal'],
      ["portal's own path", '/portal/orgs/org_1/calls', {}, 'portal'],
      ['portal script', asset, {}, 'portal'],
      ['redirect to the portal', '/', { redirect: 'manual' }, 'portal'],
      ['docs page', '/docs/', {}, 'docs'],
      ['docs script', '/docs/static/swagger-initializer.js', {}, 'docs'],
    ];
    for (const [what, path, init, kind] of answers) {
      const response = await fetch(t.url + path, init);
      await response.arrayBuffer();
      const h = response.headers;
      expect([h.get('x-content-type-options'), h.get('referrer-policy'), h.get('x-frame-options')], what).toEqual(['nosniff', 'no-referrer', 'DENY']);
      expect(h.get('strict-transport-security'), `${what}: no HSTS on a plain-http public address`).toBeNull();
      const policy = csp(h.get('content-security-policy'));
      expect(policy['frame-ancestors'], what).toBe("'none'");
      if (kind === 'api') expect(policy['default-src'], what).toBe("'none'");
      if (kind === 'portal') expect(policy, what).toMatchObject({ 'default-src': "'self'", 'script-src': "'self'", 'style-src': "'self'", 'object-src': "'none'", 'base-uri': "'none'" });
      if (kind === 'docs') expect(policy, what).toMatchObject({ 'default-src': "'self'", 'script-src': "'self'", 'object-src': "'none'" });
    }
  });

  it('HTTP that never reaches the router (headers over the limit) is answered as problem+json with nosniff too', async () => {
    const t = await startTestService();
    scope.defer(() => t.cleanup());
    const response = await fetch(`${t.url}/v1/orgs?after=${'x'.repeat(20_000)}`);
    expect([response.status, response.headers.get('content-type'), response.headers.get('x-content-type-options')]).toEqual([431, 'application/problem+json; charset=utf-8', 'nosniff']);
    expect(await response.json()).toMatchObject({ status: 431, type: 'https://callhook.dev/problems/malformed-request', detail: expect.stringMatching(/16 KiB/) });
  });

  it("the portal's build has no inline script or handler for its CSP to block", () => {
    const index = readFileSync(new URL('index.html', `file://${PORTAL_DIST}`), 'utf8');
    const scripts = index.match(/<script\b[^>]*>[\s\S]*?<\/script>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(script, 'an inline script').toMatch(/^<script\b[^>]*\bsrc="[^"]+"[^>]*>\s*<\/script>$/);
    expect(index).not.toMatch(/\son[a-z]+=/i); // onload=… and the like
    expect(index).not.toMatch(/\sstyle=/i);
  });

  it('sends HSTS when people reach the instance over https', async () => {
    const t = await startTestService({ env: { CALLHOOK_PUBLIC_URL: 'https://callhook.example.com' } });
    scope.defer(() => t.cleanup());
    for (const path of ['/v1/orgs', '/portal/', '/docs/', '/nowhere']) {
      const response = await fetch(t.url + path, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
      await response.arrayBuffer();
      expect(response.headers.get('strict-transport-security'), path).toBe('max-age=31536000');
    }
    const docs = await fetch(`${t.url}/docs/`);
    await docs.arrayBuffer();
    // "Try it out" calls the public address.
    expect(csp(docs.headers.get('content-security-policy'))['connect-src']).toBe("'self' https://callhook.example.com");
  });
});
