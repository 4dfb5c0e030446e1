import { createHash, randomUUID } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import {
  CUSTOM_TARGET, customerFields, isEmail, isValidIsraeliId, type CustomerFields, type CustomFieldDefinition, type DuplicateMatch,
  type IntakeReply, type StatusId, type SubmissionOutcome,
} from '@kesher/contracts';
import { hasOneConnection, rows, type Db } from '../../db/client.js';
import { AppError, invalid, type FieldErrorSpec } from '../../http/errors.js';
import { Batcher, settled, type Settled } from '../../jobs/batcher.js';
import { insertCustomers, updateCustomers } from '../customers/bulk.js';
import { cardValues, checkedCardValues, emptyFieldsFilled, type CustomerRow, type CustomerValues } from '../customers/card.js';
import { normalizePhone } from '../customers/normalize.js';
import { automaticMove, statusChangeSubject } from '../customers/status-rules.js';
import { customers } from '../customers/tables.js';
import { listDefinitions } from '../custom-fields/service.js';
import { keyStrings, keysOf, matchBatch, type IdentityKeys } from '../identity/index.js';
import { enqueueNotification, NEW_LEAD_TEMPLATE } from '../mail/index.js';
import { lockCustomerNumbers } from '../tenants/service.js';
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

interface LogEntry {
  /** Made by the caller, so a submission can be processed while its log row is being written. */
  id: string;
  channel: ChannelRow;
  incoming: Incoming;
  fp: string;
  outcome: 'received' | 'spam' | 'rate_limited';
  replayOf?: string | null;
}

/**
 * Writes submissions to their channels' logs as they came (and their files): one statement for
 * the batch, one for files. Committed on its own: a submission whose processing fails stays logged.
 */
