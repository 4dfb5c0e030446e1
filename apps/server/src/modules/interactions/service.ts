import { and, desc, eq, sql } from 'drizzle-orm';
import type { Interaction, InteractionCreate, InteractionPage, InteractionType } from '@kesher/contracts';
import type { Db } from '../../db/client.js';
import { invalid, notFound } from '../../http/errors.js';
import { applyStatusEvent, type Actor } from '../customers/service.js';
import type { StatusEvent } from '../customers/status-rules.js';
import { customers } from '../customers/tables.js';
import { contacts } from '../contacts/tables.js';
import { interactions } from './tables.js';

type Row = typeof interactions.$inferSelect;

function present(row: Row): Interaction {
  return {
    id: row.id,
    customerId: row.customerId,
    type: row.type as InteractionType,
    subject: row.subject,
    body: row.body,
    occurredAt: row.occurredAt.toISOString(),
    createdBy: row.createdBy,
    contactId: row.contactId,
  };
}

const EVENTS: Partial<Record<InteractionType, StatusEvent>> = {
  call_unanswered: 'call_unanswered',
  meeting: 'meeting_or_quote',
  quote: 'meeting_or_quote',
};

/** Logs an interaction on a card; an unanswered call or a meeting / quote moves the status by the rules. */
export async function logInteraction(db: Db, actor: Actor, customerId: string, input: InteractionCreate | (Omit<InteractionCreate, 'type'> & { type: InteractionType })): Promise<Interaction> {
  return db.transaction(async (tx) => {
    const [customer] = await tx
      .select({ id: customers.id })
      .from(customers)
      .where(and(eq(customers.tenantId, actor.tenantId), eq(customers.id, customerId)));
    if (!customer) throw notFound('customer');
    if (input.contactId) {
      const [c] = await tx
        .select({ id: contacts.id })
        .from(contacts)
        .where(and(eq(contacts.tenantId, actor.tenantId), eq(contacts.customerId, customerId), eq(contacts.id, input.contactId)));
      if (!c) throw invalid([{ path: 'contactId', code: 'not_found' }]);
    }
    const [row] = await tx
      .insert(interactions)
      .values({
        tenantId: actor.tenantId,
        customerId,
        type: input.type,
        subject: input.subject ?? null,
        body: input.body ?? null,
        contactId: input.contactId ?? null,
        occurredAt: input.occurredAt ? new Date(input.occurredAt) : undefined,
        createdBy: actor.actorName,
        createdByUserId: actor.userId,
      })
      .returning();
    const event = EVENTS[input.type];
    if (event) await applyStatusEvent(tx, actor, customerId, event);
    return present(row!);
  });
}

/** The timeline, newest first, paged by (occurred_at, id). */
export async function listInteractions(db: Db, tenantId: string, customerId: string, cursor: string | undefined, limit = 50): Promise<InteractionPage> {
  const [customer] = await db.select({ id: customers.id }).from(customers).where(and(eq(customers.tenantId, tenantId), eq(customers.id, customerId)));
  if (!customer) throw notFound('customer');
  const where = [eq(interactions.tenantId, tenantId), eq(interactions.customerId, customerId)];
  if (cursor) {
    const [at, id] = decode(cursor);
    where.push(sql`(${interactions.occurredAt}, ${interactions.id}) < (${at}::timestamptz, ${id}::uuid)`);
  }
  const list = await db
    .select()
    .from(interactions)
    .where(and(...where))
    .orderBy(desc(interactions.occurredAt), desc(interactions.id))
    .limit(limit + 1);
  const page = list.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(present),
    nextCursor: list.length > limit && last ? Buffer.from(JSON.stringify([last.occurredAt.toISOString(), last.id])).toString('base64url') : null,
  };
}

function decode(cursor: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && typeof v[0] === 'string' && !Number.isNaN(Date.parse(v[0])) && typeof v[1] === 'string' && /^[0-9a-f-]{36}$/i.test(v[1])) {
      return [v[0], v[1]];
    }
  } catch {
    // fall through
  }
  throw invalid([{ path: 'cursor', code: 'invalid' }]);
}
