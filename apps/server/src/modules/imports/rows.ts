import {
  customerFields,
  ID_TYPE_LABELS,
  IDENTIFYING_FIELDS,
  normalizeHeader,
  recognizeHeaders,
  type CustomerFields,
  type CustomFieldDefinition,
  type ImportField,
  type ImportMapping,
} from '@kesher/contracts';
import { checkedCardValues, fullName, type CustomerValues } from '../customers/card.js';
import { keysOf, type IdentityKeys } from '../identity/index.js';
import type { TableRow } from './read.js';

/**
 * One data row → card fields: the mapping says which header goes to which field; values are
 * read the way spreadsheets hold them (a phone or ID written as a number, "כן" in a checkbox
 * column, a date cell) and then checked by the card's own rules (card.ts: phones in the tenant's
 * region, emails, the Israeli ID check digit; custom-fields: spare fields). A row with any
 * problem is rejected as a whole, each problem named by the file's column.
 */
export interface RowProblem {
  /** The header of the file's column, when the problem belongs to one. */
  column: string | null;
  /** The card field. */
  field: string | null;
  code: string;
  params?: Record<string, string | number>;
}

export interface PreparedRow {
  row: number;
  fields: CustomerFields;
  /** Column values as card.ts prepares them (normalised keys included); for a create. */
  values: CustomerValues;
  name: string | null;
  keys: IdentityKeys;
  problems: RowProblem[];
}

export interface RowContext {
  region: string;
  definitions: CustomFieldDefinition[];
  /** Branch names (normalised) → id. */
  branches: Map<string, string>;
}

/** A mapping bound to the file's header row: which cell index feeds which target. */
export interface BoundMapping {
  headers: string[];
  columns: { index: number; header: string; target: string }[];
}

export function bindMapping(headers: string[], mapping: ImportMapping): BoundMapping {
  const columns: BoundMapping['columns'] = [];
  const used = new Set<string>();
  headers.forEach((header, index) => {
    const target = mapping[header];
    if (!target || used.has(header)) return;
    used.add(header);
    columns.push({ index, header, target });
  });
  return { headers, columns };
}

/** The mapping has a column that identifies a person. */
export const isIdentifying = (mapping: ImportMapping) => Object.values(mapping).some((t) => (IDENTIFYING_FIELDS as readonly string[]).includes(t));

/** The recognised mapping of a header row (every header that names a field). */
export function recognizedMapping(headers: string[], definitions: CustomFieldDefinition[]): ImportMapping {
  return recognizeHeaders(headers.filter(Boolean), definitions);
}

/** The header row: the first of the first few non-empty rows that has a recognised header (a title line may sit above). */
export function findHeaderRow(first: TableRow[], definitions: CustomFieldDefinition[], mapping?: ImportMapping): TableRow | null {
  const nonEmpty = first.filter((r) => r.cells.some(Boolean)).slice(0, 5);
  for (const r of nonEmpty) {
    const known = mapping ? r.cells.some((c) => c && mapping[c] !== undefined) : Object.keys(recognizedMapping(r.cells, definitions)).length > 0;
    if (known) return r;
  }
  return nonEmpty[0] ?? null;
}

export const headerKey = (headers: string[]) => JSON.stringify([...new Set(headers.filter(Boolean).map(normalizeHeader))].sort());

const LIST_SPLIT = /\s*[,;|\n]\s*/;
const TRUE = new Set(['true', 'yes', 'y', '1', 'כן', 'v', '✓', 'x']);
const FALSE = new Set(['false', 'no', 'n', '0', 'לא', '']);
const ID_TYPES = new Map<string, string>();
for (const [code, labels] of Object.entries(ID_TYPE_LABELS)) {
  for (const l of [code, labels.he, labels.en]) ID_TYPES.set(normalizeHeader(l), code);
}
for (const [alias, code] of [['תז', 'israeli_id'], ['ת ז', 'israeli_id'], ['id', 'israeli_id'], ['חפ', 'company'], ['company', 'company'], ['passport', 'passport']] as const) {
  ID_TYPES.set(alias, code);
}
const COUNTRIES: Record<string, string> = { ישראל: 'IL', israel: 'IL', 'ארצות הברית': 'US', 'ארהב': 'US', usa: 'US', 'united states': 'US', 'united kingdom': 'GB', uk: 'GB', אנגליה: 'GB' };
const LANGUAGES: Record<string, 'he' | 'en'> = { he: 'he', en: 'en', עברית: 'he', hebrew: 'he', אנגלית: 'en', english: 'en' };

/** A phone written as a number loses its leading zero (501234567) or its plus (972501234567). */
function phoneText(v: string): string {
  const t = v.trim();
  if (/^972\d{8,9}$/.test(t)) return `+${t}`;
  if (/^[1-9]\d{7,8}$/.test(t)) return `0${t}`;
  return t;
}

const byKey = new WeakMap<CustomFieldDefinition[], Map<string, CustomFieldDefinition>>();
/** The tenant's spare fields by key, made once per list (not once per row of a million-row file). */
function definitionsByKey(list: CustomFieldDefinition[]): Map<string, CustomFieldDefinition> {
  let map = byKey.get(list);
  if (!map) byKey.set(list, (map = new Map(list.map((d) => [d.key, d]))));
  return map;
}

