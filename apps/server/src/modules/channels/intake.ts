import { createHash } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import {
  CUSTOM_TARGET, customerFields, isEmail, isValidIsraeliId, type CustomerFields, type CustomFieldDefinition, type DuplicateMatch,
  type IntakeReply, type SubmissionOutcome,
} from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import { AppError, type FieldErrorSpec } from '../../http/errors.js';
import { emptyFieldsFilled, type CustomerRow } from '../customers/card.js';
import { normalizeEmail, normalizeIdNumber, normalizePhone } from '../customers/normalize.js';
import { applyStatusEvent, createCustomer, updateCustomer, type Actor } from '../customers/service.js';
import { customers } from '../customers/tables.js';
import { listDefinitions } from '../custom-fields/service.js';
import { findMatches } from '../identity/index.js';
import { interactions } from '../interactions/tables.js';
import { enqueueNotification, NEW_LEAD_TEMPLATE } from '../mail/index.js';
import { tenants } from '../tenants/tables.js';
import type { ChannelRow } from './service.js';
import { channelSubmissions, customerFiles } from './tables.js';

/**
 * The Web Data Port's intake (SPEC §2): a submission is logged as it came, then — unless it is
 * spam (honeypot) or the same submission again within 5 minutes — matched by phone / email / ID
 * number: a new customer is created (created by = the channel's name, `No Name From Web` when
 * no name came, status New, Website Last Token `Hot Lead`); an existing one gets only its empty
 * fields filled, an alert interaction holding the submission, and `Hot Lead` — or, when it was
 * `Not interested`, goes back to New with `Renewed`.
 *
 * "Allow duplicates" (the tenant setting) lets a person knowingly create a second card from the
 * back office; a landing page cannot make that choice, so the port always completes the card it
 * found and never creates a duplicate.
 */
export const NO_NAME = 'No Name From Web';
export const REPEAT_WINDOW_SECONDS = 5 * 60;
const MAX_VALUE = 5000;

export type Params = Record<string, string | string[]>;

export interface IncomingFile {
  field: string;
  fileName: string;
  contentType: string;
  data: Buffer;
}

export interface Incoming {
  params: Params;
  files: IncomingFile[];
  ip: string | null;
  origin: string | null;
  userAgent: string | null;
  contentType: string | null;
}

export interface IntakeResult {
  submissionId: string;
  outcome: SubmissionOutcome;
  reply: IntakeReply;
  /** Set when the submission was rejected: the field problems to answer with (400). */
  rejected: FieldErrorSpec[] | null;
}

// ---- parameters ----

const clip = (v: string) => (v.length > MAX_VALUE ? v.slice(0, MAX_VALUE) : v);

/** Values of a parameter (names compared case-insensitively), trimmed, empty ones left out. */
function valuesOf(params: Params, name: string): string[] {
  const want = name.toLowerCase();
  const out: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (k.toLowerCase() !== want) continue;
    for (const s of Array.isArray(v) ? v : [v]) {
      const t = clip(String(s).trim());
      if (t) out.push(t);
    }
  }
  return out;
}

const TRUE = new Set(['true', '1', 'on', 'yes', 'y', 'v', 'כן']);
const FALSE = new Set(['false', '0', 'off', 'no', 'n', 'לא']);
const ID_TYPES: Record<string, CustomerFields['idType']> = {
  israeli_id: 'israeli_id', id: 'israeli_id', 'ת.ז.': 'israeli_id', 'ת.ז': 'israeli_id', 'תז': 'israeli_id',
  company: 'company', 'ח.פ.': 'company', 'ח.פ': 'company', 'חפ': 'company',
  passport: 'passport', 'דרכון': 'passport',
};

export interface Mapped {
  fields: CustomerFields;
  notes: string[];
  problems: FieldErrorSpec[];
}

/**
 * Applies the channel's mapping: card fields, custom fields (coerced to their type), notes.
 * Values that cannot go on a card (a phone that is not a phone, an email that is not an email,
 * an Israeli ID with a wrong check digit …) are left out and listed as problems: the lead is kept.
 */
