import { and, eq, inArray, sql } from 'drizzle-orm';
import type { DuplicateMatch, ImportOutcome, ImportPolicy, ImportRowAction, StatusId } from '@kesher/contracts';
import { rows, type Db } from '../../db/client.js';
import { copyRows } from '../../db/copy.js';
import { insertCustomers, updateCustomers } from '../customers/bulk.js';
import { checkedCardValues, emptyFieldsFilled, type CustomerRow, type CustomerValues } from '../customers/card.js';
import { automaticMove, statusChangeSubject } from '../customers/status-rules.js';
import { customers } from '../customers/tables.js';
import { keyStrings, matchBatch } from '../identity/index.js';
import { lockCustomerNumbers } from '../tenants/service.js';
import type { PreparedRow, RowContext, RowProblem } from './rows.js';

/**
 * One batch of an import: set-based duplicate matching (one identity query for the whole batch,
 * one query for "created by this import"), the decision for every row, then bulk writes — one
 * insert for the new cards, one update for the filled / renewed ones, one insert for the status
 * interactions, one for the rows' outcomes — all in the caller's transaction.
 */
export interface EngineContext extends RowContext {
  tenantId: string;
  importId: string | null;
  engineName: string;
  userId: string | null;
  policy: ImportPolicy;
  overrides: Record<string, ImportRowAction>;
  allowDuplicates: boolean;
  defaultBranchId: string | null;
  /**
   * The cards this import created, when the run saw every one of them being made (it started
   * at the file's first row): "created here" is then answered from memory instead of a query.
   */
  created?: CreatedCards;
}

/**
 * The cards an import run created, as the numbered spans each batch reserved (customer numbers
 * first … first + n − 1, in row order): which row made a given customer number. 4 bytes a card.
 */
export class CreatedCards {
  private readonly spans: { first: number; rows: Int32Array }[] = [];
  add(first: number, rows: number[]): void {
    if (rows.length) this.spans.push({ first, rows: Int32Array.from(rows) });
  }
  /** The row that created customer `number`, if this run created it. */
  rowOf(number: number): number | undefined {
    const { spans } = this;
    let lo = 0;
    let hi = spans.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = spans[mid]!;
      if (number < s.first) hi = mid - 1;
      else if (number >= s.first + s.rows.length) lo = mid + 1;
      else return s.rows[number - s.first];
    }
    return undefined;
  }
}

