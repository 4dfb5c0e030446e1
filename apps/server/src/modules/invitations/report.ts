import type { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { rows, type Db } from '../../db/client.js';
import { fullName } from '../customers/card.js';
import { writeXlsx, type Cell } from '../spreadsheets/index.js';
import type { RunKindOfWizard } from './service.js';
import { getRun } from './service.js';

/**
 * The run report (.xlsx): one row per recipient — customer number, name, email, state, reason,
 * sent at (and for invitations what the message carried) — streamed page by page (keyset over
 * the run's outbox rows), then the language fallbacks. Hebrew headers and a right-to-left sheet
 * for a Hebrew caller. No password or link is in it (the outbox holds none).
 */
const LANGUAGE_NAMES: Record<'he' | 'en', Record<string, string>> = {
  he: { he: 'עברית', en: 'אנגלית' },
  en: { he: 'Hebrew', en: 'English' },
};
const languageName = (lang: 'he' | 'en', code: string | null): string => (code === null ? '—' : (LANGUAGE_NAMES[lang][code] ?? code));

const STRINGS = {
  he: {
    sheet: 'דוח שליחה',
    header: ['מספר לקוח', 'שם', 'דוא"ל', 'מצב', 'סיבה', 'נשלח ב־'],
    credentialHeader: 'גישה לאזור האישי',
    state: { sent: 'נשלח', failed: 'נכשל', skipped: 'לא נשלח', queued: 'ממתין לשליחה', sending: 'בשליחה' },
    reason: {
      no_email: 'אין כתובת דוא"ל',
      invalid_email: 'כתובת דוא"ל לא תקינה',
      duplicate_address: 'אותה כתובת כבר ברשימה',
      no_mailbox: 'לא נשלח: לא הוגדרה תיבת דואר',
      suppressed: 'הוסר מרשימת התפוצה',
      no_template: 'אין תבנית בשפה זו',
      no_customer: 'הלקוח נמחק',
    },
    credential: { new_password: 'סיסמה חדשה', existing_password: 'הסיסמה הקיימת נשלחה שוב', set_password_link: 'קישור לבחירת סיסמה' },
    fallbacks: 'שפה חלופית',
    fallbackLine: (wanted: string, used: string | null, n: number) =>
      `${n === 1 ? 'הודעה אחת' : `${n} הודעות`} ב${languageName('he', used)} במקום ב${languageName('he', wanted)} (אין תבנית ב${languageName('he', wanted)})`,
    noFallbacks: 'אין: כל ההודעות נשלחו בשפת הלקוח',
  },
  en: {
    sheet: 'Send report',
    header: ['Customer number', 'Name', 'Email', 'State', 'Reason', 'Sent at'],
    credentialHeader: 'Portal access',
    state: { sent: 'sent', failed: 'failed', skipped: 'skipped', queued: 'queued', sending: 'sending' },
    reason: {
      no_email: 'no email address',
      invalid_email: 'invalid email address',
      duplicate_address: 'the same address is already in the list',
      no_mailbox: 'not delivered: no mailbox configured',
      suppressed: 'unsubscribed / suppressed',
      no_template: 'no template in this language',
      no_customer: 'the customer was deleted',
    },
    credential: { new_password: 'new password', existing_password: 'existing password re-sent', set_password_link: 'set-password link' },
    fallbacks: 'Language fallbacks',
    fallbackLine: (wanted: string, used: string | null, n: number) =>
      `${n === 1 ? '1 message' : `${n} messages`} in ${languageName('en', used)} instead of ${languageName('en', wanted)} (no template in ${languageName('en', wanted)})`,
    noFallbacks: 'none: every message went in the customer’s language',
  },
} as const;

type ReportRow = {
  id: string;
  customer_number: number | null;
  first_name: string | null;
  last_name: string | null;
  to_address: string | null;
  state: keyof (typeof STRINGS)['en']['state'];
  skip_reason: keyof (typeof STRINGS)['en']['reason'] | null;
  last_error: string | null;
  credential: keyof (typeof STRINGS)['en']['credential'] | null;
  sent_at: string | null;
};

const PAGE = 2000;

/** Checks the run exists (404 otherwise) before anything is streamed; returns the writer. */
export async function runReport(db: Db, tenantId: string, kind: RunKindOfWizard, runId: string, language: string) {
  const run = await getRun(db, tenantId, kind, runId);
  const s = language === 'he' ? STRINGS.he : STRINGS.en;
  const invitation = kind === 'invitation';
  const [zone] = await rows<{ tz: string }>(db, sql`select coalesce((select timezone from branches where tenant_id = ${tenantId} and is_default), 'UTC') as tz`);
  const tz = zone?.tz ?? 'UTC';

  async function* lines(): AsyncGenerator<Cell[]> {
    let after: string | null = null;
    for (;;) {
      const keyset = after ? sql` and o.id > ${after}::uuid` : sql``;
      const page: ReportRow[] = await rows<ReportRow>(
        db,
        sql`select o.id, c.customer_number, c.first_name, c.last_name, o.to_address, o.state, o.skip_reason, o.last_error, o.credential,
                   to_char(o.sent_at at time zone ${tz}, 'YYYY-MM-DD HH24:MI') as sent_at
              from outbox o left join customers c on c.id = o.customer_id
             where o.run_id = ${runId} and o.tenant_id = ${tenantId}${keyset}
             order by o.id
             limit ${PAGE}`,
      );
      for (const r of page) {
        const reason = r.skip_reason ? s.reason[r.skip_reason] ?? r.skip_reason : r.state === 'failed' || r.state === 'queued' ? (r.last_error ?? '') : '';
        const line: Cell[] = [r.customer_number, fullName(r.first_name, r.last_name) || null, r.to_address, s.state[r.state] ?? r.state, reason || null, r.sent_at];
        if (invitation) line.push(r.credential ? s.credential[r.credential] : null);
        yield line;
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.id;
    }
    yield [];
    if (run.languageFallbacks.length === 0) yield [s.fallbacks, s.noFallbacks];
    for (const f of run.languageFallbacks) yield [s.fallbacks, s.fallbackLine(f.wanted, f.used, f.count)];
  }

  const header = invitation ? [...s.header, s.credentialHeader] : [...s.header];
  return {
    fileName: `${kind === 'invitation' ? 'invitation' : 'bulk-email'}-report-${run.createdAt.slice(0, 10)}-${runId.slice(0, 8)}.xlsx`,
    write: (output: Writable) => writeXlsx(output, s.sheet, header, lines(), { rtl: language === 'he' }),
  };
}
