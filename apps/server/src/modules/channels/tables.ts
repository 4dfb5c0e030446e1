import { sql } from 'drizzle-orm';
import { boolean, customType, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { customers } from '../customers/tables.js';
import { branches, tenants } from '../tenants/tables.js';
import { users } from '../users/tables.js';

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v)),
});

/**
 * Web Data Port channels: one per source (a landing page, a Zapier zap), each with its secret
 * token and its mapping from incoming parameter names to card fields. The slug is the address
 * (`/in/<slug>`), unique across the server since the address names no tenant; new slugs end in a
 * random part (service: newSlug), so no database learns that another uses a slug.
 */
export const channels = pgTable(
  'channels',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    /** The token, encrypted (secrets module, bound to the channel id): admins see it, a dump does not. */
    tokenEncrypted: text('token_encrypted').notNull(),
    active: boolean('active').notNull().default(true),
    mapping: jsonb('mapping').$type<Record<string, string>>().notNull().default({}),
    branchId: uuid('branch_id').references(() => branches.id, { onDelete: 'set null' }),
    language: text('language'),
    /** 'json' | 'redirect' */
    replyMode: text('reply_mode').notNull().default('json'),
    redirectUrl: text('redirect_url'),
    allowedOrigins: text('allowed_origins').array().notNull().default(sql`'{}'`),
    notifyEmails: text('notify_emails').array().notNull().default(sql`'{}'`),
    ratePerMinute: integer('rate_per_minute').notNull().default(120),
    ratePerIpPerMinute: integer('rate_per_ip_per_minute').notNull().default(10),
    honeypotField: text('honeypot_field').default('_hp'),
    maxFileBytes: integer('max_file_bytes').notNull().default(5 * 1024 * 1024),
    createdByUserId: uuid('created_by_user_id').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('channels_slug_key').on(t.slug), uniqueIndex('channels_tenant_name_key').on(t.tenantId, t.name)],
);

/**
 * The channel's log: every submission as it came (parameters, file list, who sent it) and what
 * became of it. Replays are new rows pointing at the one they replay.
 */
export const channelSubmissions = pgTable(
  'channel_submissions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    channelId: uuid('channel_id').notNull().references(() => channels.id, { onDelete: 'cascade' }),
    receivedAt: timestamp('received_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    ip: text('ip'),
    origin: text('origin'),
    userAgent: text('user_agent'),
    contentType: text('content_type'),
    params: jsonb('params').$type<Record<string, string | string[]>>().notNull(),
    /** sha256 of the channel and the normalised parameters: the same submission within 5 minutes counts once. */
    fingerprint: text('fingerprint').notNull(),
    /** received | created | filled | renewed | repeat | spam | rejected */
    outcome: text('outcome').notNull().default('received'),
    customerId: uuid('customer_id').references(() => customers.id, { onDelete: 'set null' }),
    duplicate: boolean('duplicate').notNull().default(false),
    /** Field problems, untranslated ({ path, code, params }). */
    problems: jsonb('problems').$type<{ path: string; code: string; params?: Record<string, string | number> }[]>().notNull().default([]),
    replayOf: uuid('replay_of').references((): AnyPgColumn => channelSubmissions.id, { onDelete: 'set null' }),
  },
  (t) => [
    index('channel_submissions_log_idx').on(t.channelId, t.receivedAt, t.id),
    index('channel_submissions_fingerprint_idx').on(t.channelId, t.fingerprint, t.receivedAt),
    index('channel_submissions_customer_idx').on(t.customerId),
  ],
);

/** Files that came with a submission (multipart), kept on the customer's record once it is known. */
export const customerFiles = pgTable(
  'customer_files',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    customerId: uuid('customer_id').references(() => customers.id, { onDelete: 'cascade' }),
    submissionId: uuid('submission_id').references(() => channelSubmissions.id, { onDelete: 'set null' }),
    field: text('field').notNull(),
    fileName: text('file_name').notNull(),
    contentType: text('content_type').notNull(),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    data: bytea('data').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('customer_files_customer_idx').on(t.tenantId, t.customerId, t.createdAt), index('customer_files_submission_idx').on(t.submissionId)],
);
