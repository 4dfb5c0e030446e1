// What other modules may use of the mail pipeline (invitations, bulk email, journeys call these).
import type { Db } from '../../db/client.js';
import type { MailSettings } from './compose.js';
import { serverMailboxFrom } from './transport.js';
import { MailWorker, type WorkerLog, type WorkerOptions } from './worker.js';

export type { MailSettings } from './compose.js';
export { MASK } from './compose.js';
export { mailRoutes } from './routes.js';
export { MailWorker, type WorkerOptions, type WorkerLog } from './worker.js';
export {
  createRun, enqueueMessages, planMessages, planSelection, markRunSending, finishRuns, runCounts, outboxEvents,
  type RunKind, type Recipient, type EnqueueResult, type RunCounts,
} from './outbox.js';
export { enqueueCustomerMessage } from './customer-message.js';
export { INTERRUPTED } from './delivery.js';
export { resolveMailbox } from './mailboxes.js';
export { enqueueNotification } from './notifications.js';
export { enqueueStaffMessage } from './staff-messages.js';
export { INVITE_TEMPLATE, BULK_TEMPLATE, NEW_LEAD_TEMPLATE, PORTAL_WELCOME_TEMPLATE, chooseLanguage, findTemplate, templateLanguages } from './templates.js';
export { mergeFields } from './merge-fields.js';
export { compileTemplate, renderMessage, type CompiledTemplate } from './render.js';
export { isSuppressed, suppress, unsubscribeUrl } from './suppressions.js';

/** The mail settings of this server from its configuration. */
export function mailSettings(opts: { publicUrl?: string | undefined; smtpUrl?: string | undefined; mailFrom?: string | undefined }): MailSettings {
  return {
    publicUrl: (opts.publicUrl ?? 'http://localhost:3000').replace(/\/+$/, ''),
    serverMailbox: serverMailboxFrom(opts.smtpUrl, opts.mailFrom),
  };
}

/** Starts a mail worker (in `kesher start`, or alone in `kesher worker`). */
export function startMailWorker(db: Db, opts: { publicUrl?: string; smtpUrl?: string; mailFrom?: string; log?: WorkerLog } & Omit<WorkerOptions, 'settings' | 'log'>): MailWorker {
  const { publicUrl, smtpUrl, mailFrom, ...rest } = opts;
  return new MailWorker(db, { ...rest, settings: mailSettings({ publicUrl, smtpUrl, mailFrom }) }).start();
}
