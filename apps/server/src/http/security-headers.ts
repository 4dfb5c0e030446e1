import type { FastifyInstance } from 'fastify';
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';

/**
 * The Content-Security-Policy of every response (docs/adr: security headers): the back office
 * (Vite build), the unsubscribe pages (/u/), the API docs (/api/docs) and the API's JSON.
 * - scripts only from this server's own files: no inline script, no eval, no other host;
 * - styles from its files and inline: Mantine sets style attributes and injects <style>
 *   elements (its CSS variables), and the /u/ pages carry a small <style>;
 * - images from this server, data: (icons in CSS) and https: (the email preview shows a
 *   template's images as the recipient will see them);
 * - no framing by anyone (clickjacking), forms only to this server, no <base> elsewhere.
 * The portal pages send a stricter policy of their own (portal/page.ts: a per-response nonce,
 * default-src 'none'), which replaces this one on those responses.
 */
export const CSP_DIRECTIVES = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:', 'blob:', 'https:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

const options: FastifyHelmetOptions = {
  // Explicit directives only: helmet's defaults add upgrade-insecure-requests, which breaks the
  // plain-HTTP start of the README (http://localhost:3000 behind no TLS).
  contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
  // frame-ancestors 'none' for browsers that read only the old header.
  xFrameOptions: { action: 'deny' },
  // Sent on every response; browsers heed it only over HTTPS. Not includeSubDomains: the
  // operator's other hosts are not this server's to decide.
  strictTransportSecurity: { maxAge: 365 * 24 * 3600, includeSubDomains: false },
  referrerPolicy: { policy: 'no-referrer' },
};

/** Routes called by other sites' pages by design: their responses may be read cross-origin. */
const CROSS_ORIGIN_ROUTES = ['/in/'];

/**
 * Security headers on every response (@fastify/helmet): CSP, X-Frame-Options, nosniff,
 * Referrer-Policy, HSTS, Cross-Origin-Opener/Resource-Policy. Register before the routes.
 */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  // Before helmet's own onRoute hook, which reads `route.helmet`.
  app.addHook('onRoute', (route) => {
    // The Web Data Port answers landing pages on other sites (CORS, form posts, no-cors beacons).
    if (CROSS_ORIGIN_ROUTES.some((prefix) => route.url.startsWith(prefix))) {
      route.helmet = { ...options, crossOriginResourcePolicy: { policy: 'cross-origin' } };
    }
  });
  await app.register(helmet, options);
}