export function mapSubmission(mapping: Record<string, string>, params: Params, definitions: CustomFieldDefinition[], region: string): Mapped {
  const fields: Record<string, unknown> = {};
  const custom: Record<string, unknown> = {};
  const notes: string[] = [];
  const problems: FieldErrorSpec[] = [];
  const defs = new Map(definitions.map((d) => [d.key, d]));
  const first = (target: string, v: string) => {
    if (fields[target] === undefined) fields[target] = v;
  };
  for (const [param, target] of Object.entries(mapping)) {
    const values = valuesOf(params, param);
    if (values.length === 0) continue;
    const v = values[0]!;
    if (CUSTOM_TARGET.test(target)) {
      const key = target.slice(3);
      const def = defs.get(key);
      if (!def || custom[key] !== undefined) continue;
      if (def.type === 'checkbox') {
        const b = TRUE.has(v.toLowerCase()) ? true : FALSE.has(v.toLowerCase()) ? false : undefined;
        if (b === undefined) problems.push({ path: param, code: 'invalid_type', params: { expected: 'checkbox' } });
        else custom[key] = b;
      } else custom[key] = v;
      continue;
    }
    switch (target) {
      case 'fullName': {
        const words = v.split(/\s+/);
        if (words.length === 1) first('lastName', v);
        else {
          first('firstName', words.slice(0, -1).join(' '));
          first('lastName', words[words.length - 1]!);
        }
        break;
      }
      case 'phone':
      case 'phones':
        for (const p of target === 'phone' ? [v, ...values.slice(1)] : values) {
          if (!normalizePhone(p, region)) problems.push({ path: param, code: 'invalid_phone' });
          else if (target === 'phone' && fields.phone === undefined) fields.phone = p;
          else fields.phones = [...((fields.phones as string[] | undefined) ?? []), p];
        }
        break;
      case 'email':
      case 'emails':
        for (const e of target === 'email' ? [v, ...values.slice(1)] : values) {
          if (!isEmail(e)) problems.push({ path: param, code: 'invalid_email' });
          else if (target === 'email' && fields.email === undefined) fields.email = e;
          else fields.emails = [...((fields.emails as string[] | undefined) ?? []), e];
        }
        break;
      case 'idType': {
        const t = ID_TYPES[v.toLowerCase()];
        if (t) first('idType', t);
        else problems.push({ path: param, code: 'invalid_option' });
        break;
      }
      case 'language':
        if (/^(he|en)$/i.test(v)) first('language', v.toLowerCase());
        else if (/^(עברית|hebrew)$/i.test(v)) first('language', 'he');
        else if (/^(אנגלית|english)$/i.test(v)) first('language', 'en');
        else problems.push({ path: param, code: 'invalid_option' });
        break;
      case 'country':
      case 'idCountry':
      case 'mailingCountry':
        if (/^[a-z]{2}$/i.test(v)) first(target, v.toUpperCase());
        else problems.push({ path: param, code: 'invalid' });
        break;
      case 'note':
        notes.push(`${param}: ${values.join(', ')}`);
        break;
      default:
        first(target, v);
    }
  }
  if (Object.keys(custom).length) fields.custom = custom;
  if (fields.idNumber && (fields.idType ?? 'israeli_id') === 'israeli_id' && /^[\d\s-]+$/.test(String(fields.idNumber)) && !isValidIsraeliId(String(fields.idNumber))) {
    problems.push({ path: pathOf(mapping, 'idNumber'), code: 'invalid_israeli_id' });
    delete fields.idNumber;
  }
  // Length limits and the like: a field zod refuses is left out, the rest is kept.
  for (let i = 0; i < 3; i++) {
    const parsed = customerFields.safeParse(fields);
    if (parsed.success) return { fields: parsed.data, notes, problems };
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '');
      if (key === 'custom' && issue.path[1] !== undefined) delete custom[String(issue.path[1])];
      else delete fields[key];
      problems.push({ path: pathOf(mapping, key === 'custom' ? `cf.${String(issue.path[1])}` : key), code: 'invalid' });
    }
  }
  return { fields: {}, notes, problems };
}

/** The incoming parameter mapped to a card field (for messages), else the field itself. */
function pathOf(mapping: Record<string, string>, target: string): string {
  return Object.entries(mapping).find(([, t]) => t === target || (target === 'lastName' && t === 'fullName'))?.[0] ?? target;
}

const identifies = (f: CustomerFields) => !!(f.lastName || f.firstName || f.phone || f.phones?.length || f.email || f.emails?.length || f.idNumber);

/**
 * The same submission, whatever its spelling: channel, parameter names (lower-cased), values
 * trimmed, spaces collapsed, lower-cased, phones in E.164, files by content.
 */