export interface RowDecision {
  row: number;
  outcome: ImportOutcome;
  /** Why a row was skipped (duplicate, duplicate_in_file, nothing_to_fill, not_renewable, by_choice). */
  reason: string | null;
  reasonParams?: Record<string, string | number>;
  problems: RowProblem[];
  matches: DuplicateMatch[];
  duplicateOfRow: number | null;
  customerId: string | null;
  customerNumber: number | null;
  name: string | null;
  /** For a filled / renewed card: the previous values of the columns this row changed (snake_case). */
  previous: Record<string, unknown> | null;
}

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Decides every row of a batch and, unless `dryRun`, writes the outcome. */
export async function runBatch(tx: Db, ctx: EngineContext, batch: PreparedRow[], opts: { dryRun?: boolean } = {}): Promise<RowDecision[]> {
  // The tenant's number row first, as every creator takes it: no card of these people can appear
  // between the check and the insert (a lead through the Web Data Port, say), and the locks are
  // taken in one order everywhere — tenant, then cards — so an import and the port never deadlock.
  if (!opts.dryRun) await lockCustomerNumbers(tx, [ctx.tenantId]);
  const valid = batch.filter((r) => r.problems.length === 0);
  const matchesOf = await matchBatch(
    tx,
    ctx.tenantId,
    valid.map((r) => r.keys),
  );
  const matchByRow = new Map<number, DuplicateMatch[]>();
  valid.forEach((r, i) => matchByRow.set(r.row, matchesOf.get(i) ?? []));

  // Cards this import created in an earlier batch are in-file duplicates, not existing customers.
  const createdHere = new Map<string, number>();
  if (ctx.importId && ctx.created) {
    for (const list of matchByRow.values()) {
      for (const m of list) {
        const row = ctx.created.rowOf(m.customerNumber);
        if (row !== undefined) createdHere.set(m.id, row);
      }
    }
  } else if (ctx.importId) {
    const matchedIds = [...new Set([...matchByRow.values()].flat().map((m) => m.id))];
    const found = matchedIds.length
      ? await rows<{ customer_id: string; row_number: number }>(
          tx,
          sql`select customer_id, row_number from import_rows
               where import_id = ${ctx.importId} and outcome = 'created' and customer_id = any(${sql.param(matchedIds)}::uuid[])`,
        )
      : [];
    for (const f of found) createdHere.set(f.customer_id, f.row_number);
  }

  const decisions: RowDecision[] = [];
  const seen = new Map<string, number>(); // identity key → the row of this batch that creates it
  const creates: { row: PreparedRow; decision: RowDecision }[] = [];
  const updates: { row: PreparedRow; decision: RowDecision; target: string; action: 'fill' | 'renew' }[] = [];

  for (const r of batch) {
    const d: RowDecision = {
      row: r.row,
      outcome: 'rejected',
      reason: null,
      problems: r.problems,
      matches: [],
      duplicateOfRow: null,
      customerId: null,
      customerNumber: null,
      name: r.name,
      previous: null,
    };
    decisions.push(d);
    if (r.problems.length) continue;
    const override = ctx.overrides[String(r.row)];
    const all = matchByRow.get(r.row) ?? [];
    const inFile = all.find((m) => createdHere.has(m.id));
    const existing = all.filter((m) => !createdHere.has(m.id));
    d.matches = existing;
    const keys = keyStrings(r.keys);
    const earlier = inFile ? createdHere.get(inFile.id)! : keys.map((k) => seen.get(k)).find((n) => n !== undefined);
    const create = () => {
      d.outcome = 'created';
      for (const k of keys) if (!seen.has(k)) seen.set(k, r.row);
      creates.push({ row: r, decision: d });
    };
    if (earlier !== undefined) {
      d.duplicateOfRow = earlier;
      if (override === 'create' && ctx.allowDuplicates) create();
      else skip(d, 'duplicate_in_file', { row: earlier });
      continue;
    }
    if (existing.length === 0) {
      if (override === 'skip') skip(d, 'by_choice');
      else create();
      continue;
    }
    const action = override === 'create' && !ctx.allowDuplicates ? ctx.policy : (override ?? ctx.policy);
    const target = existing[0]!;
    d.customerId = target.id;
    d.customerNumber = target.customerNumber;
    if (action === 'create') create();
    else if (action === 'skip') skip(d, override === 'skip' ? 'by_choice' : 'duplicate', { number: target.customerNumber });
    else updates.push({ row: r, decision: d, target: target.id, action });
  }

  // Fill / renew, in row order on the cards as each earlier row left them.
  const changed = new Map<string, { state: CustomerRow; values: CustomerValues }>();
  const statusMoves: { customerId: string; from: string; to: string }[] = [];
  if (updates.length) {
    const ids = [...new Set(updates.map((u) => u.target))];
    const current = await (opts.dryRun
      ? tx.select().from(customers).where(and(eq(customers.tenantId, ctx.tenantId), inArray(customers.id, ids)))
      : tx.select().from(customers).where(and(eq(customers.tenantId, ctx.tenantId), inArray(customers.id, ids))).for('update'));
    const states = new Map(current.map((c) => [c.id, c]));
    for (const u of updates) {
      const state = changed.get(u.target)?.state ?? states.get(u.target);
      const d = u.decision;
      if (!state) {
        skip(d, 'duplicate', { number: d.customerNumber ?? 0 });
        continue;
      }
      let values: CustomerValues = {};
      if (u.action === 'fill') {
        const fill = emptyFieldsFilled(state, u.row.fields);
        if (Object.keys(fill).length === 0) {
          skip(d, 'nothing_to_fill', { number: state.customerNumber });
          continue;
        }
        values = checkedCardValues(fill, state, ctx.region, ctx.definitions).values;
        d.outcome = 'filled';
      } else {
        const to = automaticMove(state.status as StatusId, 'import_renew');
        if (to) {
          values = { status: to, websiteLastToken: 'renewed' };
          statusMoves.push({ customerId: state.id, from: state.status, to });
        } else if (state.status === 'new' && state.websiteLastToken !== 'renewed') {
          values = { websiteLastToken: 'renewed' };
        } else {
          skip(d, state.status === 'new' ? 'already_renewed' : 'not_renewable', { number: state.customerNumber, status: state.status });
          continue;
        }
        d.outcome = 'renewed';
      }
      const previous: Record<string, unknown> = {};
      for (const k of Object.keys(values)) previous[snake(k)] = (state as Record<string, unknown>)[k] ?? null;
      d.previous = previous;
      const entry = changed.get(u.target) ?? { state, values: {} };
      entry.state = { ...state, ...values } as CustomerRow;
      entry.values = { ...entry.values, ...values };
      changed.set(u.target, entry);
    }
  }
  if (opts.dryRun) return decisions;

  const made = await insertCustomers(
    tx,
    ctx.tenantId,
    creates.map(({ row }) => ({
      ...row.values,
      branchId: row.values.branchId ?? ctx.defaultBranchId,
      status: 'new',
      createdBy: ctx.engineName,
      createdByUserId: ctx.userId,
    })),
  );
  creates.forEach(({ decision }, i) => {
    decision.customerId = made[i]!.id;
    decision.customerNumber = made[i]!.customerNumber;
  });
  if (made.length) ctx.created?.add(made[0]!.customerNumber, creates.map((c) => c.row.row));
  await updateCustomers(
    tx,
    ctx.tenantId,
    [...changed].map(([id, c]) => ({ id, values: c.values })),
  );
  if (statusMoves.length) {
    await tx.execute(
      sql`insert into interactions (tenant_id, customer_id, type, subject, created_by, created_by_user_id)
          select ${ctx.tenantId}::uuid, t.customer_id, 'system', t.subject, ${ctx.engineName}, ${ctx.userId}::uuid
            from jsonb_to_recordset(${JSON.stringify(statusMoves.map((m) => ({ customer_id: m.customerId, subject: statusChangeSubject(m.from, m.to) })))}::jsonb)
                 as t(customer_id uuid, subject text)`,
    );
  }
  if (ctx.importId) await recordRows(tx, ctx.importId, decisions);
  return decisions;
}

