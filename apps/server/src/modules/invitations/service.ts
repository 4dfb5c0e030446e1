import { EventEmitter } from 'node:events';
import { sql } from 'drizzle-orm';
import { runFilter, type BulkEmailBody, type InvitationBody, type LanguageFallback, type RunPreview, type RunState, type RunStatus, type SkipReason } from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import type { StaffContext } from '../../http/access.js';
import { AppError, notFound } from '../../http/errors.js';
import { BULK_TEMPLATE, createRun, INVITE_TEMPLATE, planMessages, planSelection, templateLanguages, type MailSettings } from '../mail/index.js';
import { planInitialPasswords, resetPortalPassword } from '../portal/index.js';
import { countSelection, selectionInput, selectionOf, type RunSource } from './selection.js';

/**
 * Invitation runs and bulk emails (SPEC §3). A run is a row of `mail_runs` (kind 'invitation'
 * or 'bulk') created 'pending' with its list (`source`) and the count of its customers; the run
 * preparer (preparer.ts) does the work in the background; the mail worker sends. Nothing here
 * sends or generates passwords.
 */
export type RunKindOfWizard = 'invitation' | 'bulk';

/** Wakes the run preparer of this process when a run is created (a hint: preparers poll anyway). */
export const runEvents = new EventEmitter();

/** What the preparer keeps in `mail_runs.notes.prepare` (progress and the counts of phase 1). */
export interface PrepareNotes {
  /** Customers in the list when the run was confirmed. */
  expected?: number;
  phase?: 'passwords' | 'messages';
  after?: { c: string; id: string } | null;
  newPasswords?: number;
  existingPasswords?: number;
  setPasswordLinks?: number;
  /** Customers in phase 2 that phase 1 never prepared (a filter whose cards changed meanwhile). */
  notPrepared?: number;
  attempts?: number;
  lastError?: string;
}

type Body = InvitationBody | BulkEmailBody;

function sourceOf(staff: StaffContext, body: Body): RunSource {
  const byIds = body.customerIds !== undefined;
  if (byIds === (body.filter !== undefined)) throw new AppError('validation', 'run.list_required');
  if (byIds) return { customerIds: [...new Set(body.customerIds!.map((id) => id.toLowerCase()))].sort() };
  // The filter schema lets any key through (custom fields are `cf.<key>`): a misspelt filter must
  // not widen the run to every customer.
  const unknown = Object.keys(body.filter!).filter((k) => !FILTER_KEYS.has(k) && !k.startsWith('cf.'));
  if (unknown.length) throw new AppError('validation', 'run.unknown_filter', { keys: unknown.map((k) => `"${k}"`).join(', ') });
  return { filter: body.filter!, region: staff.region };
}

const FILTER_KEYS = new Set(Object.keys(runFilter.shape));

async function templateOf(db: Db, tenantId: string, kind: RunKindOfWizard, body: Body): Promise<string> {
  const key = kind === 'invitation' ? INVITE_TEMPLATE : ((body as BulkEmailBody).templateKey ?? BULK_TEMPLATE);
  if ((await templateLanguages(db, tenantId, key)).length === 0) throw new AppError('validation', 'run.no_template', { key });
  return key;
}

/**
 * Confirms a run: counts the list (a list with no customers of the tenant is refused and nothing
 * is written) and creates the run 'pending' for the preparer. Returns its id.
 */
export async function startRun(db: Db, staff: StaffContext, kind: RunKindOfWizard, body: Body): Promise<{ id: string }> {
  const source = sourceOf(staff, body);
  const templateKey = await templateOf(db, staff.tenantId, kind, body);
  const id = await db.transaction(async (tx) => {
    const expected = await countSelection(tx, await selectionOf(tx, staff.tenantId, source));
    if (expected === 0) throw new AppError('validation', 'run.no_customers');
    return insertRun(tx, staff, kind, templateKey, source, expected);
  });
  runEvents.emit('created');
  return { id };
}

async function insertRun(tx: Db, staff: StaffContext, kind: RunKindOfWizard, templateKey: string, source: RunSource, expected: number): Promise<string> {
  const id = await createRun(tx, { tenantId: staff.tenantId, kind, templateKey, source: source as Record<string, unknown>, createdByUserId: staff.userId, state: 'pending' });
  const prepare: PrepareNotes = { expected };
  // `total` counts outbox rows as they are enqueued; the list's size meanwhile is `prepare.expected`.
  await tx.execute(sql`update mail_runs set notes = jsonb_build_object('prepare', ${JSON.stringify(prepare)}::jsonb) where id = ${id}`);
  return id;
}

/** The wizard's preview: what a run on this list would do, set-based, nothing written. */
export async function previewRun(db: Db, staff: StaffContext, kind: RunKindOfWizard, body: Body, settings: MailSettings): Promise<RunPreview> {
  const source = sourceOf(staff, body);
  const templateKey = await templateOf(db, staff.tenantId, kind, body);
  const selection = await selectionOf(db, staff.tenantId, source);
  const input = selectionInput(selection);
  const plan = await planSelection(db, settings, { tenantId: staff.tenantId, kind, templateKey, selection: input });
  const credentials = kind === 'invitation' ? await planInitialPasswords(db, staff.tenantId, input) : { newPasswords: 0, existingPasswords: 0, setPasswordLinks: 0 };
  const skipped = Object.values(plan.skipped).reduce((a, b) => a + (b ?? 0), 0);
  const [mb] = await rows<{ n: number }>(db, sql`select count(*)::int as n from mailboxes where tenant_id = ${staff.tenantId}`);
  return {
    total: plan.queued + skipped,
    willSend: plan.queued,
    ...credentials,
    skipped,
    skippedBy: plan.skipped,
    languageFallbacks: plan.languageFallbacks,
    mailboxConfigured: !!settings.serverMailbox || (mb?.n ?? 0) > 0,
  };
}

