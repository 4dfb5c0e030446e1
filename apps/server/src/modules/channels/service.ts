import { randomBytes, randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { CUSTOM_TARGET, DEFAULT_CHANNEL_FILE_BYTES, type Channel, type ChannelCreate, type ChannelPatch } from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import { AppError, invalid, type FieldErrorSpec } from '../../http/errors.js';
import { randomToken } from '../auth/passwords.js';
import { listDefinitions } from '../custom-fields/service.js';
import { decryptSecret, encryptSecret } from '../secrets/index.js';
import { branchExists } from '../tenants/service.js';
import { tenants } from '../tenants/tables.js';
import type { IntakeTenant } from './intake.js';
import { channels } from './tables.js';
import { uniqueViolation } from '../../db/errors.js';

/** Channels of the Web Data Port: what admins configure (the intake itself is in intake.ts). */
export type ChannelRow = typeof channels.$inferSelect;

const tokenAad = (id: string) => `channel:${id}`;
export const channelToken = (row: Pick<ChannelRow, 'id' | 'tokenEncrypted'>): string => decryptSecret(row.tokenEncrypted, tokenAad(row.id));

export const channelUrl = (publicUrl: string, slug: string) => `${publicUrl}/in/${slug}`;

function present(row: ChannelRow, publicUrl: string, lastSubmissionAt: Date | string | null = null): Channel {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    token: channelToken(row),
    active: row.active,
    mapping: row.mapping,
    branchId: row.branchId,
    language: row.language === 'he' || row.language === 'en' ? row.language : null,
    replyMode: row.replyMode === 'redirect' ? 'redirect' : 'json',
    redirectUrl: row.redirectUrl,
    allowedOrigins: row.allowedOrigins,
    notifyEmails: row.notifyEmails,
    ratePerMinute: row.ratePerMinute,
    ratePerIpPerMinute: row.ratePerIpPerMinute,
    honeypotField: row.honeypotField,
    maxFileBytes: row.maxFileBytes,
    url: channelUrl(publicUrl, row.slug),
    lastSubmissionAt: lastSubmissionAt ? new Date(lastSubmissionAt).toISOString() : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * A new address (`/in/<slug>`): the part the admin chose, or one made from a Latin name
 * ("Summer Campaign" → summer-campaign, else `lead`), then a random part. The address names no
 * database, so slugs are unique across the server; with the random part a new slug never collides
 * with another database's, and no answer can tell one database that another uses a slug (a chosen
 * slug that was refused with 409 did). Existing slugs are kept as they are.
 */
function newSlug(chosen: string | undefined, name: string): string {
  const latin = (chosen ?? name)
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 56);
  return `${latin.length >= 3 || (chosen && latin.length >= 1) ? latin : 'lead'}-${randomBytes(3).toString('hex')}`;
}

/** Runs a write that sets a new slug, with another random part if one ever collides. */
async function withFreshSlug<T>(chosen: string | undefined, name: string, write: (slug: string) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const slug = newSlug(chosen, name);
    try {
      return await write(slug);
    } catch (err) {
      if (attempt < 4 && uniqueViolation(err)?.includes('slug')) continue;
      throw err;
    }
  }
}

/** Checks what zod cannot: the branch, custom fields named by the mapping, the redirect address. */
async function check(db: Db, tenantId: string, merged: Pick<ChannelRow, 'mapping' | 'branchId' | 'replyMode' | 'redirectUrl'>): Promise<void> {
  const errors: FieldErrorSpec[] = [];
  if (merged.branchId && !(await branchExists(db, tenantId, merged.branchId))) errors.push({ path: 'branchId', code: 'not_found' });
  const customKeys = Object.entries(merged.mapping).filter(([, target]) => CUSTOM_TARGET.test(target));
  if (customKeys.length) {
    const known = new Set((await listDefinitions(db, tenantId)).map((d) => d.key));
    for (const [param, target] of customKeys) if (!known.has(target.slice(3))) errors.push({ path: `mapping.${param}`, code: 'unknown_field' });
  }
  if (merged.replyMode === 'redirect' && !merged.redirectUrl) errors.push({ path: 'redirectUrl', code: 'redirect_url_required' });
  if (errors.length) throw invalid(errors);
}

/** A name taken in this database: 409 naming it (names are per database; slugs cannot collide, see newSlug). */
function conflict(err: unknown, input: { name: string }): never {
  if (uniqueViolation(err)?.includes('name')) throw new AppError('conflict', 'conflict.channel_name', { name: input.name });
  throw err;
}

export async function createChannel(db: Db, tenantId: string, userId: string | null, input: ChannelCreate, publicUrl: string): Promise<Channel> {
  const values = {
    mapping: input.mapping,
    branchId: input.branchId ?? null,
    replyMode: input.replyMode ?? 'json',
    redirectUrl: input.redirectUrl ?? null,
  };
  await check(db, tenantId, values);
  const id = randomUUID();
  try {
    return await withFreshSlug(input.slug, input.name, async (slug) => {
      const [row] = await db
        .insert(channels)
        .values({
          id,
          tenantId,
          name: input.name,
          slug,
          tokenEncrypted: encryptSecret(randomToken(), tokenAad(id)),
          active: input.active ?? true,
          ...values,
          language: input.language ?? null,
          allowedOrigins: input.allowedOrigins ?? [],
          notifyEmails: input.notifyEmails ?? [],
          ratePerMinute: input.ratePerMinute ?? 120,
          ratePerIpPerMinute: input.ratePerIpPerMinute ?? 10,
          honeypotField: input.honeypotField === undefined ? '_hp' : input.honeypotField,
          maxFileBytes: input.maxFileBytes ?? DEFAULT_CHANNEL_FILE_BYTES,
          createdByUserId: userId,
        })
        .returning();
      return present(row!, publicUrl);
    });
  } catch (err) {
    conflict(err, { name: input.name });
  }
}

