import { sql } from 'drizzle-orm';
import type { Submission, SubmissionFile, SubmissionOutcome, SubmissionPage } from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import { AppError, invalid, localizeFields, notFound } from '../../http/errors.js';

/** The channel's log as admins read it, and the files that came with submissions. */
interface Row {
  id: string;
  channel_id: string;
  received_at: string | Date;
  ip: string | null;
  origin: string | null;
  user_agent: string | null;
  content_type: string | null;
  params: Submission['params'];
  outcome: SubmissionOutcome;
  customer_id: string | null;
  customer_number: number | null;
  duplicate: boolean;
  problems: { path: string; code: string; params?: Record<string, string | number> }[];
  replay_of: string | null;
  files: SubmissionFile[] | null;
}

const iso = (v: string | Date) => new Date(v).toISOString();

function present(r: Row, lang: string): Submission {
  return {
    id: r.id,
    channelId: r.channel_id,
    receivedAt: iso(r.received_at),
    ip: r.ip,
    origin: r.origin,
    userAgent: r.user_agent,
    contentType: r.content_type,
    params: r.params,
    files: r.files ?? [],
    outcome: r.outcome,
    customerId: r.customer_id,
    customerNumber: r.customer_number === null ? null : Number(r.customer_number),
    duplicate: r.duplicate,
    problems: localizeFields(lang, r.problems),
    replayOf: r.replay_of,
  };
}

const select = sql`
  select s.id, s.channel_id, s.received_at, s.ip, s.origin, s.user_agent, s.content_type, s.params, s.outcome,
         s.customer_id, c.customer_number, s.duplicate, s.problems, s.replay_of,
         (select json_agg(json_build_object('id', f.id, 'field', f.field, 'fileName', f.file_name, 'contentType', f.content_type, 'size', f.size) order by f.created_at, f.id)
            from customer_files f where f.submission_id = s.id) as files
    from channel_submissions s left join customers c on c.id = s.customer_id`;

async function ensureChannel(db: Db, tenantId: string, channelId: string): Promise<void> {
  const [found] = await rows<{ id: string }>(db, sql`select id from channels where tenant_id = ${tenantId} and id = ${channelId}`);
  if (!found) throw new AppError('not_found', 'not_found.channel');
}

/** Newest first, paged by (received_at, id). */
export async function listSubmissions(
  db: Db,
  tenantId: string,
  channelId: string,
  query: { outcome?: SubmissionOutcome | undefined; cursor?: string | undefined; limit: number },
  lang: string,
): Promise<SubmissionPage> {
  await ensureChannel(db, tenantId, channelId);
  const where = [sql`s.tenant_id = ${tenantId}`, sql`s.channel_id = ${channelId}`];
  if (query.outcome) where.push(sql`s.outcome = ${query.outcome}`);
  if (query.cursor) {
    const [at, id] = decode(query.cursor);
    where.push(sql`(s.received_at, s.id) < (${at}::timestamptz, ${id}::uuid)`);
  }
  const list = await rows<Row>(db, sql`${select} where ${sql.join(where, sql` and `)} order by s.received_at desc, s.id desc limit ${query.limit + 1}`);
  const page = list.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => present(r, lang)),
    nextCursor: list.length > query.limit && last ? Buffer.from(JSON.stringify([iso(last.received_at), last.id])).toString('base64url') : null,
  };
}

export async function getSubmission(db: Db, tenantId: string, channelId: string, id: string, lang: string): Promise<Submission> {
  const [r] = await rows<Row>(db, sql`${select} where s.tenant_id = ${tenantId} and s.channel_id = ${channelId} and s.id = ${id}`);
  if (!r) throw new AppError('not_found', 'not_found.submission');
  return present(r, lang);
}

function decode(cursor: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && typeof v[0] === 'string' && !Number.isNaN(Date.parse(v[0])) && typeof v[1] === 'string' && /^[0-9a-f-]{36}$/i.test(v[1])) return [v[0], v[1]];
  } catch {
    // fall through
  }
  throw invalid([{ path: 'cursor', code: 'invalid' }]);
}

const toBuffer = (v: Buffer | Uint8Array) => (Buffer.isBuffer(v) ? v : Buffer.from(v));

export async function submissionFile(db: Db, tenantId: string, channelId: string, submissionId: string, fileId: string) {
  const [f] = await rows<{ file_name: string; data: Buffer | Uint8Array }>(
    db,
    sql`select f.file_name, f.data from customer_files f join channel_submissions s on s.id = f.submission_id
         where f.tenant_id = ${tenantId} and s.channel_id = ${channelId} and f.submission_id = ${submissionId} and f.id = ${fileId}`,
  );
  if (!f) throw new AppError('not_found', 'not_found.file');
  return { fileName: f.file_name, data: toBuffer(f.data) };
}

export async function listCustomerFiles(db: Db, tenantId: string, customerId: string): Promise<(SubmissionFile & { createdAt: string })[]> {
  const [c] = await rows<{ id: string }>(db, sql`select id from customers where tenant_id = ${tenantId} and id = ${customerId}`);
  if (!c) throw notFound('customer');
  const list = await rows<{ id: string; field: string; file_name: string; content_type: string; size: number; created_at: string | Date }>(
    db,
    sql`select id, field, file_name, content_type, size, created_at from customer_files
         where tenant_id = ${tenantId} and customer_id = ${customerId} order by created_at desc, id limit 500`,
  );
  return list.map((f) => ({ id: f.id, field: f.field, fileName: f.file_name, contentType: f.content_type, size: Number(f.size), createdAt: iso(f.created_at) }));
}

export async function customerFile(db: Db, tenantId: string, customerId: string, fileId: string) {
  const [f] = await rows<{ file_name: string; data: Buffer | Uint8Array }>(
    db,
    sql`select file_name, data from customer_files where tenant_id = ${tenantId} and customer_id = ${customerId} and id = ${fileId}`,
  );
  if (!f) throw new AppError('not_found', 'not_found.file');
  return { fileName: f.file_name, data: toBuffer(f.data) };
}