export function prepareRow(row: TableRow, bound: BoundMapping, ctx: RowContext): PreparedRow {
  const problems: RowProblem[] = [];
  const fields: Record<string, unknown> = {};
  const custom: Record<string, unknown> = {};
  const columnOf = new Map<string, string>();
  const defs = definitionsByKey(ctx.definitions);
  const set = (field: string, v: unknown, header: string) => {
    if (fields[field] !== undefined) return;
    fields[field] = v;
    columnOf.set(field, header);
  };
  const push = (field: 'phones' | 'emails', list: string[], header: string) => {
    if (list.length === 0) return;
    fields[field] = [...((fields[field] as string[] | undefined) ?? []), ...list];
    if (!columnOf.has(field)) columnOf.set(field, header);
  };

  for (const { index, header, target } of bound.columns) {
    const v = (row.cells[index] ?? '').trim();
    if (!v) continue;
    const problem = (code: string, field = target, params?: Record<string, string | number>) => problems.push({ column: header, field, code, ...(params && { params }) });
    if (target.startsWith('cf.')) {
      const key = target.slice(3);
      const def = defs.get(key);
      if (!def) continue;
      if (def.type === 'checkbox') {
        const k = v.toLowerCase();
        if (TRUE.has(k)) custom[key] = true;
        else if (FALSE.has(k)) custom[key] = false;
        else problem('invalid_type', target, { expected: 'checkbox' });
      } else custom[key] = v;
      columnOf.set(`custom.${key}`, header);
      continue;
    }
    switch (target as ImportField) {
      case 'fullName': {
        const words = v.split(/\s+/);
        if (words.length === 1) set('lastName', v, header);
        else {
          set('firstName', words.slice(0, -1).join(' '), header);
          set('lastName', words[words.length - 1]!, header);
        }
        break;
      }
      case 'phone':
        if (fields.phone === undefined) set('phone', phoneText(v), header);
        else push('phones', [phoneText(v)], header);
        break;
      case 'phones':
        push('phones', v.split(LIST_SPLIT).filter(Boolean).map(phoneText), header);
        break;
      case 'email':
        if (fields.email === undefined) set('email', v, header);
        else push('emails', [v], header);
        break;
      case 'emails':
        push('emails', v.split(LIST_SPLIT).filter(Boolean), header);
        break;
      case 'idType': {
        const t = ID_TYPES.get(normalizeHeader(v));
        if (t) set('idType', t, header);
        else problem('invalid_option');
        break;
      }
      case 'language': {
        const l = LANGUAGES[v.toLowerCase()];
        if (l) set('language', l, header);
        else problem('invalid_option');
        break;
      }
      case 'country':
      case 'idCountry':
      case 'mailingCountry': {
        const c = /^[a-z]{2}$/i.test(v) ? v.toUpperCase() : COUNTRIES[normalizeHeader(v)];
        if (c) set(target, c, header);
        else problem('invalid_country');
        break;
      }
      case 'latitude':
      case 'longitude': {
        const n = Number(v.replace(',', '.'));
        if (Number.isFinite(n)) set(target, n, header);
        else problem('invalid_number');
        break;
      }
      case 'branch': {
        const id = ctx.branches.get(normalizeHeader(v));
        if (id) set('branchId', id, header);
        else problem('unknown_branch', 'branch', { value: v });
        break;
      }
      default:
        set(target, v, header);
    }
  }
  // An ID number without a type: digits are an Israeli ID (checked), letters a passport.
  if (typeof fields.idNumber === 'string' && fields.idType === undefined) {
    const id = fields.idNumber;
    if (/^[\d\s-]+$/.test(id) && id.replace(/\D/g, '').length <= 9) fields.idType = 'israeli_id';
    else if (/[A-Za-z]/.test(id)) fields.idType = 'passport';
  }
  if (Object.keys(custom).length) fields.custom = custom;

  const columnFor = (path: string): string | null => {
    const [head, second] = path.split('.');
    if (head === 'custom') return columnOf.get(`custom.${second}`) ?? null;
    if (head === 'branchId') return columnOf.get('branchId') ?? null;
    return columnOf.get(head!) ?? null;
  };

  // Lengths and shapes (zod): a field it refuses is a problem of its column.
  let input: CustomerFields = {};
  for (let attempt = 0; attempt < 3; attempt++) {
    const parsed = customerFields.safeParse(fields);
    if (parsed.success) {
      input = parsed.data;
      break;
    }
    for (const issue of parsed.error.issues) {
      const [head, second] = issue.path.map(String);
      const key = head === 'custom' || head === 'phones' || head === 'emails' ? `${head}${second !== undefined && head === 'custom' ? `.${second}` : ''}` : head!;
      problems.push({ column: columnFor(key), field: key.replace(/^custom\./, 'cf.'), code: issue.code === 'too_big' ? 'too_long' : 'invalid' });
      if (head === 'custom' && second !== undefined) delete custom[second];
      else delete fields[head!];
    }
  }

  const { values, errors } = checkedCardValues(input, null, ctx.region, ctx.definitions);
  for (const e of errors) {
    const field = e.path.startsWith('custom.') ? e.path.replace(/^custom\./, 'cf.') : e.path.replace(/\.\d+$/, '');
    problems.push({ column: columnFor(e.path), field, code: e.code, ...(e.params && { params: e.params }) });
  }
  return {
    row: row.rowNumber,
    fields: input,
    values,
    name: fullName(input.firstName ?? null, input.lastName ?? null) || null,
    keys: keysOf(values),
    problems,
  };
}
