import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { customers } from '../customers/tables.js';
import { branches, tenants } from '../tenants/tables.js';
import { users } from '../users/tables.js';

/**
 * SMTP mailboxes: one per branch, or the tenant's default (branchId null). The server-wide
 * default comes from SMTP_URL / MAIL_FROM. The password is stored only encrypted.
 */
export const mailboxes = pgTable(
  'mailboxes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    branchId: uuid('branch_id').references(() => branches.id, { onDelete: 'cascade' }),
    host: text('host').notNull(),
    port: integer('port').notNull(),
    /** 'tls' (implicit, 465), 'starttls' (required), 'none' (plain, for local relays). */
    tlsMode: text('tls_mode').notNull().default('starttls'),
    username: text('username'),
    passwordEncrypted: text('password_encrypted'),
    fromName: text('from_name').notNull(),
    fromAddress: text('from_address').notNull(),
    replyTo: text('reply_to'),
    /** At most this many messages a minute through this mailbox (null = no cap). */
    ratePerMinute: integer('rate_per_minute'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('mailboxes_branch_key').on(t.tenantId, t.branchId),
    uniqueIndex('mailboxes_tenant_default_key').on(t.tenantId).where(sql`${t.branchId} is null`),
  ],
);

/** The template library: subject + HTML with {#Field} merge fields, per (key, language). */
export const mailTemplates = pgTable(
  'mail_templates',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    language: text('language').notNull(),
    subject: text('subject').notNull(),
    html: text('html').notNull(),
    updatedByUserId: uuid('updated_by_user_id').references(() => users.id, { onDelete: 'set null' }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('mail_templates_key').on(t.tenantId, t.key, t.language)],
);

/**
 * A run: an invitation run, a bulk email, or a single notification. Its recipients are its
 * outbox rows; its counts are counted from them.
 */
export const mailRuns = pgTable(
  'mail_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    /** 'invitation' | 'bulk' | 'notification' | 'test' */
    kind: text('kind').notNull(),
    templateKey: text('template_key').notNull(),
    /** 'pending' → 'preparing' → 'sending' → 'done' | 'failed' */
    state: text('state').notNull().default('pending'),
    /** Where the list came from: { customerIds } | { filter } | { upload }. */
    source: jsonb('source').$type<Record<string, unknown>>().notNull(),
    total: integer('total').notNull().default(0),
    /** What the run report should say besides per-recipient lines (language fallbacks, …). */
    notes: jsonb('notes').$type<Record<string, unknown>>().notNull().default({}),
    error: text('error'),
    createdByUserId: uuid('created_by_user_id').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
    preparedAt: timestamp('prepared_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [index('mail_runs_tenant_idx').on(t.tenantId, t.createdAt), index('mail_runs_pending_idx').on(t.createdAt).where(sql`${t.state} = 'pending'`)],
);

/**
 * One row per recipient message. State is written before the SMTP call (sending) and after it
 * (sent | failed), so a crash re-sends at most what was in flight. Content is rendered at send
 * time from the card, so no password is ever stored here in clear.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    runId: uuid('run_id').notNull().references(() => mailRuns.id, { onDelete: 'cascade' }),
    customerId: uuid('customer_id').references(() => customers.id, { onDelete: 'set null' }),
    toAddress: text('to_address'),
    /** null = the server's default mailbox (SMTP_URL). */
    mailboxId: uuid('mailbox_id').references(() => mailboxes.id, { onDelete: 'set null' }),
    templateKey: text('template_key').notNull(),
    language: text('language').notNull(),
    /** 'queued' | 'sending' | 'sent' | 'failed' | 'skipped' */
    state: text('state').notNull().default('queued'),
    /** Why skipped: no_email, invalid_email, duplicate_address, no_mailbox, suppressed. */
    skipReason: text('skip_reason'),
    /** What the message carries for the portal: 'new_password' | 'existing_password' | 'set_password_link' | null. */
    credential: text('credential'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    idempotencyKey: text('idempotency_key').notNull(),
    messageId: text('message_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('outbox_idempotency_key').on(t.idempotencyKey),
    index('outbox_run_idx').on(t.runId, t.state),
    // "The same address twice" within a run, looked up per page of recipients.
    index('outbox_run_address_idx').on(t.runId, sql`lower(${t.toAddress})`).where(sql`${t.state} <> 'skipped' and ${t.toAddress} is not null`),
    index('outbox_due_idx').on(t.nextAttemptAt).where(sql`${t.state} = 'queued'`),
    index('outbox_sending_idx').on(t.runId).where(sql`${t.state} = 'sending'`),
  ],
);

/** Addresses that unsubscribed or hard-bounced: every later bulk run of the tenant skips them. */
export const mailSuppressions = pgTable(
  'mail_suppressions',
  {
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    reason: text('reason').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.email] })],
);
