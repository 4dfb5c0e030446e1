import type { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { CARD_COLUMN_LABELS, type CardColumn } from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import { writeXlsx, type Cell } from '../spreadsheets/index.js';
import { getImport } from './service.js';

/**
 * The import report (.xlsx): one line per row — row number, outcome, customer number, name — and
 * for a rejected row one line per problem (the file's column and the reason); skipped rows say
 * why (a duplicate of which card, the same as which earlier row …). Hebrew headers and a
 * right-to-left sheet for a Hebrew caller. Streamed page by page.
 */
type Lang = 'he' | 'en';
type Params = Record<string, string | number>;

const PROBLEMS: Record<Lang, Record<string, (p: Params) => string>> = {
  he: {
    invalid_phone: () => 'מספר טלפון לא תקין',
    invalid_email: () => 'כתובת דוא"ל לא תקינה',
    invalid_israeli_id: () => 'מספר תעודת זהות לא תקין (ספרת ביקורת)',
    invalid_company_number: () => 'מספר ח.פ. לא תקין',
    name_or_contact_required: () => 'אין בשורה שם, טלפון, דוא"ל או מספר זהות',
    invalid_option: () => 'ערך לא מוכר',
    invalid_country: () => 'ארץ לא מוכרת (יש לכתוב קוד בן שתי אותיות, למשל IL)',
    invalid_number: () => 'אינו מספר',
    unknown_branch: (p) => `אין סניף בשם "${p.value ?? ''}"`,
    invalid_type: (p) => (p.expected === 'checkbox' ? 'יש לכתוב כן או לא' : p.expected === 'number' ? 'אינו מספר' : 'ערך לא תקין'),
    invalid_date: () => 'תאריך לא תקין (YYYY-MM-DD)',
    required: () => 'שדה חובה',
    unknown_field: () => 'שדה לא מוכר',
    too_long: () => 'הערך ארוך מדי',
    invalid: () => 'ערך לא תקין',
    duplicate: (p) => `כפילות: קיים כרטיס לקוח מספר ${p.number ?? ''}`,
    duplicate_in_file: (p) => `כפילות בקובץ: אותו טלפון / דוא"ל / ת.ז. כמו בשורה ${p.row ?? ''}`,
    nothing_to_fill: (p) => `אין שדות ריקים להשלים בכרטיס ${p.number ?? ''}`,
    not_renewable: (p) => `כרטיס ${p.number ?? ''} אינו ליד (${p.status ?? ''}): הסטטוס לא אופס`,
    already_renewed: (p) => `כרטיס ${p.number ?? ''} כבר חדש ומחודש`,
    by_choice: () => 'דולג לפי בחירה בתצוגה המקדימה',
  },
  en: {
    invalid_phone: () => 'not a valid phone number',
    invalid_email: () => 'not a valid email address',
    invalid_israeli_id: () => 'not a valid Israeli ID number (check digit)',
    invalid_company_number: () => 'not a valid company number',
    name_or_contact_required: () => 'the row has no name, phone, email or ID number',
    invalid_option: () => 'unknown value',
    invalid_country: () => 'unknown country (write a two-letter code, e.g. IL)',
    invalid_number: () => 'not a number',
    unknown_branch: (p) => `no branch named "${p.value ?? ''}"`,
    invalid_type: (p) => (p.expected === 'checkbox' ? 'write yes or no' : p.expected === 'number' ? 'not a number' : 'invalid value'),
    invalid_date: () => 'not a valid date (YYYY-MM-DD)',
    required: () => 'required',
    unknown_field: () => 'unknown field',
    too_long: () => 'the value is too long',
    invalid: () => 'invalid value',
    duplicate: (p) => `duplicate: customer number ${p.number ?? ''} exists`,
    duplicate_in_file: (p) => `duplicate in the file: the same phone / email / ID as row ${p.row ?? ''}`,
    nothing_to_fill: (p) => `customer ${p.number ?? ''} has no empty fields to fill`,
    not_renewable: (p) => `customer ${p.number ?? ''} is not a lead (${p.status ?? ''}): status not reset`,
    already_renewed: (p) => `customer ${p.number ?? ''} is already New and renewed`,
    by_choice: () => 'skipped as chosen in the preview',
  },
};

const langOf = (lang: string): Lang => (lang === 'he' ? 'he' : 'en');

export function problemMessage(lang: string, code: string, params: Params = {}): string {
  const fn = PROBLEMS[langOf(lang)][code];
  return fn ? fn(params) : code;
}

const STRINGS = {
  he: {
    sheet: 'דוח ייבוא',
    header: ['שורה', 'תוצאה', 'מספר לקוח', 'שם', 'עמודה', 'סיבה'],
    outcome: { created: 'נוצר', filled: 'הושלם', renewed: 'חודש', skipped: 'דולג', rejected: 'נדחה' },
    summary: 'סיכום',
    counts: (c: Record<string, number>) => `נוצרו ${c.created}, הושלמו ${c.filled}, חודשו ${c.renewed}, דולגו ${c.skipped}, נדחו ${c.rejected} (מתוך ${c.total} שורות)`,
    undone: 'הייבוא בוטל',
  },
  en: {
    sheet: 'Import report',
    header: ['Row', 'Outcome', 'Customer number', 'Name', 'Column', 'Reason'],
    outcome: { created: 'created', filled: 'filled', renewed: 'renewed', skipped: 'skipped', rejected: 'rejected' },
    summary: 'Summary',
    counts: (c: Record<string, number>) => `${c.created} created, ${c.filled} filled, ${c.renewed} renewed, ${c.skipped} skipped, ${c.rejected} rejected (of ${c.total} rows)`,
    undone: 'The import was undone',
  },
} as const;

interface ReportRow {
  row_number: number;
  outcome: keyof (typeof STRINGS)['en']['outcome'];
  customer_number: number | null;
  name: string | null;
  reason: string | null;
  problems: { column: string | null; field: string | null; code: string; params?: Params }[] | null;
  previous: Record<string, unknown> | null;
}

const PAGE = 2000;

const fieldLabel = (field: string | null, lang: Lang): string | null =>
  field && field in CARD_COLUMN_LABELS ? CARD_COLUMN_LABELS[field as CardColumn][lang] : field;

/** Checks the import exists (404 otherwise) before anything is streamed; returns the writer. */
export async function importReport(db: Db, tenantId: string, importId: string, language: string) {
  const status = await getImport(db, tenantId, importId);
  const lang = langOf(language);
  const s = STRINGS[lang];

  async function* lines(): AsyncGenerator<Cell[]> {
    let after = 0;
    for (;;) {
      const page: ReportRow[] = await rows<ReportRow>(
        db,
        sql`select row_number, outcome, customer_number, name, reason, problems, previous from import_rows
             where import_id = ${importId} and row_number > ${after}
             order by row_number limit ${PAGE}`,
      );
      for (const r of page) {
        const base: Cell[] = [r.row_number, s.outcome[r.outcome] ?? r.outcome, r.customer_number, r.name];
        if (r.outcome === 'rejected' && r.problems?.length) {
          for (const p of r.problems) yield [...base, p.column ?? fieldLabel(p.field, lang), problemMessage(lang, p.code, p.params)];
        } else if (r.reason) {
          const p = r.problems?.[0];
          yield [...base, null, problemMessage(lang, r.reason, p?.params ?? {})];
        } else if (r.previous) {
          const changed = Object.keys(r.previous)
            .filter((k) => !k.endsWith('_norm'))
            .map((k) => fieldLabel(k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), lang))
            .join(', ');
          yield [...base, changed || null, null];
        } else yield base;
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.row_number;
    }
    yield [];
    yield [s.summary, s.counts({ total: status.total, created: status.created, filled: status.filled, renewed: status.renewed, skipped: status.skipped, rejected: status.rejected })];
    if (status.state === 'undone') yield [s.summary, s.undone];
  }

  return {
    fileName: `import-report-${status.createdAt.slice(0, 10)}-${importId.slice(0, 8)}.xlsx`,
    write: (output: Writable) => writeXlsx(output, s.sheet, [...s.header], lines(), { rtl: lang === 'he', columns: [{ width: 8 }, { width: 10 }, { width: 14 }, { width: 24 }, { width: 20 }, { width: 50 }] }),
  };
}
