import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PORTAL_PASSWORD_MIN } from '@kesher/contracts';
import { pageLanguage, pageStrings, type PageLanguage, type PageStringKey } from './strings.js';

/**
 * The minimal portal pages until the portal app exists: server-rendered HTML (no build step),
 * Hebrew and right-to-left by default, English with `?lang=en`. The script and the style are
 * separate files; the Content-Security-Policy allows the script only by a per-response nonce.
 */

const asset = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
const SCRIPT = asset('portal.js');
const STYLE = asset('portal.css');

type Page = 'login' | 'set-password';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON inside a <script type="application/json"> block: nothing in it can close the block. */
const scriptJson = (value: unknown): string =>
  JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function passwordFields(t: Record<PageStringKey, string>): string {
  const input = (name: string, label: string) =>
    `<label>${escapeHtml(label)}<input name="${name}" type="password" autocomplete="new-password" minlength="${PORTAL_PASSWORD_MIN}" maxlength="200" required dir="ltr"></label>`;
  return input('newPassword', t.newPassword) + input('confirm', t.confirmPassword);
}

function body(page: Page, t: Record<PageStringKey, string>, loginHref: string): string {
  if (page === 'set-password') {
    return `
  <form id="token-form" data-view hidden>
    <h2>${escapeHtml(t.setPasswordTitle)}</h2>
    <p>${escapeHtml(t.setPasswordIntro)}</p>
    ${passwordFields(t)}
    <button type="submit">${escapeHtml(t.savePassword)}</button>
  </form>
  <section id="token-done" data-view hidden>
    <p class="message ok">${escapeHtml(t.passwordSaved)}</p>
    <a href="${escapeHtml(loginHref)}">${escapeHtml(t.goToLogin)}</a>
  </section>`;
  }
  return `
  <form id="login-form" data-view hidden>
    <h2>${escapeHtml(t.loginTitle)}</h2>
    <label>${escapeHtml(t.username)}<input name="username" autocomplete="username" required maxlength="254" dir="ltr"></label>
    <label>${escapeHtml(t.password)}<input name="password" type="password" autocomplete="current-password" required maxlength="200" dir="ltr"></label>
    <button type="submit">${escapeHtml(t.login)}</button>
  </form>
  <form id="change-form" data-view hidden>
    <h2>${escapeHtml(t.mustChangeTitle)}</h2>
    <p>${escapeHtml(t.mustChangeIntro)}</p>
    ${passwordFields(t)}
    <button type="submit">${escapeHtml(t.savePassword)}</button>
  </form>
  <section id="logged-in" data-view hidden>
    <p>${escapeHtml(t.loggedInAs)} <bdi id="who-name"></bdi> · ${escapeHtml(t.customerNumber)} <bdi id="who-number"></bdi></p>
    <button id="logout" type="button">${escapeHtml(t.logout)}</button>
  </section>`;
}

/** Query parameters the page keeps (the language switch, the link back to login). */
function href(path: string, params: Record<string, string | undefined>): string {
  const q = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => !!e[1]));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export function renderPage(page: Page, query: Record<string, unknown>, nonce: string): string {
  const lang: PageLanguage = pageLanguage(query.lang);
  const t = pageStrings[lang];
  const tenant = typeof query.tenant === 'string' && UUID.test(query.tenant) ? query.tenant : undefined;
  const token = typeof query.token === 'string' && /^[\w-]{20,200}$/.test(query.token) ? query.token : undefined;
  const path = page === 'login' ? '/portal' : '/portal/set-password';
  const other: PageLanguage = lang === 'he' ? 'en' : 'he';
  const switchHref = href(path, { lang: other === 'en' ? 'en' : undefined, tenant, token: page === 'set-password' ? token : undefined });
  const loginHref = href('/portal', { lang: lang === 'en' ? 'en' : undefined, tenant });
  const config = {
    page,
    lang,
    tenant: tenant ?? null,
    minLength: PORTAL_PASSWORD_MIN,
    strings: { mismatch: t.mismatch, tooShort: t.tooShort, network: t.network, noToken: t.noToken },
  };
  return `<!doctype html>
<html lang="${lang}" dir="${lang === 'he' ? 'rtl' : 'ltr'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(t.title)}</title>
<link rel="stylesheet" href="/portal/assets/portal.css">
<script type="application/json" id="portal-config">${scriptJson(config)}</script>
<script src="/portal/assets/portal.js" nonce="${nonce}" defer></script>
</head>
<body>
<main>
  <header><h1>${escapeHtml(t.title)}</h1><a href="${escapeHtml(switchHref)}" lang="${other}" hreflang="${other}">${escapeHtml(t.switchLanguage)}</a></header>
  <noscript><p class="message error">${escapeHtml(t.noscript)}</p></noscript>
  <p id="message" class="message" role="alert" hidden></p>${body(page, t, loginHref)}
</main>
</body>
</html>
`;
}

/** GET /portal, /portal/set-password and their two asset files; all public. */
export async function pageRoutes(app: FastifyInstance): Promise<void> {
  const config = { access: 'public' as const };
  const schema = { hide: true };
  const serve = (page: Page) => async (request: { query: unknown }, reply: FastifyReply) => {
    const nonce = randomBytes(16).toString('base64');
    // Replaces the server-wide policy (http/security-headers.ts, which sends the other headers).
    return reply
      .header('content-security-policy', contentSecurityPolicy(nonce))
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(renderPage(page, (request.query ?? {}) as Record<string, unknown>, nonce));
  };
  app.get('/portal', { config, schema }, serve('login'));
  app.get('/portal/set-password', { config, schema }, serve('set-password'));
  app.get('/portal/assets/portal.js', { config, schema }, async (_request, reply) =>
    reply.header('cache-control', 'no-cache').type('text/javascript; charset=utf-8').send(SCRIPT),
  );
  app.get('/portal/assets/portal.css', { config, schema }, async (_request, reply) =>
    reply.header('cache-control', 'no-cache').type('text/css; charset=utf-8').send(STYLE),
  );
}
