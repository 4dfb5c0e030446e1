import { z } from 'zod';
import { uuid } from './ids.js';

// ---- customer portal (its own realm: /portal/api/*, cookie `kesher_portal`) ----

/** Shortest password a customer may choose. */
export const PORTAL_PASSWORD_MIN = 10;
/** Longest accepted password: bounds the argon2 work one request can cause. */
export const PORTAL_PASSWORD_MAX = 200;

const newPassword = z.string().min(PORTAL_PASSWORD_MIN).max(PORTAL_PASSWORD_MAX);

/** `username` is the customer number or an email address of the card. */
export const portalLoginBody = z.strictObject({
  username: z.string().trim().min(1).max(254),
  password: z.string().min(1).max(PORTAL_PASSWORD_MAX),
  /** The tenant (database) to log into; may be left out when the server has only one. */
  tenant: uuid.optional(),
});
export type PortalLoginBody = z.infer<typeof portalLoginBody>;

export const portalLoginReply = z.object({ mustChangePassword: z.boolean() });
export type PortalLoginReply = z.infer<typeof portalLoginReply>;

/** Setting a new password from a session; `currentPassword` is needed unless the session must change it. */
export const portalPasswordBody = z.strictObject({ newPassword, currentPassword: z.string().min(1).max(PORTAL_PASSWORD_MAX).optional() });
export type PortalPasswordBody = z.infer<typeof portalPasswordBody>;

/** Setting a password from a set-password link. */
export const portalTokenPasswordBody = z.strictObject({ token: z.string().min(20).max(200), newPassword });
export type PortalTokenPasswordBody = z.infer<typeof portalTokenPasswordBody>;

/** The logged-in customer's own card, as the portal shows it. Never any password material. */
export const portalMe = z.object({
  customerNumber: z.number().int(),
  fullName: z.string(),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
});
export type PortalMe = z.infer<typeof portalMe>;

/** What staff may know about a customer's portal access: whether, never what. */
export const portalAccess = z.object({
  hasGeneratedPassword: z.boolean(),
  generatedExpiresAt: z.string().nullable(),
  hasOwnPassword: z.boolean(),
});
export type PortalAccess = z.infer<typeof portalAccess>;

/**
 * POST /portal/api/register: a visitor asks for the customer area. The reply is the same whether
 * the address was known or not (202 `{ ok: true }`): either way an email with a set-password link
 * goes to the card's address.
 */
export const portalRegisterBody = z.strictObject({
  email: z.string().trim().min(3).max(254),
  firstName: z.string().trim().max(200).optional(),
  lastName: z.string().trim().max(200).optional(),
  phone: z.string().trim().max(40).optional(),
  /** he | en: the new card's language (and the email's). */
  language: z.enum(['he', 'en']).optional(),
  /** The affiliate (broker) code the visitor came with. */
  aff: z.string().trim().max(60).optional(),
  tenant: uuid.optional(),
});
export type PortalRegisterBody = z.infer<typeof portalRegisterBody>;
