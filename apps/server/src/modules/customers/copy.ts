import { sql } from 'drizzle-orm';
import type { CustomerCopyResult } from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import type { StaffContext } from '../../http/access.js';
import { AppError } from '../../http/errors.js';
import { translate } from '../../http/messages.js';
import { reserveCustomerNumbers } from '../tenants/service.js';

/**
 * "Copy to another database" (SPEC §2): a user who belongs to two tenants copies chosen cards
 * to the other. Every field is copied as is except the customer number (the next numbers there),
 * with no duplicate check. What cannot cross: the branch (the one of the same name there, else
 * its default branch), the parent (a card of the other database: left empty), spare-field values
 * whose key the other database does not define. Both cards get a system interaction naming the
 * other. Set-based: three statements for any number of cards, in one transaction.
 */
const COPIED = [
  'status', 'last_name', 'first_name', 'middle_name', 'id_type', 'id_country', 'id_number', 'phone', 'phones', 'email', 'emails',
  'address', 'city', 'zip', 'country', 'mailing_address', 'mailing_city', 'mailing_zip', 'mailing_country', 'latitude', 'longitude',
  'language', 'broker_name', 'broker_account', 'website_last_token', 'phones_norm', 'emails_norm', 'id_number_norm',
].join(', ');

type TenantInfo = { id: string; name: string; lang: string };

export async function copyCustomers(db: Db, staff: StaffContext, input: { customerIds: string[]; targetTenantId: string }): Promise<CustomerCopyResult> {
  const ids = [...new Set(input.customerIds.map((id) => id.toLowerCase()))];
  if (input.targetTenantId === staff.tenantId) throw new AppError('validation', 'copy.same_database');
  // An API key belongs to one database; a person must be a member of the other one too.
  const [member] = staff.via === 'session'
    ? await rows<{ ok: boolean }>(db, sql`select true as ok from memberships where user_id = ${staff.userId} and tenant_id = ${input.targetTenantId}`)
    : [];
  if (!member) throw new AppError('forbidden', 'copy.not_member');

  return db.transaction(async (tx) => {
    const tenants = await rows<TenantInfo>(tx, sql`select id, name, default_language as lang from tenants where id in (${staff.tenantId}, ${input.targetTenantId})`);
    const source = tenants.find((x) => x.id === staff.tenantId)!;
    const target = tenants.find((x) => x.id === input.targetTenantId)!;
    const [found] = await rows<{ n: number }>(tx, sql`select count(*)::int as n from customers where tenant_id = ${staff.tenantId} and id = any(${sql.param(ids)}::uuid[])`);
    if ((found?.n ?? 0) !== ids.length) throw new AppError('not_found', 'copy.not_found', { missing: ids.length - (found?.n ?? 0) });

    const first = await reserveCustomerNumbers(tx, target.id, ids.length);
    const cols = sql.raw(COPIED);
    const srcCols = sql.raw(COPIED.split(', ').map((c) => `s.${c}`).join(', '));
    const pairs = await rows<{ source_id: string; source_number: string; id: string; customer_number: string }>(
      tx,
      sql`with src as (
            select s.*, row_number() over (order by s.customer_number) - 1 as k
              from customers s where s.tenant_id = ${source.id} and s.id = any(${sql.param(ids)}::uuid[])
          ), dflt as (
            select b.id from branches b where b.tenant_id = ${target.id} order by b.is_default desc, b.created_at limit 1
          ), ins as (
            insert into customers (tenant_id, customer_number, branch_id, custom, created_by, created_by_user_id, ${cols})
            select ${target.id}::uuid, ${first}::bigint + s.k,
                   coalesce((select b.id from branches b join branches sb on sb.name = b.name
                              where sb.id = s.branch_id and b.tenant_id = ${target.id} order by b.created_at limit 1),
                            (select id from dflt)),
                   (select coalesce(jsonb_object_agg(e.key, e.value), '{}'::jsonb) from jsonb_each(s.custom) e
                     where exists (select 1 from custom_field_definitions d where d.tenant_id = ${target.id} and d.key = e.key)),
                   ${staff.actorName}::text, ${staff.userId}::uuid, ${srcCols}
              from src s
            returning id, customer_number
          )
          select src.id as source_id, src.customer_number as source_number, ins.id, ins.customer_number
            from src join ins on ins.customer_number = ${first}::bigint + src.k
           order by src.customer_number`,
    );

    // A system interaction on both cards, each in its database's language.
    const note = (lang: string, key: 'copy.note_to' | 'copy.note_from', name: string) => translate(lang, key, { name, n: '{n}' });
    const toText = note(source.lang, 'copy.note_to', target.name);
    const fromText = note(target.lang, 'copy.note_from', source.name);
    const list = JSON.stringify(pairs.map((p) => ({ s: p.source_id, sn: String(p.source_number), t: p.id, tn: String(p.customer_number) })));
    await tx.execute(
      sql`insert into interactions (tenant_id, customer_id, type, subject, created_by, created_by_user_id)
          select ${source.id}::uuid, (p->>'s')::uuid, 'system', replace(${toText}::text, '{n}', p->>'tn'), ${staff.actorName}::text, ${staff.userId}::uuid
            from jsonb_array_elements(${list}::jsonb) p
          union all
          select ${target.id}::uuid, (p->>'t')::uuid, 'system', replace(${fromText}::text, '{n}', p->>'sn'), ${staff.actorName}::text, ${staff.userId}::uuid
            from jsonb_array_elements(${list}::jsonb) p`,
    );
    return {
      targetTenantId: target.id,
      copied: pairs.map((p) => ({ sourceId: p.source_id, id: p.id, customerNumber: Number(p.customer_number) })),
    };
  });
}
