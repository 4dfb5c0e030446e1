import { z } from 'zod';
import { patchOf } from './patch.js';
import { idType, language, statusId, websiteToken, uuid } from './ids.js';

const text = (max: number) => z.string().trim().max(max);
const optionalText = (max: number) => text(max).nullish();

/** Israeli ID (ת.ז.): up to 9 digits, padded to 9, with a Luhn-style check digit. */
export function isValidIsraeliId(raw: string): boolean {
  const digits = raw.replace(/\D/g, '');
  if (digits.length === 0 || digits.length > 9 || digits !== raw.replace(/[\s-]/g, '')) return false;
  const padded = digits.padStart(9, '0');
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    let d = Number(padded[i]) * ((i % 2) + 1);
    if (d > 9) d -= 9;
    sum += d;
  }
  return sum % 10 === 0 && Number(padded) !== 0;
}

/** Custom ("spare") field values, keyed by the field's key; validated against definitions on the server. */
export const customValues = z.record(z.string().max(64), z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]));

/** Every editable field of the customer card. */
export const customerFields = z.strictObject({
  lastName: optionalText(200),
  firstName: optionalText(200),
  middleName: optionalText(200),
  branchId: uuid.nullish(),
  idType: idType.nullish(),
  idCountry: z.string().trim().length(2).toUpperCase().nullish(),
  idNumber: optionalText(40),
  phone: optionalText(40),
  phones: z.array(text(40)).max(10).optional(),
  // Email format is checked with the other card rules on the server, so every field error comes back at once.
  email: optionalText(254),
  emails: z.array(text(254)).max(10).optional(),
  address: optionalText(300),
  city: optionalText(120),
  zip: optionalText(20),
  country: z.string().trim().length(2).toUpperCase().nullish(),
  mailingAddress: optionalText(300),
  mailingCity: optionalText(120),
  mailingZip: optionalText(20),
  mailingCountry: z.string().trim().length(2).toUpperCase().nullish(),
  latitude: z.number().min(-90).max(90).nullish(),
  longitude: z.number().min(-180).max(180).nullish(),
  language: language.nullish(),
  parentId: uuid.nullish(),
  brokerName: optionalText(200),
  brokerAccount: optionalText(60),
  custom: customValues.optional(),
});
export type CustomerFields = z.infer<typeof customerFields>;

/** Create: the card's fields, and the affiliate code of the broker who brought the customer (API). */
export const customerCreate = customerFields.extend({ affiliateCode: z.string().trim().max(60).optional() });
export type CustomerCreate = z.infer<typeof customerCreate>;

/** PATCH: any card field, and/or a status move. */
export const customerPatch = patchOf(customerFields).extend({ status: statusId.optional() });
export type CustomerPatch = z.infer<typeof customerPatch>;

export const customer = z.object({
  id: uuid,
  customerNumber: z.number().int(),
  status: statusId,
  fullName: z.string(),
  lastName: z.string().nullable(),
  firstName: z.string().nullable(),
  middleName: z.string().nullable(),
  branchId: uuid.nullable(),
  idType: idType.nullable(),
  idCountry: z.string().nullable(),
  idNumber: z.string().nullable(),
  phone: z.string().nullable(),
  phones: z.array(z.string()),
  email: z.string().nullable(),
  emails: z.array(z.string()),
  address: z.string().nullable(),
  city: z.string().nullable(),
  zip: z.string().nullable(),
  country: z.string().nullable(),
  mailingAddress: z.string().nullable(),
  mailingCity: z.string().nullable(),
  mailingZip: z.string().nullable(),
  mailingCountry: z.string().nullable(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  language: z.string().nullable(),
  parentId: uuid.nullable(),
  brokerName: z.string().nullable(),
  brokerAccount: z.string().nullable(),
  websiteLastToken: websiteToken.nullable(),
  custom: customValues,
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Customer = z.infer<typeof customer>;

/** A short line for lists, search results and duplicate matches. */
export const customerSummary = customer.pick({
  id: true,
  customerNumber: true,
  status: true,
  fullName: true,
  phone: true,
  email: true,
  idNumber: true,
  branchId: true,
  city: true,
  createdAt: true,
});
export type CustomerSummary = z.infer<typeof customerSummary>;

export const MATCH_KEYS = ['phone', 'email', 'id_number'] as const;
export const duplicateMatch = customerSummary.extend({ matchedOn: z.array(z.enum(MATCH_KEYS)) });
export type DuplicateMatch = z.infer<typeof duplicateMatch>;

export const SORT_KEYS = ['created_desc', 'created_asc', 'number_desc', 'number_asc', 'name_asc', 'name_desc'] as const;

/** Filters shared by the list, its count and (later) the Excel export. Custom fields as `cf.<key>=value`. */
export const customerListQuery = z
  .object({
    q: z.string().trim().max(200).optional(),
    status: z.union([statusId, z.array(statusId)]).optional(),
    branchId: uuid.optional(),
    createdFrom: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
    createdTo: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
    sort: z.enum(SORT_KEYS).default('created_desc'),
    cursor: z.string().max(500).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .catchall(z.string().max(200));
export type CustomerListQuery = z.infer<typeof customerListQuery>;

export const customerPage = z.object({ items: z.array(customerSummary), nextCursor: z.string().nullable() });
export type CustomerPage = z.infer<typeof customerPage>;

export const customerCount = z.object({ count: z.number().int(), exact: z.boolean() });
export type CustomerCount = z.infer<typeof customerCount>;

const emailFormat = z.email();
export const isEmail = (value: string): boolean => emailFormat.safeParse(value).success;

export const statusMove = z.object({ status: statusId, allowed: z.boolean(), reason: z.string().nullable() });
export const statusMoves = z.object({ current: statusId, moves: z.array(statusMove) });
export type StatusMoves = z.infer<typeof statusMoves>;

/** POST /api/v1/customers/copy: copy cards to another database the user belongs to (SPEC §2). */
export const customerCopy = z.strictObject({
  customerIds: z.array(uuid).min(1).max(5000),
  targetTenantId: uuid,
});
export const customerCopyResult = z.object({
  targetTenantId: uuid,
  /** In the order of the source customer numbers. */
  copied: z.array(z.object({ sourceId: uuid, id: uuid, customerNumber: z.number().int() })),
});
export type CustomerCopyResult = z.infer<typeof customerCopyResult>;
