import { and, asc, eq } from 'drizzle-orm';
import type { CustomFieldDefinition } from '@kesher/contracts';
import type { Db } from '../../db/client.js';
import { AppError, invalid, notFound, type FieldErrorSpec } from '../../http/errors.js';
import { customFieldDefinitions } from './tables.js';

type Row = typeof customFieldDefinitions.$inferSelect;

function present(row: Row): CustomFieldDefinition {
  return {
    id: row.id,
    key: row.key,
    labelHe: row.labelHe,
    labelEn: row.labelEn,
    type: row.type as CustomFieldDefinition['type'],
    options: row.options,
    required: row.required,
    position: row.position,
  };
}

export async function listDefinitions(db: Db, tenantId: string): Promise<CustomFieldDefinition[]> {
  const list = await db
    .select()
    .from(customFieldDefinitions)
    .where(eq(customFieldDefinitions.tenantId, tenantId))
    .orderBy(asc(customFieldDefinitions.position), asc(customFieldDefinitions.key));
  return list.map(present);
}

export async function createDefinition(db: Db, tenantId: string, input: Omit<CustomFieldDefinition, 'id'>): Promise<CustomFieldDefinition> {
  if (input.type === 'choice' && input.options.length === 0) invalidOptions();
  const [row] = await db
    .insert(customFieldDefinitions)
    .values({ tenantId, ...input, options: input.type === 'choice' ? input.options : [] })
    .onConflictDoNothing()
    .returning();
  if (!row) throw new AppError('conflict', 'conflict.custom_field_key', { key: input.key });
  return present(row);
}

export async function updateDefinition(
  db: Db,
  tenantId: string,
  id: string,
  patch: Partial<Pick<CustomFieldDefinition, 'labelHe' | 'labelEn' | 'options' | 'required' | 'position'>>,
): Promise<CustomFieldDefinition> {
  const where = and(eq(customFieldDefinitions.tenantId, tenantId), eq(customFieldDefinitions.id, id));
  const [current] = await db.select().from(customFieldDefinitions).where(where);
  if (!current) throw notFound('custom_field');
  if (current.type === 'choice' && patch.options && patch.options.length === 0) invalidOptions();
  const [row] = await db.update(customFieldDefinitions).set(patch).where(where).returning();
  return present(row!);
}

/** Deletes a definition; values already on cards stay in their JSON and stop being shown. */
export async function deleteDefinition(db: Db, tenantId: string, id: string): Promise<void> {
  const done = await db
    .delete(customFieldDefinitions)
    .where(and(eq(customFieldDefinitions.tenantId, tenantId), eq(customFieldDefinitions.id, id)))
    .returning({ id: customFieldDefinitions.id });
  if (done.length === 0) throw notFound('custom_field');
}

function invalidOptions(): never {
  throw invalid([{ path: 'options', code: 'options_required' }]);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Checks spare-field values against their definitions and coerces them to the stored type
 * (numbers from numeric strings, booleans from "true"/"false"). `complete` = the whole set is
 * being written (a create), so required fields must be present.
 */
export function checkCustomValues(
  definitions: CustomFieldDefinition[],
  values: Record<string, unknown>,
  complete: boolean,
): { values: Record<string, string | number | boolean | null>; errors: FieldErrorSpec[] } {
  const errors: FieldErrorSpec[] = [];
  const out: Record<string, string | number | boolean | null> = {};
  const byKey = new Map(definitions.map((d) => [d.key, d]));
  for (const [key, raw] of Object.entries(values)) {
    const def = byKey.get(key);
    const path = `custom.${key}`;
    if (!def) {
      errors.push({ path, code: 'unknown_field' });
      continue;
    }
    if (raw === null || raw === '') {
      if (def.required) errors.push({ path, code: 'required' });
      else out[key] = null;
      continue;
    }
    const value = coerce(def, raw);
    if (value === undefined) {
      errors.push(
        def.type === 'choice'
          ? { path, code: 'invalid_option' }
          : def.type === 'date'
            ? { path, code: 'invalid_date' }
            : { path, code: 'invalid_type', params: { expected: def.type } },
      );
    } else out[key] = value;
  }
  if (complete) {
    for (const def of definitions) if (def.required && !(def.key in values)) errors.push({ path: `custom.${def.key}`, code: 'required' });
  }
  return { values: out, errors };
}

function coerce(def: CustomFieldDefinition, raw: unknown): string | number | boolean | undefined {
  switch (def.type) {
    case 'text':
      return typeof raw === 'string' ? raw : typeof raw === 'number' ? String(raw) : undefined;
    case 'number': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      return Number.isFinite(n) ? n : undefined;
    }
    case 'checkbox':
      return typeof raw === 'boolean' ? raw : raw === 'true' ? true : raw === 'false' ? false : undefined;
    case 'date':
      return typeof raw === 'string' && DATE.test(raw) && !Number.isNaN(Date.parse(raw)) ? raw : undefined;
    case 'choice':
      return typeof raw === 'string' && def.options.includes(raw) ? raw : undefined;
  }
}
