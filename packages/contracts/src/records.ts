import { z } from 'zod';
import { patchOf } from './patch.js';
import { customFieldType, gender, idType, interactionType, language, legalStatus, role, uuid, MANUAL_INTERACTION_TYPES } from './ids.js';

// ---- interactions (the card's timeline) ----
export const interactionCreate = z.strictObject({
  type: z.enum(MANUAL_INTERACTION_TYPES),
  subject: z.string().trim().max(300).nullish(),
  body: z.string().max(20000).nullish(),
  occurredAt: z.iso.datetime({ offset: true }).optional(),
  contactId: uuid.nullish(),
});
export type InteractionCreate = z.infer<typeof interactionCreate>;

export const interaction = z.object({
  id: uuid,
  customerId: uuid,
  type: interactionType,
  subject: z.string().nullable(),
  body: z.string().nullable(),
  occurredAt: z.string(),
  createdBy: z.string(),
  contactId: uuid.nullable(),
});
export type Interaction = z.infer<typeof interaction>;
export const interactionPage = z.object({ items: z.array(interaction), nextCursor: z.string().nullable() });
export type InteractionPage = z.infer<typeof interactionPage>;

// ---- additional contacts ----
export const contactFields = z.strictObject({
  firstName: z.string().trim().max(200).nullish(),
  lastName: z.string().trim().max(200).nullish(),
  department: z.string().trim().max(120).nullish(),
  role: z.string().trim().max(120).nullish(),
  phone: z.string().trim().max(40).nullish(),
  email: z.string().trim().max(254).pipe(z.email()).nullish().or(z.literal('').transform(() => null)),
  idType: idType.nullish(),
  idNumber: z.string().trim().max(40).nullish(),
  legalStatus: legalStatus.nullish(),
  gender: gender.nullish(),
  birthDate: z.iso.date().nullish(),
  notes: z.string().max(5000).nullish(),
});
export type ContactFields = z.infer<typeof contactFields>;
export const contact = contactFields.extend({ id: uuid, customerId: uuid, fullName: z.string() });
export type Contact = z.infer<typeof contact>;

// ---- custom ("spare") field definitions ----
export const customFieldDefinitionCreate = z.strictObject({
  key: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _ , starting with a letter'),
  labelHe: z.string().trim().min(1).max(120),
  labelEn: z.string().trim().min(1).max(120),
  type: customFieldType,
  options: z.array(z.string().trim().min(1).max(120)).max(200).optional(),
  required: z.boolean().default(false),
  position: z.number().int().min(0).max(10000).default(0),
});
export const customFieldDefinitionPatch = patchOf(customFieldDefinitionCreate.omit({ key: true, type: true }));
export const customFieldDefinition = customFieldDefinitionCreate.extend({ id: uuid, options: z.array(z.string()) });
export type CustomFieldDefinition = z.infer<typeof customFieldDefinition>;

// ---- branches ----
export const branchCreate = z.strictObject({
  name: z.string().trim().min(1).max(120),
  country: z.string().trim().length(2).toUpperCase(),
  language,
  timezone: z.string().trim().min(1).max(64),
});
export const branchPatch = patchOf(branchCreate);
export const branch = branchCreate.extend({ id: uuid, isDefault: z.boolean() });
export type Branch = z.infer<typeof branch>;

// ---- users and groups ----
export const userCreate = z.strictObject({
  email: z.string().trim().toLowerCase().max(254).pipe(z.email()),
  name: z.string().trim().min(1).max(200),
  password: z.string().min(10).max(200),
  role: role.default('staff'),
  language: language.default('he'),
  groupIds: z.array(uuid).max(100).optional(),
});
/** Partial: no defaults (a default would change what the caller did not name, e.g. demote an admin). `active`: in this database (the membership); the account's global state is the owner's (PATCH /api/v1/accounts/:id). */
export const userPatch = patchOf(userCreate.omit({ email: true })).extend({ active: z.boolean().optional() });
export const user = z.object({
  id: uuid,
  email: z.string(),
  name: z.string(),
  role,
  language,
  active: z.boolean(),
  groupIds: z.array(uuid),
});
export type User = z.infer<typeof user>;
export const groupCreate = z.strictObject({ name: z.string().trim().min(1).max(120) });
export const group = groupCreate.extend({ id: uuid });

// ---- tenants ("databases") ----
export const tenant = z.object({
  id: uuid,
  name: z.string(),
  defaultRegion: z.string(),
  defaultLanguage: language,
  allowDuplicates: z.boolean(),
  /** A phone / email / ID number shared by more customers than this stops counting as a duplicate match. */
  sharedKeyLimit: z.number().int(),
});
export type Tenant = z.infer<typeof tenant>;
export const tenantPatch = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  defaultRegion: z.string().trim().length(2).toUpperCase().optional(),
  defaultLanguage: language.optional(),
  allowDuplicates: z.boolean().optional(),
  sharedKeyLimit: z.number().int().min(1).max(10_000).optional(),
});

// ---- auth ----
export const loginBody = z.strictObject({ email: z.string().trim().max(254), password: z.string().max(200) });
export const session = z.object({
  user,
  tenant,
  tenants: z.array(tenant.pick({ id: true, name: true })),
  /** The account is the server's owner (operator-level: every database). */
  owner: z.boolean().optional(),
});
export type Session = z.infer<typeof session>;

export const apiKeyCreate = z.strictObject({ name: z.string().trim().min(1).max(120) });
export const apiKey = z.object({ id: uuid, name: z.string(), prefix: z.string(), createdAt: z.string(), lastUsedAt: z.string().nullable() });
export const apiKeyCreated = apiKey.extend({ key: z.string() });

// ---- accounts, databases (owner) and membership invitations ----
const password = z.string().min(10).max(200);
/** A staff user changes their own password; their other sessions end. */
export const passwordChange = z.strictObject({ currentPassword: z.string().max(200), newPassword: password });
/** The owner changes an account's global state / credentials. */
export const accountPatch = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  password: password.optional(),
  language: language.optional(),
  active: z.boolean().optional(),
});
export const database = z.object({ id: uuid, name: z.string(), createdAt: z.string(), users: z.number().int(), customers: z.number().int() });
export type Database = z.infer<typeof database>;
export const databaseCreate = z.strictObject({
  name: z.string().trim().min(1).max(200),
  adminEmail: z.string().trim().toLowerCase().max(254).pipe(z.email()),
  adminName: z.string().trim().min(1).max(200).optional(),
  language: language.optional(),
});
/** `admin`: a new account (a set-password link was emailed) or an existing one (invited). */
export const databaseCreated = database.extend({ admin: z.enum(['created', 'invited']) });
export const invitationToken = z.strictObject({ token: z.string().trim().min(20).max(200) });
export const membershipInvitation = z.object({ tenantId: uuid, tenantName: z.string(), role, email: z.string() });
