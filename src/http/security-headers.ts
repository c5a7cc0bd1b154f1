// Hardening headers on every answer: no MIME sniffing, no referrer, never framed; a strict CSP per
// kind of page (the portal, the API docs, the API itself); HSTS when people reach us over https.
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The portal (Vite build): its own scripts, styles and API only; nothing inline (see portal/README.md). */
export const PORTAL_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The API's reference page (swagger-ui at /docs): no inline script either, but swagger-ui sets
 * style attributes as it renders, and "Try it out" calls the public address.
 */
export function docsCsp(publicUrl: string): string {
  const origin = new URL(publicUrl).origin;
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src 'self' ${origin}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** JSON and the rest: nothing in it is ever run or shown as a page. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

const HSTS = 'max-age=31536000';

/**
 * Sets the headers on an answer: as an onSend hook for everything routed (errors and 404s too),
 * and by hand where Fastify answers before routing (frameworkErrors), which runs no hooks.
 */
export function securityHeaders(options: { publicUrl: string }): (request: FastifyRequest, reply: FastifyReply) => void {
  const docs = docsCsp(options.publicUrl);
  const https = options.publicUrl.startsWith('https:');
  const cspFor = (path: string) =>
    path === '/' || path === '/portal' || path.startsWith('/portal/') ? PORTAL_CSP : path === '/docs' || path.startsWith('/docs/') ? docs : API_CSP;
  return (request, reply) => {
    void reply
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      .header('content-security-policy', cspFor(request.url.split('?')[0]!));
    // Only when the public address is https: on plain http it would pin a name to https that may not serve it.
    if (https) void reply.header('strict-transport-security', HSTS);
  };
}