export function fingerprint(channel: Pick<ChannelRow, 'id' | 'mapping' | 'honeypotField'>, params: Params, files: { data: Buffer }[], region: string): string {
  const phoneParams = new Set(Object.entries(channel.mapping).filter(([, t]) => t === 'phone' || t === 'phones').map(([p]) => p.toLowerCase()));
  const entries: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    const key = k.toLowerCase();
    if (key === 'token' || key === channel.honeypotField?.toLowerCase()) continue;
    for (const s of Array.isArray(v) ? v : [v]) {
      const text = String(s).trim().replace(/\s+/g, ' ').toLowerCase();
      if (!text) continue;
      entries.push(`${key}=${(phoneParams.has(key) && normalizePhone(text, region)) || text}`);
    }
  }
  entries.sort();
  const hash = createHash('sha256').update(`${channel.id}\n`).update(entries.join('\n'));
  for (const f of files) hash.update('\nfile=').update(createHash('sha256').update(f.data).digest('hex'));
  return hash.digest('hex');
}

// ---- the log ----

/** Writes the submission to the channel's log as it came (and its files), before anything else. */
export async function logSubmission(
  db: Db,
  channel: ChannelRow,
  incoming: Incoming,
  fp: string,
  extra: { outcome?: SubmissionOutcome; replayOf?: string | null } = {},
): Promise<string> {
  const [row] = await db
    .insert(channelSubmissions)
    .values({
      tenantId: channel.tenantId,
      channelId: channel.id,
      ip: incoming.ip,
      origin: incoming.origin,
      userAgent: incoming.userAgent?.slice(0, 500) ?? null,
      contentType: incoming.contentType?.slice(0, 200) ?? null,
      params: incoming.params,
      fingerprint: fp,
      outcome: extra.outcome ?? 'received',
      replayOf: extra.replayOf ?? null,
    })
    .returning({ id: channelSubmissions.id });
  const id = row!.id;
  if (incoming.files.length) {
    await db.insert(customerFiles).values(
      incoming.files.map((f) => ({
        tenantId: channel.tenantId,
        submissionId: id,
        field: f.field.slice(0, 200),
        fileName: f.fileName.slice(0, 300) || 'file',
        contentType: f.contentType.slice(0, 200) || 'application/octet-stream',
        size: f.data.length,
        sha256: createHash('sha256').update(f.data).digest('hex'),
        data: f.data,
      })),
    );
  }
  return id;
}

// ---- processing ----

const ALERT: Record<string, (channel: string) => string> = {
  he: (c) => `ליד חוזר דרך ${c}`,
  en: (c) => `Lead came again through ${c}`,
};
const NOTE: Record<string, (channel: string) => string> = {
  he: (c) => `ליד חדש דרך ${c}`,
  en: (c) => `New lead through ${c}`,
};

