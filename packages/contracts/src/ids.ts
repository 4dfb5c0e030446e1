import { z } from 'zod';

/** Customer statuses of SPEC §1, in the order a lead usually walks them. */
export const STATUS_IDS = [
  'new',
  'follow_up',
  'follow_up_meeting_quote',
  'real',
  'real_club_contract',
  'not_interested',
  'fictitious',
  'frozen',
] as const;
export const statusId = z.enum(STATUS_IDS);
export type StatusId = z.infer<typeof statusId>;

export const ID_TYPES = ['israeli_id', 'company', 'passport'] as const;
export const idType = z.enum(ID_TYPES);
export type IdType = z.infer<typeof idType>;

export const INTERACTION_TYPES = [
  'call_answered',
  'call_unanswered',
  'meeting',
  'quote',
  'summary',
  'note',
  'email',
  'sms',
  'alert',
  'system',
] as const;
export const interactionType = z.enum(INTERACTION_TYPES);
export type InteractionType = z.infer<typeof interactionType>;

/** Interaction types a person logs by hand; the rest are written by the system. */
export const MANUAL_INTERACTION_TYPES = [
  'call_answered',
  'call_unanswered',
  'meeting',
  'quote',
  'summary',
  'note',
  'sms',
] as const satisfies readonly InteractionType[];

export const WEBSITE_TOKENS = ['hot_lead', 'renewed'] as const;
export const websiteToken = z.enum(WEBSITE_TOKENS);
export type WebsiteToken = z.infer<typeof websiteToken>;

export const LANGUAGES = ['he', 'en'] as const;
export const language = z.enum(LANGUAGES);
export type Language = z.infer<typeof language>;

export const CUSTOM_FIELD_TYPES = ['text', 'number', 'date', 'choice', 'checkbox'] as const;
export const customFieldType = z.enum(CUSTOM_FIELD_TYPES);
export type CustomFieldType = z.infer<typeof customFieldType>;

export const ROLES = ['admin', 'staff'] as const;
export const role = z.enum(ROLES);
export type Role = z.infer<typeof role>;

export const GENDERS = ['male', 'female', 'other'] as const;
export const gender = z.enum(GENDERS);

export const LEGAL_STATUSES = ['director', 'shareholder', 'signatory', 'beneficial_owner', 'other'] as const;
export const legalStatus = z.enum(LEGAL_STATUSES);

export const uuid = z.uuid();