export async function logSubmissions(db: Db, entries: LogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const batch = entries.map((e) => ({
    id: e.id,
    tenant_id: e.channel.tenantId,
    channel_id: e.channel.id,
    ip: e.incoming.ip,
    origin: e.incoming.origin,
    user_agent: e.incoming.userAgent?.slice(0, 500) ?? null,
    content_type: e.incoming.contentType?.slice(0, 200) ?? null,
    params: e.incoming.params,
    fingerprint: e.fp,
    outcome: e.outcome,
    replay_of: e.replayOf ?? null,
  }));
  // received_at per row (clock_timestamp), so a batch's submissions keep the order they came in.
  await db.execute(
    sql`insert into channel_submissions (id, tenant_id, channel_id, received_at, ip, origin, user_agent, content_type, params, fingerprint, outcome, replay_of)
        select t.id, t.tenant_id, t.channel_id, clock_timestamp(), t.ip, t.origin, t.user_agent, t.content_type, t.params, t.fingerprint, t.outcome, t.replay_of
          from jsonb_to_recordset(${JSON.stringify(batch)}::jsonb)
               as t(id uuid, tenant_id uuid, channel_id uuid, ip text, origin text, user_agent text, content_type text, params jsonb, fingerprint text, outcome text, replay_of uuid)`,
  );
  const files = entries.flatMap((e) =>
    e.incoming.files.map((f) => ({
      tenantId: e.channel.tenantId,
      submissionId: e.id,
      field: f.field.slice(0, 200),
      fileName: f.fileName.slice(0, 300) || 'file',
      contentType: f.contentType.slice(0, 200) || 'application/octet-stream',
      size: f.data.length,
      sha256: createHash('sha256').update(f.data).digest('hex'),
      data: f.data,
    })),
  );
  if (files.length) await db.insert(customerFiles).values(files);
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

/** What the intake needs of the channel's tenant (read with the channel: service.ts channelsForIntake). */
export type IntakeTenant = Pick<typeof tenants.$inferSelect, 'defaultRegion' | 'defaultLanguage'>;

/** A logged submission waiting to be processed. */
export interface Logged {
  channel: ChannelRow;
  tenant: IntakeTenant;
  submissionId: string;
  params: Params;
  fp: string;
  /** An admin's replay: no repeat window. */
  replay: boolean;
  /** Files to put on the card: those of this submission (a replay: of the one replayed); null = none came. */
  filesOf: string | null;
}

interface Prepared extends Logged, Mapped {
  keys: IdentityKeys;
  /** Identity keys as "tenant:kind:value", to keep two submissions of one person apart in a round. */
  keyStrings: string[];
  lang: string;
}

const NO_REPLY: IntakeReply = { id: null, customerNumber: null, duplicate: false };

/**
 * Leaves out of `fields` what the card rules refuse (a phone of a region the mapping could not
 * judge, an Israeli ID with a wrong check digit …), listing each as a problem; returns the values
 * to write. The lead itself is kept.
 */
function acceptable(fields: CustomerFields, current: CustomerRow | null, p: Prepared, definitions: CustomFieldDefinition[]): CustomerValues {
  let input: Record<string, unknown> = { ...fields };
  for (let attempt = 0; ; attempt++) {
    const { values, errors } = checkedCardValues(input as CustomerFields, current, p.tenant.defaultRegion, definitions);
    if (errors.length === 0) return values;
    if (attempt >= 2) throw invalid(errors); // never written half-checked: this submission fails alone
    const next: Record<string, unknown> = { ...input };
    for (const e of errors) {
      const [key, sub] = e.path.split('.');
      if (key === 'custom' && sub && next.custom) {
        const c = { ...(next.custom as Record<string, unknown>) };
        delete c[sub];
        next.custom = c;
      } else if (key) delete next[key];
      p.problems.push(e);
    }
    input = next;
  }
}

interface Interaction {
  tenant_id: string;
  customer_id: string;
  type: string;
  subject: string;
  body: string | null;
  created_by: string;
}

/**
 * Processes logged submissions, set-based: a round is one transaction for all of them — the
 * 5-minute repeat check, one identity query, one insert for the new cards (numbered under the
 * tenant's lock, the duplicate check under the same lock), one update for the cards found, one
 * insert for their timeline entries, one for the log's outcomes. Two submissions of one person
 * (a shared key, the same card found, the same submission twice) never share a round: the later
 * one waits for the next round, where it finds what the earlier one did. If a round fails, each
 * of its submissions is processed alone, so one bad submission fails only itself.
 */
export async function processLogged(db: Db, items: Logged[], logged: Promise<void> = Promise.resolve()): Promise<Settled<IntakeResult>[]> {
  const definitions = new Map<string, CustomFieldDefinition[]>();
  for (const tenantId of new Set(items.filter((it) => Object.values(it.channel.mapping).some((t) => CUSTOM_TARGET.test(t))).map((it) => it.channel.tenantId))) {
    definitions.set(tenantId, await listDefinitions(db, tenantId));
  }
  const prepared: Prepared[] = items.map((it) => {
    const mapped = mapSubmission(it.channel.mapping, it.params, definitions.get(it.channel.tenantId) ?? [], it.tenant.defaultRegion);
    const keys = keysOf(cardValues(mapped.fields, null, it.tenant.defaultRegion).values);
    const marks = keyStrings(keys).map((k) => `${it.channel.tenantId}:${k}`);
    return { ...it, ...mapped, keys, keyStrings: marks, lang: it.channel.language ?? it.tenant.defaultLanguage };
  });

  const results: Settled<IntakeResult>[] = new Array(items.length);
  let todo = prepared.map((_, i) => i);
  while (todo.length) {
    const round = todo;
    try {
      const { done, deferred } = await db.transaction((tx) => processRound(tx, round.map((i) => prepared[i]!), definitions, logged));
      round.forEach((i, k) => {
        const r = done[k];
        if (r) results[i] = { ok: true, value: r };
      });
      todo = deferred.map((k) => round[k]!);
    } catch (error) {
      if (round.length === 1) {
        results[round[0]!] = { ok: false, error };
        todo = [];
      } else {
        // Alone, each submission either goes through or fails by itself.
        for (const i of round) {
          try {
            const { done } = await db.transaction((tx) => processRound(tx, [prepared[i]!], definitions, logged));
            results[i] = { ok: true, value: done[0]! };
          } catch (err) {
            results[i] = { ok: false, error: err };
          }
        }
        todo = [];
      }
    }
  }
  return results;
}

/** One round (see processLogged): results for the submissions it took, and those it deferred (their indexes). */
async function processRound(
  tx: Db,
  listIn: Prepared[],
  definitions: Map<string, CustomFieldDefinition[]>,
  logged: Promise<void>,
): Promise<{ done: (IntakeResult | undefined)[]; deferred: number[] }> {
  // Problems found in this round stay with it (a round that fails is redone).
  const list = listIn.map((p) => ({ ...p, problems: [...p.problems] }));
  const done: (IntakeResult | undefined)[] = new Array(list.length);
  const deferred: number[] = [];
  const take: number[] = [];
  const seen = new Set<string>();
  list.forEach((p, k) => {
    const marks = [`fp:${p.channel.id}:${p.fp}`, ...p.keyStrings];
    if (marks.some((m) => seen.has(m))) deferred.push(k);
    else {
      marks.forEach((m) => seen.add(m));
      take.push(k);
    }
  });
  // The tenant's number row, as createCustomer takes it: a tenant's intake rounds (from every
  // server process) and its new cards go one at a time, so the repeat check and the duplicate
  // check below see everything committed before, and no card of these people appears meanwhile.
  const defaultBranch = await lockCustomerNumbers(
    tx,
    take.map((k) => list[k]!.channel.tenantId),
  );

  // The same submission within 5 minutes counts once (not for a replay).
  const check = take.filter((k) => !list[k]!.replay);
  const earlier = new Map<string, { customer_id: string | null; duplicate: boolean; customer_number: number | null }>();
  if (check.length) {
    const found = await rows<{ channel_id: string; fingerprint: string; customer_id: string | null; duplicate: boolean; customer_number: number | null }>(
      tx,
      sql`select distinct on (s.channel_id, s.fingerprint) s.channel_id, s.fingerprint, s.customer_id, s.duplicate, c.customer_number
            from unnest(${sql.param(check.map((k) => list[k]!.channel.id))}::uuid[], ${sql.param(check.map((k) => list[k]!.fp))}::text[]) as w(channel_id, fingerprint)
            join channel_submissions s on s.channel_id = w.channel_id and s.fingerprint = w.fingerprint
            left join customers c on c.id = s.customer_id
           where s.received_at > now() - make_interval(secs => ${REPEAT_WINDOW_SECONDS})
             and s.outcome in ('created', 'filled', 'renewed')
           order by s.channel_id, s.fingerprint, s.received_at`,
    );
    for (const f of found) earlier.set(`${f.channel_id}:${f.fingerprint}`, f);
  }

  type Outcome = { k: number; outcome: SubmissionOutcome; customerId: string | null; duplicate: boolean; problems: FieldErrorSpec[] };
  const outcomes: Outcome[] = [];
  const dropFiles: string[] = [];
  const candidates: number[] = [];
  for (const k of take) {
    const p = list[k]!;
    const e = p.replay ? undefined : earlier.get(`${p.channel.id}:${p.fp}`);
    if (e) {
      // The same files arrived with the first copy.
      if (p.filesOf) dropFiles.push(p.filesOf);
      outcomes.push({ k, outcome: 'repeat', customerId: e.customer_id, duplicate: e.duplicate, problems: [] });
      const reply = { id: e.customer_id, customerNumber: e.customer_number === null ? null : Number(e.customer_number), duplicate: e.duplicate };
      done[k] = { submissionId: p.submissionId, outcome: 'repeat', reply, rejected: null };
    } else if (!identifies(p.fields)) {
      const refused = p.problems.length ? p.problems : [{ path: '', code: 'required' }];
      outcomes.push({ k, outcome: 'rejected', customerId: null, duplicate: false, problems: refused });
      done[k] = { submissionId: p.submissionId, outcome: 'rejected', reply: NO_REPLY, rejected: refused };
    } else candidates.push(k);
  }

  const interactionRows: Interaction[] = [];
  const attach: { submission: string; customer: string }[] = [];
  const notify: { k: number; customerId: string; outcome: SubmissionOutcome }[] = [];
  const byTenant = new Map<string, number[]>();
  for (const k of candidates) {
    const tenantId = list[k]!.channel.tenantId;
    if (byTenant.has(tenantId)) byTenant.get(tenantId)!.push(k);
    else byTenant.set(tenantId, [k]);
  }

  if (byTenant.size) {
    // The names of the files that came, for the timeline.
    const names = new Map<string, string[]>();
    const withFiles = [...new Set(candidates.map((k) => list[k]!.filesOf).filter((s): s is string => !!s))];
    if (withFiles.length) {
      const found = await rows<{ submission_id: string; file_name: string }>(
        tx,
        sql`select submission_id, file_name from customer_files where submission_id = any(${sql.param(withFiles)}::uuid[]) and customer_id is null order by created_at, id`,
      );
      for (const f of found) names.set(f.submission_id, [...(names.get(f.submission_id) ?? []), f.file_name]);
    }
    const text = (p: Prepared) => submissionText(p.params, p.filesOf ? (names.get(p.filesOf) ?? []) : [], p.notes, p.problems, p.channel);

    for (const [tenantId, ks] of byTenant) {
      const defs = definitions.get(tenantId) ?? [];
      const matches = await matchBatch(
        tx,
        tenantId,
        ks.map((k) => list[k]!.keys),
      );
      const creates: number[] = [];
      const fills: { k: number; target: DuplicateMatch }[] = [];
      const targets = new Set<string>();
      ks.forEach((k, j) => {
        const found = matches.get(j) ?? [];
        if (found.length === 0) creates.push(k);
        else {
          const target = pick(found);
          // Two submissions that find one card: the later one fills it next round, as the earlier one left it.
          if (targets.has(target.id)) deferred.push(k);
          else {
            targets.add(target.id);
            fills.push({ k, target });
          }
        }
      });

      const cards = creates.map((k) => {
        const p = list[k]!;
        const card: CustomerFields = { ...p.fields };
        if (!card.firstName && !card.lastName) card.lastName = NO_NAME;
        if (!card.language && p.channel.language) card.language = p.channel.language as CustomerFields['language'];
        const values = acceptable(card, null, p, defs);
        return {
          ...values,
          custom: values.custom ?? {},
          branchId: p.channel.branchId ?? defaultBranch.get(tenantId) ?? null,
          status: 'new',
          websiteLastToken: 'hot_lead',
          createdBy: p.channel.name,
          createdByUserId: null,
        };
      });
      const made = await insertCustomers(tx, tenantId, cards);
      creates.forEach((k, j) => {
        const p = list[k]!;
        const { id, customerNumber } = made[j]!;
        if (p.notes.length) interactionRows.push({ tenant_id: tenantId, customer_id: id, type: 'note', subject: (NOTE[p.lang] ?? NOTE.en!)(p.channel.name), body: p.notes.join('\n'), created_by: p.channel.name });
        outcomes.push({ k, outcome: 'created', customerId: id, duplicate: false, problems: p.problems });
        done[k] = { submissionId: p.submissionId, outcome: 'created', reply: { id, customerNumber, duplicate: false }, rejected: null };
        if (p.filesOf) attach.push({ submission: p.filesOf, customer: id });
        notify.push({ k, customerId: id, outcome: 'created' });
      });

      if (fills.length) {
        const current = (await tx
          .select()
          .from(customers)
          .where(and(eq(customers.tenantId, tenantId), inArray(customers.id, fills.map((f) => f.target.id))))
          .orderBy(customers.id)
          .for('update')) as CustomerRow[];
        const states = new Map(current.map((c) => [c.id, c]));
        const changes: { id: string; values: CustomerValues }[] = [];
        for (const { k, target } of fills) {
          const p = list[k]!;
          const state = states.get(target.id);
          if (!state) {
            deferred.push(k); // deleted since the match: next round decides again
            continue;
          }
          const fill = emptyFieldsFilled(state, p.fields);
          const values: CustomerValues = Object.keys(fill).length ? acceptable(fill, state, p, defs) : {};
          // The status rules decide (status-rules.ts): Not interested → New; any other status stays.
          const to = automaticMove(state.status as StatusId, 'lead_came_again');
          const outcome: SubmissionOutcome = to === 'new' ? 'renewed' : 'filled';
          if (to) {
            values.status = to;
            interactionRows.push({ tenant_id: tenantId, customer_id: state.id, type: 'system', subject: statusChangeSubject(state.status, to), body: null, created_by: p.channel.name });
          }
          values.websiteLastToken = outcome === 'renewed' ? 'renewed' : 'hot_lead';
          changes.push({ id: state.id, values });
          interactionRows.push({ tenant_id: tenantId, customer_id: state.id, type: 'alert', subject: (ALERT[p.lang] ?? ALERT.en!)(p.channel.name), body: text(p), created_by: p.channel.name });
          outcomes.push({ k, outcome, customerId: state.id, duplicate: true, problems: p.problems });
          done[k] = { submissionId: p.submissionId, outcome, reply: { id: state.id, customerNumber: target.customerNumber, duplicate: true }, rejected: null };
          if (p.filesOf) attach.push({ submission: p.filesOf, customer: state.id });
          notify.push({ k, customerId: state.id, outcome });
        }
        await updateCustomers(tx, tenantId, changes);
      }
    }
  }

  // The round's closing writes in one statement: timeline entries, files onto their cards (a
  // repeat's copies dropped), and every submission's outcome in the log.
  await logged; // the log rows the outcomes go to
  const finished = outcomes.map((o) => ({ id: list[o.k]!.submissionId, outcome: o.outcome, customer_id: o.customerId, duplicate: o.duplicate, problems: o.problems }));
  await tx.execute(
    sql`with entries as (
          insert into interactions (tenant_id, customer_id, type, subject, body, created_by)
          select t.tenant_id, t.customer_id, t.type, t.subject, t.body, t.created_by
            from jsonb_to_recordset(${JSON.stringify(interactionRows)}::jsonb)
                 as t(tenant_id uuid, customer_id uuid, type text, subject text, body text, created_by text)
        ), attached as (
          update customer_files f set customer_id = t.customer
            from unnest(${sql.param(attach.map((a) => a.submission))}::uuid[], ${sql.param(attach.map((a) => a.customer))}::uuid[]) as t(submission, customer)
           where f.submission_id = t.submission and f.customer_id is null
        ), dropped as (
          delete from customer_files where submission_id = any(${sql.param(dropFiles)}::uuid[]) and customer_id is null
        )
        update channel_submissions s set outcome = t.outcome, customer_id = t.customer_id, duplicate = t.duplicate, problems = t.problems
          from jsonb_to_recordset(${JSON.stringify(finished)}::jsonb) as t(id uuid, outcome text, customer_id uuid, duplicate boolean, problems jsonb)
         where s.id = t.id`,
  );
  for (const n of notify) {
    const p = list[n.k]!;
    if (!p.channel.notifyEmails.length) continue;
    await enqueueNotification(tx, {
      tenantId: p.channel.tenantId,
      customerId: n.customerId,
      templateKey: NEW_LEAD_TEMPLATE,
      addresses: p.channel.notifyEmails,
      language: p.lang,
      source: { channelId: p.channel.id, submissionId: p.submissionId, outcome: n.outcome },
    });
  }
  return { done, deferred };
}

export interface Submission {
  channel: ChannelRow;
  tenant: IntakeTenant;
  incoming: Incoming;
}

const spamResult = (submissionId: string): IntakeResult => ({ submissionId, outcome: 'spam', reply: NO_REPLY, rejected: null });

/**
 * Submissions from the outside, in one go: the log, the honeypot, then processing. The log is
 * written on its own connection while the processing round starts (it only has to be there
 * before the round records the outcomes), so it adds no wait — except for files, which the round
 * reads (a batch with files is logged first), and on a database with one connection.
 */
export async function receiveMany(db: Db, batch: Submission[]): Promise<Settled<IntakeResult>[]> {
  const entries = batch.map(({ channel, tenant, incoming }) => {
    const fp = fingerprint(channel, incoming.params, incoming.files, tenant.defaultRegion);
    // A filled honeypot: accepted silently (the sender, a bot, is told nothing); nothing is created.
    const spam = channel.honeypotField ? valuesOf(incoming.params, channel.honeypotField).length > 0 : false;
    return { id: randomUUID(), channel, tenant, incoming, fp, outcome: spam ? ('spam' as const) : ('received' as const) };
  });
  const logging = logSubmissions(db, entries);
  logging.catch(() => {}); // awaited below; this only keeps an early failure from counting as unhandled
  if (hasOneConnection(db) || entries.some((e) => e.incoming.files.length)) await logging;
  const pending: Logged[] = entries
    .filter((e) => e.outcome === 'received')
    .map((e) => ({ channel: e.channel, tenant: e.tenant, submissionId: e.id, params: e.incoming.params, fp: e.fp, replay: false, filesOf: e.incoming.files.length ? e.id : null }));
  const processed = await processLogged(db, pending, logging);
  await logging;
  let j = 0;
  return entries.map((e) => (e.outcome === 'spam' ? settled(spamResult(e.id)) : processed[j++]!));
}

/**
 * The port's intake for one server process: concurrent submissions are received together
 * (group commit, jobs/batcher.ts), so a burst costs a few statements per batch, not per lead.
 */
export class Intake {
  private readonly batcher: Batcher<Submission, IntakeResult>;

  constructor(db: Db, opts: { maxBatch?: number } = {}) {
    this.batcher = new Batcher((batch) => receiveMany(db, batch), { maxBatch: opts.maxBatch ?? 200 });
  }

  receive(submission: Submission): Promise<IntakeResult> {
    return this.batcher.submit(submission);
  }
}

/**
 * Logs a submission that passed the token check but was refused for rate (429): nothing is
 * processed, the lead stays in the channel's log (outcome `rate_limited`) for an admin to replay.
 */
export async function logRateLimited(db: Db, submission: Submission): Promise<string> {
  const { channel, tenant, incoming } = submission;
  const id = randomUUID();
  await logSubmissions(db, [{ id, channel, incoming, fp: fingerprint(channel, incoming.params, incoming.files, tenant.defaultRegion), outcome: 'rate_limited' }]);
  return id;
}

/** An admin's replay of a logged submission: a new log row pointing at it, processed as if it came now. */
export async function replay(db: Db, channel: ChannelRow, originalId: string): Promise<IntakeResult> {
  const [orig] = await db
    .select()
    .from(channelSubmissions)
    .where(and(eq(channelSubmissions.tenantId, channel.tenantId), eq(channelSubmissions.channelId, channel.id), eq(channelSubmissions.id, originalId)));
  if (!orig) throw new AppError('not_found', 'not_found.submission');
  const [tenant] = await db.select({ defaultRegion: tenants.defaultRegion, defaultLanguage: tenants.defaultLanguage }).from(tenants).where(eq(tenants.id, channel.tenantId));
  if (!tenant) throw new AppError('not_found', 'not_found.channel');
  const incoming: Incoming = { params: orig.params, files: [], ip: orig.ip, origin: orig.origin, userAgent: orig.userAgent, contentType: orig.contentType };
  const submissionId = randomUUID();
  await logSubmissions(db, [{ id: submissionId, channel, incoming, fp: orig.fingerprint, outcome: 'received', replayOf: orig.id }]);
  const [result] = await processLogged(db, [{ channel, tenant, submissionId, params: orig.params, fp: orig.fingerprint, replay: true, filesOf: orig.id }]);
  if (!result!.ok) throw result!.error;
  return result!.value;
}