function skip(d: RowDecision, reason: string, params?: Record<string, string | number>) {
  d.outcome = 'skipped';
  d.reason = reason;
  if (params) d.reasonParams = params;
}

/** The rows' outcomes, with one COPY (a row redone after a takeover replaces its record: the batch's rows are cleared first). */
async function recordRows(tx: Db, importId: string, decisions: RowDecision[]): Promise<void> {
  if (decisions.length === 0) return;
  const first = decisions[0]!.row;
  const last = decisions[decisions.length - 1]!.row;
  await tx.execute(sql`delete from import_rows where import_id = ${importId} and row_number between ${Math.min(first, last)} and ${Math.max(first, last)}`);
  await copyRows(
    tx,
    'import_rows',
    ['import_id', 'row_number', 'outcome', 'customer_id', 'customer_number', 'name', 'reason', 'problems', 'previous'],
    decisions.map((d) => [
      importId,
      d.row,
      d.outcome,
      d.customerId,
      d.customerNumber,
      d.name,
      d.reason,
      // jsonb columns: JSON text (an array given as such would be written as a text[] literal).
      d.problems.length ? JSON.stringify(d.problems) : d.reasonParams ? JSON.stringify([{ column: null, field: null, code: d.reason, params: d.reasonParams }]) : null,
      d.previous && JSON.stringify(d.previous),
    ]),
  );
}