async function loadRow(db: Db, tenantId: string, id: string): Promise<ChannelRow> {
  const [row] = await db.select().from(channels).where(and(eq(channels.tenantId, tenantId), eq(channels.id, id)));
  if (!row) throw new AppError('not_found', 'not_found.channel');
  return row;
}

async function lastSubmission(db: Db, channelId: string): Promise<string | null> {
  const [r] = await rows<{ at: string | null }>(db, sql`select max(received_at) as at from channel_submissions where channel_id = ${channelId}`);
  return r?.at ?? null;
}

export async function getChannel(db: Db, tenantId: string, id: string, publicUrl: string): Promise<Channel> {
  const row = await loadRow(db, tenantId, id);
  return present(row, publicUrl, await lastSubmission(db, row.id));
}

export async function listChannels(db: Db, tenantId: string, publicUrl: string): Promise<Channel[]> {
  const list = await db.select().from(channels).where(eq(channels.tenantId, tenantId)).orderBy(asc(channels.name));
  if (list.length === 0) return [];
  const last = await rows<{ channel_id: string; at: string }>(
    db,
    sql`select c.id as channel_id, s.at
          from unnest(${sql.param(list.map((c) => c.id))}::uuid[]) as c(id)
          cross join lateral (select max(received_at) as at from channel_submissions where channel_id = c.id) s`,
  );
  const at = new Map(last.map((r) => [r.channel_id, r.at]));
  return list.map((row) => present(row, publicUrl, at.get(row.id) ?? null));
}

export async function updateChannel(db: Db, tenantId: string, id: string, patch: ChannelPatch, publicUrl: string): Promise<Channel> {
  const current = await loadRow(db, tenantId, id);
  const merged = {
    mapping: patch.mapping ?? current.mapping,
    branchId: patch.branchId === undefined ? current.branchId : patch.branchId,
    replyMode: patch.replyMode ?? current.replyMode,
    redirectUrl: patch.redirectUrl === undefined ? current.redirectUrl : patch.redirectUrl,
  };
  await check(db, tenantId, merged);
  const set: Partial<typeof channels.$inferInsert> = { ...merged, updatedAt: new Date() };
  for (const key of ['name', 'active', 'allowedOrigins', 'notifyEmails', 'ratePerMinute', 'ratePerIpPerMinute', 'maxFileBytes'] as const) {
    if (patch[key] !== undefined) (set as Record<string, unknown>)[key] = patch[key];
  }
  if (patch.language !== undefined) set.language = patch.language;
  if (patch.honeypotField !== undefined) set.honeypotField = patch.honeypotField;
  const write = async (slug: string | undefined) => {
    const [row] = await db
      .update(channels)
      .set({ ...set, ...(slug && { slug }) })
      .where(and(eq(channels.tenantId, tenantId), eq(channels.id, id)))
      .returning();
    return present(row!, publicUrl, await lastSubmission(db, id));
  };
  try {
    // The slug it has (a form sends it back) changes nothing; another one is a new address.
    return patch.slug === undefined || patch.slug === current.slug ? await write(undefined) : await withFreshSlug(patch.slug, current.name, write);
  } catch (err) {
    conflict(err, { name: patch.name ?? current.name });
  }
}

/** A new token: the old one stops working at once. */
export async function renewToken(db: Db, tenantId: string, id: string, publicUrl: string): Promise<Channel> {
  await loadRow(db, tenantId, id);
  const [row] = await db
    .update(channels)
    .set({ tokenEncrypted: encryptSecret(randomToken(), tokenAad(id)), updatedAt: new Date() })
    .where(and(eq(channels.tenantId, tenantId), eq(channels.id, id)))
    .returning();
  return present(row!, publicUrl, await lastSubmission(db, id));
}

/** Deletes the channel and its log; customers it created and files on their cards stay. */
export async function deleteChannel(db: Db, tenantId: string, id: string): Promise<void> {
  const done = await db.delete(channels).where(and(eq(channels.tenantId, tenantId), eq(channels.id, id))).returning({ id: channels.id });
  if (done.length === 0) throw new AppError('not_found', 'not_found.channel');
}

/** Channels by slug for the intake, each with what the intake needs of its tenant: one query for many. */
export async function channelsForIntake(db: Db, slugs: string[]): Promise<Map<string, { channel: ChannelRow; tenant: IntakeTenant }>> {
  const found = await db
    .select({ channel: channels, tenant: { defaultRegion: tenants.defaultRegion, defaultLanguage: tenants.defaultLanguage } })
    .from(channels)
    .innerJoin(tenants, eq(tenants.id, channels.tenantId))
    .where(inArray(channels.slug, [...new Set(slugs)]));
  return new Map(found.map((f) => [f.channel.slug, f]));
}

export async function channelOfTenant(db: Db, tenantId: string, id: string): Promise<ChannelRow> {
  return loadRow(db, tenantId, id);
}
