import { z } from 'zod';
import { patchOf } from './patch.js';
import { fieldError } from './errors.js';
import { language, uuid } from './ids.js';

/**
 * Web Data Port (SPEC §2): channels that take leads from landing pages and tools such as Zapier
 * at `GET|POST /in/:slug`, each with its own mapping from incoming parameter names to card fields.
 */

/**
 * Card fields a parameter can be mapped to, besides custom fields (`cf.<key>`):
 * `fullName` is split into first name + last name (last word); `phones` / `emails` add further
 * numbers / addresses; `note` goes into the lead's interaction (not onto the card).
 */
export const CHANNEL_TARGETS = [
  'fullName', 'firstName', 'lastName', 'middleName', 'phone', 'phones', 'email', 'emails',
  'idType', 'idNumber', 'idCountry', 'address', 'city', 'zip', 'country',
  'mailingAddress', 'mailingCity', 'mailingZip', 'mailingCountry', 'language', 'brokerName', 'brokerAccount', 'note',
] as const;
export type ChannelTarget = (typeof CHANNEL_TARGETS)[number] | `cf.${string}`;
export const CUSTOM_TARGET = /^cf\.[A-Za-z0-9_-]{1,64}$/;

export const channelTarget = z.union([z.enum(CHANNEL_TARGETS), z.string().regex(CUSTOM_TARGET)]) as z.ZodType<ChannelTarget>;
/** Incoming parameter name → card field. */
export const channelMapping = z
  .record(z.string().trim().min(1).max(100), channelTarget)
  .refine((m) => Object.keys(m).length <= 200, { message: 'at most 200 parameters' });
export type ChannelMapping = z.infer<typeof channelMapping>;

export const REPLY_MODES = ['json', 'redirect'] as const;
export const replyMode = z.enum(REPLY_MODES);

/** Limits of a channel (the server also caps them). */
export const MAX_CHANNEL_FILE_BYTES = 10 * 1024 * 1024;
export const DEFAULT_CHANNEL_FILE_BYTES = 5 * 1024 * 1024;
/** Parameters (everything but files) of one submission: at most this many bytes. */
export const MAX_SUBMISSION_FIELDS_BYTES = 64 * 1024;