/** The submission as text for the card's timeline: every parameter, the files, what was left out. */
function submissionText(params: Params, files: string[], notes: string[], problems: FieldErrorSpec[], channel: ChannelRow): string {
  const lines = Object.entries(params)
    .filter(([k]) => k.toLowerCase() !== 'token' && k !== channel.honeypotField)
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`);
  if (files.length) lines.push(`files: ${files.join(', ')}`);
  if (notes.length && !lines.length) lines.push(...notes);
  if (problems.length) lines.push(`left out: ${problems.map((p) => `${p.path} (${p.code})`).join(', ')}`);
  return lines.join('\n').slice(0, 20_000);
}

/** The best match: most keys matched, then the oldest card. */
function pick(matches: DuplicateMatch[]): DuplicateMatch {
  return [...matches].sort((a, b) => b.matchedOn.length - a.matchedOn.length || a.customerNumber - b.customerNumber)[0]!;
}

/** Runs a card write, leaving out fields the card rules refuse (and listing them), up to twice. */
async function withoutRefused<T>(fields: CustomerFields, problems: FieldErrorSpec[], write: (f: CustomerFields) => Promise<T>): Promise<T> {
  let current = fields;
  for (let attempt = 0; ; attempt++) {
    try {
      return await write(current);
    } catch (err) {
      const bad = err instanceof AppError && err.code === 'validation' ? (err.extra.fields ?? []) : [];
      if (attempt >= 2 || bad.length === 0) throw err;
      const next: Record<string, unknown> = { ...current };
      for (const f of bad) {
        const [key, sub] = f.path.split('.');
        if (key === 'custom' && sub && next.custom) {
          const c = { ...(next.custom as Record<string, unknown>) };
          delete c[sub];
          next.custom = c;
        } else if (key && key in next) delete next[key];
        else throw err;
        problems.push(f);
      }
      current = next as CustomerFields;
    }
  }
}

interface ProcessOptions {
  /** An admin's replay: no repeat window. */
  replay: boolean;
  /** Files to put on the card: those of this submission (a replay: of the one replayed); null = none came. */
  filesOf: string | null;
}

/**
 * Processes a logged submission in one transaction: the log row ends in its outcome, together
 * with the card, its interaction, its files and the notification.
 */
export type TenantRow = typeof tenants.$inferSelect;

export async function tenantOf(db: Db, channel: ChannelRow): Promise<TenantRow> {
  const [tenant] = await db.select().from(tenants).where(eq(tenants.id, channel.tenantId));
  if (!tenant) throw new AppError('not_found', 'not_found.channel');
  return tenant;
}

export async function processSubmission(
  db: Db,
  channel: ChannelRow,
  tenant: TenantRow,
  submissionId: string,
  params: Params,
  fp: string,
  opts: ProcessOptions,
): Promise<IntakeResult> {
  // Custom-field definitions only when the mapping names a custom field.
  const definitions = Object.values(channel.mapping).some((t) => CUSTOM_TARGET.test(t)) ? await listDefinitions(db, channel.tenantId) : [];
  const actor: Actor = { tenantId: channel.tenantId, region: tenant.defaultRegion, userId: null, actorName: channel.name };
  const lang = channel.language ?? tenant.defaultLanguage;

  return db.transaction(async (tx) => {
    // Two copies of one submission at once (a double click): the second waits, then sees the first.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`${channel.id}:${fp}`}, 0))`);
    const finish = async (outcome: SubmissionOutcome, customerId: string | null, duplicate: boolean, problems: FieldErrorSpec[]) => {
      await tx
        .update(channelSubmissions)
        .set({ outcome, customerId, duplicate, problems })
        .where(eq(channelSubmissions.id, submissionId));
    };

    if (!opts.replay) {
      const [earlier] = await rows<{ customer_id: string | null; duplicate: boolean; customer_number: number | null }>(
        tx,
        sql`select s.customer_id, s.duplicate, c.customer_number
              from channel_submissions s left join customers c on c.id = s.customer_id
             where s.channel_id = ${channel.id} and s.fingerprint = ${fp} and s.id <> ${submissionId}
               and s.received_at > now() - make_interval(secs => ${REPEAT_WINDOW_SECONDS})
               and s.outcome in ('created', 'filled', 'renewed')
             order by s.received_at limit 1`,
      );
      if (earlier) {
        await finish('repeat', earlier.customer_id, earlier.duplicate, []);
        // The same files arrived with the first copy.
        if (opts.filesOf) await tx.delete(customerFiles).where(and(eq(customerFiles.submissionId, opts.filesOf), sql`${customerFiles.customerId} is null`));
        const reply = { id: earlier.customer_id, customerNumber: earlier.customer_number === null ? null : Number(earlier.customer_number), duplicate: earlier.duplicate };
        return { submissionId, outcome: 'repeat' as const, reply, rejected: null };
      }
    }

    const { fields, notes, problems } = mapSubmission(channel.mapping, params, definitions, tenant.defaultRegion);
    if (!identifies(fields)) {
      const refused = problems.length ? problems : [{ path: '', code: 'required' }];
      await finish('rejected', null, false, refused);
      return { submissionId, outcome: 'rejected' as const, reply: { id: null, customerNumber: null, duplicate: false }, rejected: refused };
    }
    const files = opts.filesOf
      ? await tx
          .select({ name: customerFiles.fileName })
          .from(customerFiles)
          .where(and(eq(customerFiles.submissionId, opts.filesOf), sql`${customerFiles.customerId} is null`))
      : [];
    const text = () => submissionText(params, files.map((f) => f.name), notes, problems, channel);

    const keys = {
      phones: [fields.phone, ...(fields.phones ?? [])].map((p) => normalizePhone(p, tenant.defaultRegion)).filter((p): p is string => !!p),
      emails: [fields.email, ...(fields.emails ?? [])].map(normalizeEmail).filter((e): e is string => !!e),
      idNumbers: [normalizeIdNumber(fields.idNumber, fields.idType)].filter((n): n is string => !!n),
    };
    let matches = await findMatches(tx, channel.tenantId, keys);
    let customerId: string | null = null;
    let customerNumber: number | null = null;
    let outcome: SubmissionOutcome = 'created';

    if (matches.length === 0) {
      const card: CustomerFields = { ...fields };
      if (!card.firstName && !card.lastName) card.lastName = NO_NAME;
      card.branchId ??= channel.branchId ?? undefined;
      if (!card.language && channel.language) card.language = channel.language as CustomerFields['language'];
      try {
        // createCustomer checks duplicates again under the tenant's number lock: two leads with one phone at once make one card.
        const created = await withoutRefused(card, problems, (f) =>
          createCustomer(tx, actor, f, { system: { status: 'new', websiteLastToken: 'hot_lead' } }),
        );
        customerId = created.id;
        customerNumber = created.customerNumber;
        if (notes.length) {
          await tx.insert(interactions).values({
            tenantId: channel.tenantId, customerId, type: 'note', subject: (NOTE[lang] ?? NOTE.en!)(channel.name), body: notes.join('\n'), createdBy: channel.name,
          });
        }
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'duplicate')) throw err;
        matches = (err.extra.body?.matches as DuplicateMatch[] | undefined) ?? [];
        if (matches.length === 0) throw err;
      }
    }

    if (!customerId) {
      const match = pick(matches);
      customerId = match.id;
      customerNumber = match.customerNumber;
      const [current] = (await tx.select().from(customers).where(eq(customers.id, match.id)).for('update')) as [CustomerRow];
      const fill = emptyFieldsFilled(current, fields);
      if (Object.keys(fill).length) await withoutRefused(fill, problems, (f) => updateCustomer(tx, actor, match.id, f));
      // The status rules decide (status-rules.ts): Not interested → New; any other status stays.
      const moved = await applyStatusEvent(tx, actor, match.id, 'lead_came_again');
      outcome = moved === 'new' ? 'renewed' : 'filled';
      await tx
        .update(customers)
        .set({ websiteLastToken: outcome === 'renewed' ? 'renewed' : 'hot_lead', updatedAt: sql`now()` })
        .where(and(eq(customers.tenantId, channel.tenantId), eq(customers.id, match.id)));
      await tx.insert(interactions).values({
        tenantId: channel.tenantId, customerId, type: 'alert', subject: (ALERT[lang] ?? ALERT.en!)(channel.name), body: text(), createdBy: channel.name,
      });
    }

    if (opts.filesOf && files.length) {
      await tx
        .update(customerFiles)
        .set({ customerId })
        .where(and(eq(customerFiles.submissionId, opts.filesOf), sql`${customerFiles.customerId} is null`));
    }
    await finish(outcome, customerId, outcome !== 'created', problems);
    if (channel.notifyEmails.length) {
      await enqueueNotification(tx, {
        tenantId: channel.tenantId,
        customerId: customerId!,
        templateKey: NEW_LEAD_TEMPLATE,
        addresses: channel.notifyEmails,
        language: lang,
        source: { channelId: channel.id, submissionId, outcome },
      });
    }
    return { submissionId, outcome, reply: { id: customerId, customerNumber, duplicate: outcome !== 'created' }, rejected: null };
  });
}

