import { z } from 'zod';
import { customerListQuery } from './customers.js';
import { uuid } from './ids.js';
import { SKIP_REASONS, templateKey } from './mail.js';

// ---- invitation runs and bulk emails (SPEC §3): a list of customers, a preview, a background run ----

/** The customer list's filters (the same query as GET /api/v1/customers), without paging and sort. */
export const runFilter = customerListQuery.omit({ cursor: true, limit: true, sort: true });
export type RunFilter = z.infer<typeof runFilter>;

/** At most this many customer ids in one request (a larger list: use a filter). */
export const MAX_RUN_CUSTOMER_IDS = 200_000;

/**
 * Who gets the email: `customerIds` (picked, or matched from an .xlsx list) or `filter` (the
 * customer list's filters). Exactly one of the two.
 */
export const invitationBody = z.strictObject({
  customerIds: z.array(uuid).max(MAX_RUN_CUSTOMER_IDS).optional(),
  filter: runFilter.optional(),
});
export type InvitationBody = z.infer<typeof invitationBody>;

/** A bulk email (marketing, filed on the cards, no passwords): the same list and any template. */
export const bulkEmailBody = invitationBody.extend({ templateKey: templateKey.optional() });
export type BulkEmailBody = z.infer<typeof bulkEmailBody>;

export const runCreated = z.object({ id: uuid });

export const RUN_STATES = ['pending', 'preparing', 'sending', 'done', 'failed'] as const;
export const runState = z.enum(RUN_STATES);
export type RunState = z.infer<typeof runState>;

export const skippedBy = z.partialRecord(z.enum(SKIP_REASONS), z.number().int());
export const languageFallback = z.object({ wanted: z.string(), used: z.string().nullable(), count: z.number().int() });
export type LanguageFallback = z.infer<typeof languageFallback>;

/**
 * A run's progress. While the run is being prepared `total` is the size of the list as counted
 * when it was confirmed; afterwards it is the number of recipients (one outbox row each).
 * Progress = (sent + failed + skipped) / total.
 */
export const runStatus = z.object({
  id: uuid,
  kind: z.enum(['invitation', 'bulk']),
  state: runState,
  templateKey: z.string(),
  /** 'customers' (a picked or uploaded list) or 'filter'. */
  source: z.enum(['customers', 'filter']),
  total: z.number().int(),
  queued: z.number().int(),
  sending: z.number().int(),
  sent: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  skippedBy,
  /** Invitations: customers given a new generated password by this run. */
  newPasswords: z.number().int(),
  /** Invitations: customers whose generated password was still valid (re-sent as is). */
  existingPasswords: z.number().int(),
  /** Invitations: customers who chose their own password (they get a set-password link). */
  setPasswordLinks: z.number().int(),
  languageFallbacks: z.array(languageFallback),
  error: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type RunStatus = z.infer<typeof runStatus>;
export const runList = z.object({ items: z.array(runStatus) });
export type RunList = z.infer<typeof runList>;

/** What a run on this list would do, computed without writing anything. */
export const runPreview = z.object({
  /** Customers in the list (of this database). */
  total: z.number().int(),
  /** Messages that would go out. */
  willSend: z.number().int(),
  /** Invitations: cards that get a new generated password (none yet, or it expired). */
  newPasswords: z.number().int(),
  /** Invitations: cards whose generated password is still valid (re-sent as is). */
  existingPasswords: z.number().int(),
  /** Invitations: cards whose customer chose a password (a set-password link instead). */
  setPasswordLinks: z.number().int(),
  skipped: z.number().int(),
  skippedBy,
  languageFallbacks: z.array(languageFallback),
  /** Whether any mailbox can send (a branch's, the database default, or the server's SMTP_URL). */
  mailboxConfigured: z.boolean(),
});
export type RunPreview = z.infer<typeof runPreview>;

// ---- a list of customers from an uploaded .xlsx ----

export const MAIL_LIST_KEYS = ['customer_number', 'email', 'id_number'] as const;
export const MAIL_LIST_UNMATCHED = ['not_found', 'ambiguous', 'invalid_value', 'no_key'] as const;

export const mailListUpload = z.object({
  /** The customers the rows name, each once, in the order of the sheet. */
  customerIds: z.array(uuid),
  /** How many customers were matched (= customerIds.length). */
  matched: z.number().int(),
  /** Data rows read (the header row and empty rows not counted). */
  rows: z.number().int(),
  /** The columns used to match, by header as written in the sheet. */
  keyColumns: z.array(z.object({ key: z.enum(MAIL_LIST_KEYS), header: z.string(), column: z.number().int() })),
  /**
   * Rows that name no customer: `row` is the sheet's row number, `value` what the row said,
   * `reason` not_found | ambiguous (several cards) | invalid_value | no_key (no key cell filled).
   */
  unmatched: z.array(z.object({ row: z.number().int(), value: z.string(), reason: z.enum(MAIL_LIST_UNMATCHED), name: z.string().nullable() })),
  /** Rows that name a customer an earlier row already named (`firstRow`). */
  duplicates: z.array(z.object({ row: z.number().int(), value: z.string(), firstRow: z.number().int() })),
});
export type MailListUpload = z.infer<typeof mailListUpload>;

/** Largest .xlsx list accepted (bytes): 413 above it. */
export const MAX_MAIL_LIST_BYTES = 20 * 1024 * 1024;
