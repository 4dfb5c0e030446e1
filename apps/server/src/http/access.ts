import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './errors.js';

/**
 * Who may call a route. Every route declares one in `config.access`; a route that declares
 * nothing is refused at run time (fail closed) and fails the route-walk test.
 * - public: anyone (health, login, docs, the web app's files)
 * - staff: a logged-in staff user or an API key of the tenant
 * - admin: a staff user whose role in the current tenant is admin
 * - portal: a customer logged into the portal (cookie `kesher_portal`, /portal/api/* only)
 * - owner: a staff session of an owner account (the operator-level role: every database)
 */
export type Access = 'public' | 'staff' | 'admin' | 'portal' | 'owner';

/** A customer logged into the portal. */
export interface PortalContext {
  tenantId: string;
  customerId: string;
  /** Logged in with the generated password: only routes with `allowMustChangePassword` may be called. */
  mustChangePassword: boolean;
}

/** The caller, once authenticated: a staff user (session) or a machine client (API key). */
export interface StaffContext {
  tenantId: string;
  /** Default phone region of the tenant, for normalising phones. */
  region: string;
  userId: string | null;
  /** Written to "created by" stamps: the user's name or the API key's name. */
  actorName: string;
  role: 'admin' | 'staff';
  via: 'session' | 'api_key';
  /** The account is an owner (operator-level role); only sessions, never API keys. */
  owner?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /** A portal route a session that must change its password may still call. */
    allowMustChangePassword?: boolean;
    /**
     * A public route a browser must call from this site (login, logout, registration, set
     * password: they set or clear a session cookie or credentials): refused when the browser
     * says the request came from another site, as cookie-authenticated routes are (login CSRF: a
     * foreign page logging the victim into the attacker's account, or out of their own).
     */
    sameOriginOnly?: boolean;
  }
  interface FastifyRequest {
    staff: StaffContext | null;
    portal: PortalContext | null;
    lang: string;
  }
}

/** The staff context of a request whose route required one. */
export function staffOf(request: FastifyRequest): StaffContext {
  if (!request.staff) throw new AppError('unauthorized', 'unauthorized');
  return request.staff;
}

/** The portal customer of a request whose route required one. */
export function portalOf(request: FastifyRequest): PortalContext {
  if (!request.portal) throw new AppError('unauthorized', 'unauthorized');
  return request.portal;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cookie sessions are CSRF-safe by SameSite=Lax plus an origin check on every mutating request
 * (OWASP "verify origin with standard headers"): browsers send Origin / Sec-Fetch-Site, scripts
 * and API-key clients send neither and are not exposed to CSRF. A request with neither header
 * passes: every current browser sends Origin on a cross-origin POST (and Sec-Fetch-Site), so a
 * request without them is not a cross-site one from a browser, and carries no cookie an attacker
 * could ride. `Origin: null` (sandboxed frames, opaque redirects) is refused.
 */
function isCrossSite(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site && site !== 'same-origin' && site !== 'none') return true;
  const origin = request.headers.origin;
  if (!origin) return false;
  try {
    const from = new URL(origin);
    // request.host: the Host header, or X-Forwarded-Host when a trusted proxy sent it (proxy.ts).
    return from.host !== new URL(`${from.protocol}//${request.host}`).host;
  } catch {
    return true;
  }
}

export function registerAccessGuard(app: FastifyInstance): void {
  app.decorateRequest('staff', null);
  app.decorateRequest('portal', null);
  app.decorateRequest('lang', 'he');
  // preValidation: an anonymous caller is told to log in before being told what is wrong with its input.
  app.addHook('preValidation', async (request: FastifyRequest, _reply: FastifyReply) => {
    const { access, sameOriginOnly } = request.routeOptions.config;
    if (request.is404) return;
    if (access === 'public') {
      if (sameOriginOnly && !SAFE_METHODS.has(request.method) && isCrossSite(request)) throw new AppError('csrf', 'csrf');
      return;
    }
    if (access === 'portal') {
      const portal = request.portal;
      if (!portal) throw new AppError('unauthorized', 'unauthorized');
      if (!SAFE_METHODS.has(request.method) && isCrossSite(request)) throw new AppError('csrf', 'csrf');
      if (portal.mustChangePassword && !request.routeOptions.config.allowMustChangePassword) {
        throw new AppError('forbidden', 'portal.must_change_password', {}, { body: { mustChangePassword: true } });
      }
      return;
    }
    if (access !== 'staff' && access !== 'admin' && access !== 'owner') throw new AppError('forbidden', 'forbidden');
    const staff = request.staff;
    if (!staff) throw new AppError('unauthorized', 'unauthorized');
    if (staff.via === 'session' && !SAFE_METHODS.has(request.method) && isCrossSite(request)) {
      throw new AppError('csrf', 'csrf');
    }
    if (access === 'admin' && staff.role !== 'admin') throw new AppError('forbidden', 'forbidden');
    if (access === 'owner' && !(staff.via === 'session' && staff.owner)) throw new AppError('forbidden', 'forbidden');
  });
}