const httpUrl = z.string().trim().max(2000).pipe(z.url({ protocol: /^https?$/ }));
/** A web origin: scheme, host and optional port, no path (`https://landing.example.com`). */
const origin = z
  .string()
  .trim()
  .max(300)
  .regex(/^https?:\/\/[^/\s?#]+$/i, { message: 'an origin: https://host[:port], no path' })
  .transform((o) => o.toLowerCase());

/** Every editable setting of a channel; defaults are applied by the server on create. */
export const channelFields = z.strictObject({
  name: z.string().trim().min(1).max(100),
  /**
   * The start of the address after /in/ (lower-case letters, digits, dashes; made from the name when
   * left out): the server adds a random part (`summer` → `summer-3f9a1c`), so every database can
   * choose any slug. Sending back the channel's own slug changes nothing.
   */
  slug: z.string().trim().toLowerCase().regex(/^[a-z0-9][a-z0-9-]{1,62}$/).optional(),
  active: z.boolean().optional(),
  mapping: channelMapping,
  /** Branch of new leads that do not say (default: the database's default branch). */
  branchId: uuid.nullish(),
  /** Language of new leads that do not say, and of the notification email. */
  language: language.nullish(),
  replyMode: replyMode.optional(),
  /** Where a `redirect` channel sends the browser (303) after a submission. */
  redirectUrl: httpUrl.nullish(),
  /** Browser posts (CORS) only from these origins; empty = any origin (the token authenticates). */
  allowedOrigins: z.array(origin).max(50).optional(),
  /** Who is told by email of each lead (through the mail pipeline, template `New_Lead_Notification`). */
  notifyEmails: z.array(z.string().trim().max(254).pipe(z.email())).max(20).optional(),
  /** Submissions a minute the channel takes (all senders together). */
  ratePerMinute: z.number().int().min(1).max(1_000_000).optional(),
  /** Submissions a minute the channel takes from one IP address. */
  ratePerIpPerMinute: z.number().int().min(1).max(1_000_000).optional(),
  /** A field people do not see (hidden by CSS): a value in it marks the submission as spam. null = none. */
  honeypotField: z.string().trim().regex(/^[A-Za-z0-9_.-]{1,64}$/).nullish(),
  /** Uploaded files (multipart) larger than this are refused with 413; 0 = no files. */
  maxFileBytes: z.number().int().min(0).max(MAX_CHANNEL_FILE_BYTES).optional(),
});
export const channelCreate = channelFields;
export type ChannelCreate = z.infer<typeof channelCreate>;
export const channelPatch = patchOf(channelFields);
export type ChannelPatch = z.infer<typeof channelPatch>;

export const channel = z.object({
  id: uuid,
  name: z.string(),
  slug: z.string(),
  /** The secret: `X-Kesher-Token` header or a `token` parameter. */
  token: z.string(),
  active: z.boolean(),
  mapping: z.record(z.string(), z.string()),
  branchId: uuid.nullable(),
  language: language.nullable(),
  replyMode,
  redirectUrl: z.string().nullable(),
  allowedOrigins: z.array(z.string()),
  notifyEmails: z.array(z.string()),
  ratePerMinute: z.number().int(),
  ratePerIpPerMinute: z.number().int(),
  honeypotField: z.string().nullable(),
  maxFileBytes: z.number().int(),
  /** The full address to send submissions to. */
  url: z.string(),
  lastSubmissionAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Channel = z.infer<typeof channel>;
export const channelList = z.object({ items: z.array(channel) });
export type ChannelList = z.infer<typeof channelList>;

/** What `/in/:slug` answers in JSON (Zapier and landing-page tools read it). */
export const intakeReply = z.object({ id: uuid.nullable(), customerNumber: z.number().int().nullable(), duplicate: z.boolean() });
export type IntakeReply = z.infer<typeof intakeReply>;

/**
 * created: a new customer; filled: an existing customer (by phone / email) got its empty fields
 * filled; renewed: the same, and it was `Not interested` (now New); repeat: the same submission
 * within 5 minutes (counted once); spam: the honeypot was filled; rejected: nothing identified
 * the lead; received: not processed (yet); rate_limited: refused (429) over the channel's or the
 * address's per-minute budget after the token was checked — kept, so an admin can replay it.
 */
export const SUBMISSION_OUTCOMES = ['received', 'created', 'filled', 'renewed', 'repeat', 'spam', 'rejected', 'rate_limited'] as const;
export const submissionOutcome = z.enum(SUBMISSION_OUTCOMES);
export type SubmissionOutcome = z.infer<typeof submissionOutcome>;

export const submissionFile = z.object({ id: uuid, field: z.string(), fileName: z.string(), contentType: z.string(), size: z.number().int() });
export type SubmissionFile = z.infer<typeof submissionFile>;

export const submission = z.object({
  id: uuid,
  channelId: uuid,
  receivedAt: z.string(),
  ip: z.string().nullable(),
  origin: z.string().nullable(),
  userAgent: z.string().nullable(),
  contentType: z.string().nullable(),
  /** The parameters as received (the token left out). */
  params: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
  files: z.array(submissionFile),
  outcome: submissionOutcome,
  customerId: uuid.nullable(),
  customerNumber: z.number().int().nullable(),
  duplicate: z.boolean(),
  /** Values left out of the card (invalid phone, email …) or why the submission was rejected. */
  problems: z.array(fieldError),
  /** A replay: the submission it replays. */
  replayOf: uuid.nullable(),
});
export type Submission = z.infer<typeof submission>;
export const submissionPage = z.object({ items: z.array(submission), nextCursor: z.string().nullable() });
export type SubmissionPage = z.infer<typeof submissionPage>;

export const submissionListQuery = z.object({
  outcome: submissionOutcome.optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const replayResult = z.object({ submission, reply: intakeReply });
export type ReplayResult = z.infer<typeof replayResult>;
