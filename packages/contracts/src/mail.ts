import { z } from 'zod';
import { patchOf } from './patch.js';
import { language, uuid } from './ids.js';

// ---- mailboxes (SMTP settings per branch, or the database's default) ----

export const TLS_MODES = ['tls', 'starttls', 'none'] as const;
export const tlsMode = z.enum(TLS_MODES);
export type TlsMode = z.infer<typeof tlsMode>;

const emailAddress = z.string().trim().max(254).pipe(z.email());
/** Text that becomes (part of) a mail header: one line. Line breaks are refused by the server with a clear message. */
const headerText = (max: number) => z.string().max(max);

export const mailboxCreate = z.strictObject({
  /** null: the database's default mailbox (used by branches without their own). */
  branchId: uuid.nullable().default(null),
  host: z.string().trim().min(1).max(253),
  port: z.number().int().min(1).max(65535),
  tlsMode: tlsMode.default('starttls'),
  username: headerText(254).nullish(),
  /** Write-only: stored encrypted and never returned (`hasPassword` says whether there is one). */
  password: z.string().max(500).nullish(),
  fromName: headerText(200),
  fromAddress: emailAddress,
  replyTo: emailAddress.nullish().or(z.literal('').transform(() => null)),
  /** At most this many messages a minute through this mailbox; null = no cap. */
  ratePerMinute: z.number().int().min(1).max(1_000_000).nullish(),
});
export type MailboxCreate = z.infer<typeof mailboxCreate>;
/** PATCH: `password` undefined keeps it, null removes it, a string replaces it. */
export const mailboxPatch = patchOf(mailboxCreate.omit({ branchId: true }));
export type MailboxPatch = z.infer<typeof mailboxPatch>;

export const mailbox = z.object({
  id: uuid,
  branchId: uuid.nullable(),
  host: z.string(),
  port: z.number().int(),
  tlsMode,
  username: z.string().nullable(),
  hasPassword: z.boolean(),
  fromName: z.string(),
  fromAddress: z.string(),
  replyTo: z.string().nullable(),
  ratePerMinute: z.number().int().nullable(),
  updatedAt: z.string(),
});
export type Mailbox = z.infer<typeof mailbox>;

/** The server-wide default mailbox (SMTP_URL + MAIL_FROM), as far as staff may see it. */
export const serverMailbox = z.object({ host: z.string(), port: z.number().int(), fromName: z.string(), fromAddress: z.string() });
export const mailboxList = z.object({ items: z.array(mailbox), serverDefault: serverMailbox.nullable() });
export type MailboxList = z.infer<typeof mailboxList>;

export const mailSent = z.object({ to: z.string(), messageId: z.string() });
export type MailSent = z.infer<typeof mailSent>;

/** The body of a `mail_send_failed` error: the SMTP server's own answer. */
export const smtpAnswer = z.object({ responseCode: z.number().int().nullable(), response: z.string().nullable(), command: z.string().nullable() });
export type SmtpAnswer = z.infer<typeof smtpAnswer>;

// ---- templates ----

/** Template keys as the seed writes them, e.g. `Invite_to_Website_Email`. */
export const templateKey = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/);

export const templateSave = z.strictObject({
  subject: z.string().max(500),
  html: z.string().max(500_000),
});
export type TemplateSave = z.infer<typeof templateSave>;

export const mailTemplate = z.object({
  key: z.string(),
  language,
  subject: z.string(),
  html: z.string(),
  /** The product ships this template (key + language). */
  builtIn: z.boolean(),
  /** The database has its own version (saved); false = the built-in default is in use. */
  customized: z.boolean(),
  updatedAt: z.string().nullable(),
});
export type MailTemplate = z.infer<typeof mailTemplate>;
export const mailTemplateList = z.object({ items: z.array(mailTemplate) });

export const MERGE_FIELD_GROUPS = ['customer', 'portal', 'branch', 'message', 'custom'] as const;
export const mergeField = z.object({
  /** As written in a template, with the braces: `{#Client_Full_Name}`. */
  token: z.string(),
  name: z.string(),
  group: z.enum(MERGE_FIELD_GROUPS),
  he: z.string(),
  en: z.string(),
});
export type MergeField = z.infer<typeof mergeField>;
export const mergeFieldList = z.object({ items: z.array(mergeField) });

export const templatePreviewBody = z.strictObject({
  key: templateKey,
  language,
  subject: z.string().max(500),
  html: z.string().max(500_000),
  customerId: uuid,
});
export type TemplatePreviewBody = z.infer<typeof templatePreviewBody>;

export const templatePreview = z.object({ subject: z.string(), html: z.string(), text: z.string() });
export type TemplatePreview = z.infer<typeof templatePreview>;

/** Test send to yourself: rendered against `customerId` when given (password masked), else with sample values. */
export const templateTestBody = templatePreviewBody.extend({ customerId: uuid.optional() });
export type TemplateTestBody = z.infer<typeof templateTestBody>;

// ---- outbox (per-recipient messages) ----

export const OUTBOX_STATES = ['queued', 'sending', 'sent', 'failed', 'skipped'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];
export const SKIP_REASONS = ['no_email', 'invalid_email', 'duplicate_address', 'no_mailbox', 'suppressed', 'no_template', 'no_customer'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];
export const CREDENTIALS = ['new_password', 'existing_password', 'set_password_link'] as const;
export type Credential = (typeof CREDENTIALS)[number];

// ---- suppressions (unsubscribed / hard-bounced addresses) ----

export const mailSuppression = z.object({ email: z.string(), reason: z.enum(['unsubscribed', 'hard_bounce', 'manual']), createdAt: z.string() });
export type MailSuppression = z.infer<typeof mailSuppression>;
export const mailSuppressionList = z.object({ items: z.array(mailSuppression) });