/** A submission from the outside: honeypot, log, then processing. */
export async function receive(db: Db, channel: ChannelRow, incoming: Incoming): Promise<IntakeResult> {
  const tenant = await tenantOf(db, channel);
  const fp = fingerprint(channel, incoming.params, incoming.files, tenant.defaultRegion);
  const trap = channel.honeypotField ? valuesOf(incoming.params, channel.honeypotField) : [];
  if (trap.length) {
    // Accepted silently: the sender (a bot) is told nothing; nothing is created.
    const submissionId = await logSubmission(db, channel, incoming, fp, { outcome: 'spam' });
    return { submissionId, outcome: 'spam', reply: { id: null, customerNumber: null, duplicate: false }, rejected: null };
  }
  const submissionId = await logSubmission(db, channel, incoming, fp);
  return processSubmission(db, channel, tenant, submissionId, incoming.params, fp, { replay: false, filesOf: incoming.files.length ? submissionId : null });
}

/** An admin's replay of a logged submission: a new log row pointing at it, processed as if it came now. */
export async function replay(db: Db, channel: ChannelRow, originalId: string): Promise<IntakeResult> {
  const [orig] = await db
    .select()
    .from(channelSubmissions)
    .where(and(eq(channelSubmissions.tenantId, channel.tenantId), eq(channelSubmissions.channelId, channel.id), eq(channelSubmissions.id, originalId)));
  if (!orig) throw new AppError('not_found', 'not_found.submission');
  const incoming: Incoming = { params: orig.params, files: [], ip: orig.ip, origin: orig.origin, userAgent: orig.userAgent, contentType: orig.contentType };
  const submissionId = await logSubmission(db, channel, incoming, orig.fingerprint, { replayOf: orig.id });
  return processSubmission(db, channel, await tenantOf(db, channel), submissionId, orig.params, orig.fingerprint, { replay: true, filesOf: orig.id });
}