/**
 * Staff "reset and resend" for one customer: a new generated password (the chosen or old one is
 * discarded, sessions and links end) and a one-customer invitation run, in one transaction. A
 * customer the invitation could not reach (no or invalid email, no mailbox, no template) is
 * refused first, and nothing is reset.
 */
export async function resetAndResend(db: Db, staff: StaffContext, customerId: string, settings: MailSettings): Promise<{ id: string }> {
  const plan = await planMessages(db, settings, { tenantId: staff.tenantId, kind: 'invitation', templateKey: INVITE_TEMPLATE, recipients: [{ customerId }] });
  if (plan.notFound) throw notFound('customer');
  const reason = Object.keys(plan.skipped)[0] as SkipReason | undefined;
  if (reason === 'no_email' || reason === 'invalid_email' || reason === 'no_mailbox' || reason === 'no_template') throw new AppError('validation', `resend.${reason}`);
  const id = await db.transaction(async (tx) => {
    await resetPortalPassword(tx, staff.tenantId, customerId);
    return insertRun(tx, staff, 'invitation', INVITE_TEMPLATE, { customerIds: [customerId] }, 1);
  });
  runEvents.emit('created');
  return { id };
}

// ---- progress ----

type RunRow = {
  id: string;
  kind: RunKindOfWizard;
  state: RunState;
  template_key: string;
  by_ids: boolean;
  total: number;
  notes: { prepare?: PrepareNotes; languageFallbacks?: Record<string, number> };
  error: string | null;
  created_at: Date | string;
  finished_at: Date | string | null;
};
type CountRow = { run_id: string; state: string; skip_reason: SkipReason | null; n: number };

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

function present(run: RunRow, counts: CountRow[]): RunStatus {
  const c = { queued: 0, sending: 0, sent: 0, failed: 0, skipped: 0 };
  const skippedBy: Partial<Record<SkipReason, number>> = {};
  let rowsTotal = 0;
  for (const r of counts) {
    if (r.state in c) c[r.state as keyof typeof c] += r.n;
    rowsTotal += r.n;
    if (r.skip_reason) skippedBy[r.skip_reason] = (skippedBy[r.skip_reason] ?? 0) + r.n;
  }
  const prepare = run.notes.prepare ?? {};
  const preparing = run.state === 'pending' || run.state === 'preparing';
  const languageFallbacks: LanguageFallback[] = Object.entries(run.notes.languageFallbacks ?? {}).map(([k, count]) => {
    const [wanted = '', used = '-'] = k.split('>');
    return { wanted, used: used === '-' ? null : used, count };
  });
  return {
    id: run.id,
    kind: run.kind,
    state: run.state,
    templateKey: run.template_key,
    source: run.by_ids ? 'customers' : 'filter',
    // While preparing, the list as counted when confirmed; then one outbox row per recipient.
    total: preparing ? Math.max(prepare.expected ?? run.total, rowsTotal) : rowsTotal,
    ...c,
    skippedBy,
    newPasswords: prepare.newPasswords ?? 0,
    existingPasswords: prepare.existingPasswords ?? 0,
    setPasswordLinks: prepare.setPasswordLinks ?? 0,
    languageFallbacks,
    error: run.error,
    createdAt: iso(run.created_at)!,
    finishedAt: iso(run.finished_at),
  };
}

const RUN_COLUMNS = sql.raw(`id, kind, state, template_key, (source ? 'customerIds') as by_ids, total, notes, error, created_at, finished_at`);

async function countsOf(db: Db, runIds: string[]): Promise<CountRow[]> {
  if (runIds.length === 0) return [];
  return rows<CountRow>(
    db,
    sql`select run_id, state, skip_reason, count(*)::int as n from outbox where run_id = any(${`{${runIds.join(',')}}`}::uuid[]) group by run_id, state, skip_reason`,
  );
}

export async function getRun(db: Db, tenantId: string, kind: RunKindOfWizard, id: string): Promise<RunStatus> {
  const [run] = await rows<RunRow>(db, sql`select ${RUN_COLUMNS} from mail_runs where tenant_id = ${tenantId} and id = ${id} and kind = ${kind}`);
  if (!run) throw new AppError('not_found', 'not_found.mail_run');
  return present(run, await countsOf(db, [id]));
}

/** Recent runs of a kind, newest first. */
export async function listRuns(db: Db, tenantId: string, kind: RunKindOfWizard, limit: number): Promise<RunStatus[]> {
  const list = await rows<RunRow>(db, sql`select ${RUN_COLUMNS} from mail_runs where tenant_id = ${tenantId} and kind = ${kind} order by created_at desc, id desc limit ${limit}`);
  const counts = await countsOf(db, list.map((r) => r.id));
  return list.map((run) => present(run, counts.filter((c) => c.run_id === run.id)));
}
