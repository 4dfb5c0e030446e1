import { sql, type SQL } from 'drizzle-orm';
import { customerListQuery, type CustomerListQuery, type StatusId } from '@kesher/contracts';
import { rows, type Db } from '../apps/server/src/db/client.js';
import { countCustomers, listCustomers } from '../apps/server/src/modules/customers/list.js';
import { findMatches } from '../apps/server/src/modules/identity/index.js';
import { rng } from '../apps/server/src/modules/demo/builders.js';
import type { BenchTenant } from './generate.js';

/**
 * What the benchmark times, as cases: each builds input `i` (a different customer or query per
 * iteration, so no single cached row flatters the numbers) and the call to time. Every lookup
 * goes through the product's own functions: listCustomers with `q` is what the search box runs.
 */

export interface Sample {
  id: string;
  customerNumber: number;
  firstName: string | null;
  lastName: string | null;
  phonesNorm: string[];
  emailsNorm: string[];
  email: string | null;
  idNumber: string | null;
  idType: string | null;
  idNumberNorm: string | null;
  country: string | null;
}

/** Up to `size` customers picked at random by number (the same ones for a given seed). */
export async function loadSample(db: Db, tenantId: string, count: number, size = 2000, seed = 7): Promise<Sample[]> {
  const r = rng(seed);
  const numbers = Array.from({ length: size }, () => 1 + Math.floor(r() * count));
  const found = await rows<Sample>(
    db,
    sql`select id, customer_number as "customerNumber", first_name as "firstName", last_name as "lastName",
               phones_norm as "phonesNorm", emails_norm as "emailsNorm", email, id_number as "idNumber",
               id_type as "idType", id_number_norm as "idNumberNorm", country
          from customers where tenant_id = ${tenantId} and customer_number = any(${sql.param(numbers)}::bigint[])`,
  );
  return found.map((s) => ({ ...s, customerNumber: Number(s.customerNumber) }));
}

export interface Call {
  /** What this input was, for the EXPLAIN of the slowest one. */
  label: string;
  run: (db: Db) => Promise<unknown>;
}

export interface Case {
  group: string;
  name: string;
  /** p95 target in ms. */
  target?: number;
  input: (i: number) => Call;
  /** For exact lookups: whether input i found the customer it was made from. */
  found?: (i: number, result: unknown) => boolean;
}

// ---- typing a value the way a person would ----

/** The stored E.164 number typed another way: `050-123 4567`, `0501234567`, `+972 50-123-4567`, `001 212 555 1234` … */
export function typedPhone(e164: string, variant: number): string {
  if (e164.startsWith('+972')) {
    const national = `0${e164.slice(4)}`;
    const split = national.length === 10 ? 3 : 2; // 050-… mobiles, 03-… landlines
    const [a, b] = [national.slice(0, split), national.slice(split)];
    return [`${a}-${b.slice(0, 3)} ${b.slice(3)}`, national, `+972 ${a.slice(1)}-${b.slice(0, 3)}-${b.slice(3)}`][variant % 3]!;
  }
  if (e164.startsWith('+1')) {
    const d = e164.slice(2);
    return [`+1 ${d.slice(0, 3)} ${d.slice(3, 6)} ${d.slice(6)}`, `001-${d.slice(0, 3)}-${d.slice(3, 6)}-${d.slice(6)}`, `+1 (${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`][variant % 3]!;
  }
  return e164;
}

/** The email with other capitals: `User17@Example.co.il`, `USER17@EXAMPLE.CO.IL`. */
export const typedEmail = (email: string, variant: number) =>
  variant % 2 ? email.toUpperCase() : email.replace(/(^|[.@])([a-z])/g, (_, sep: string, c: string) => sep + c.toUpperCase());

/** The ID number as typed: an Israeli ID with a dash before the check digit, a company number with a dash, a passport in lower case. */
export function typedId(s: Sample, variant: number): string {
  const id = s.idNumber ?? '';
  if (s.idType === 'passport') return id.toLowerCase();
  if (variant % 2 === 0) return id;
  return s.idType === 'company' ? `${id.slice(0, 2)}-${id.slice(2)}` : `${id.slice(0, -1)}-${id.slice(-1)}`;
}

/** `len` letters from inside the longest word of a name (not from its start when the word allows it). */
export function inside(name: string, len: number, variant: number): string {
  const word = name.split(/\s+/).reduce((a, b) => (b.length > a.length ? b : a), '');
  if (word.length <= len) return word;
  const start = 1 + (variant % (word.length - len));
  return word.slice(start, start + len);
}

const query = (q: Record<string, unknown>): CustomerListQuery => customerListQuery.parse(q);
const hasId = (result: unknown, id: string) => (result as { items: { id: string }[] }).items.some((c) => c.id === id);

export function buildCases(tenant: BenchTenant, sample: Sample[], region = 'IL'): Case[] {
  const at = <T>(list: T[], i: number): T => list[i % list.length]!;
  const withPhone = sample.filter((s) => s.phonesNorm.length > 0);
  const withEmail = sample.filter((s) => s.emailsNorm.length > 0);
  const withId = sample.filter((s) => s.idNumber);
  const hebrew = sample.filter((s) => s.country === 'IL' && s.idType === 'israeli_id' && s.firstName && s.lastName);
  const english = sample.filter((s) => s.country === 'US' && s.firstName && s.lastName);
  // For "3–4 letters inside": names with a word long enough to take them from inside it.
  const longWord = (s: Sample) => s.lastName!.split(/\s+/).some((w) => w.length >= 5);
  const hebrewLong = hebrew.filter(longWord);
  const englishLong = english.filter(longWord);
  const tid = tenant.tenantId;
  const list = (q: Record<string, unknown>): Call['run'] => {
    const parsed = query(q);
    return (db) => listCustomers(db, tid, region, parsed);
  };
  const count = (q: Record<string, unknown>): Call['run'] => {
    const parsed = query(q);
    return (db) => countCustomers(db, tid, region, parsed);
  };

  const exact: Case[] = [
    {
      group: 'exact lookup (search box)', name: 'phone, typed another way', target: 10,
      input: (i) => { const q = typedPhone(at(withPhone, i).phonesNorm[0]!, i); return { label: `q=${q}`, run: list({ q }) }; },
      found: (i, r) => hasId(r, at(withPhone, i).id),
    },
    {
      group: 'exact lookup (search box)', name: 'email, other case', target: 10,
      input: (i) => { const q = typedEmail(at(withEmail, i).email ?? at(withEmail, i).emailsNorm[0]!, i); return { label: `q=${q}`, run: list({ q }) }; },
      found: (i, r) => hasId(r, at(withEmail, i).id),
    },
    {
      group: 'exact lookup (search box)', name: 'ID number (IL ID / company / passport)', target: 10,
      input: (i) => { const q = typedId(at(withId, i), i); return { label: `q=${q}`, run: list({ q }) }; },
      found: (i, r) => hasId(r, at(withId, i).id),
    },
    {
      group: 'exact lookup (search box)', name: 'customer number', target: 10,
      input: (i) => { const q = String(at(sample, i).customerNumber); return { label: `q=${q}`, run: list({ q }) }; },
      found: (i, r) => hasId(r, at(sample, i).id),
    },
  ];

  const matchesOf = (s: Sample) => ({ phones: s.phonesNorm, emails: s.emailsNorm, idNumbers: s.idNumberNorm ? [s.idNumberNorm] : [] });
  const foundMatch = (id: string) => (_: number, r: unknown) => (r as { id: string }[]).some((m) => m.id === id);
  const identity: Case[] = [
    { name: 'phone', keys: (s: Sample) => ({ phones: s.phonesNorm.slice(0, 1), emails: [], idNumbers: [] }), pool: withPhone },
    { name: 'email', keys: (s: Sample) => ({ phones: [], emails: s.emailsNorm.slice(0, 1), idNumbers: [] }), pool: withEmail },
    { name: 'ID number', keys: (s: Sample) => ({ phones: [], emails: [], idNumbers: s.idNumberNorm ? [s.idNumberNorm] : [] }), pool: withId },
    { name: 'all keys of a card', keys: matchesOf, pool: sample },
  ].map(({ name, keys, pool }) => ({
    group: 'exact lookup (findMatches)', name, target: 10,
    input: (i: number) => { const k = keys(at(pool, i)); return { label: JSON.stringify(k), run: (db: Db) => findMatches(db, tid, k) }; },
    found: (i: number, r: unknown) => foundMatch(at(pool, i).id)(i, r),
  }));

  // Each name query is timed for the first page and for its count (the list page asks for both).
  const NO_MATCH_2 = ['qx', 'קק', 'xq', 'עע', 'zq', 'צץ', 'jx', 'טט', 'vq', 'גג'];
  const NO_MATCH_4 = ['qxzv', 'כככה', 'zzyq', 'אאאא', 'wxyq', 'זזזז'];
  const nameQueries: [string, (i: number) => string][] = [
    ['Hebrew, first 2 letters of last name', (i) => at(hebrew, i).lastName!.slice(0, 2)],
    ['Hebrew, 2 letters inside last name', (i) => inside(at(hebrew, i).lastName!, 2, i)],
    ['Hebrew, 3–4 letters inside last name', (i) => inside(at(hebrewLong, i).lastName!, 3 + (i % 2), i)],
    ['Hebrew, first name + 3 letters of last', (i) => `${at(hebrew, i).firstName} ${inside(at(hebrew, i).lastName!, 3, i)}`],
    ['English, first 2 letters of last name', (i) => at(english, i).lastName!.slice(0, 2)],
    ['English, 2 letters inside last name', (i) => inside(at(english, i).lastName!.toLowerCase(), 2, i)],
    ['English, 3–4 letters inside last name', (i) => inside(at(englishLong, i).lastName!.toLowerCase(), 3 + (i % 2), i)],
    ['English, first name + 3 letters of last', (i) => `${at(english, i).firstName} ${inside(at(english, i).lastName!, 3, i)}`],
    ['2 letters that match no name (a typo)', (i) => at(NO_MATCH_2, i)],
    ['4 letters that match no name (a typo)', (i) => at(NO_MATCH_4, i)],
  ];
  const names: Case[] = [
    ...nameQueries.map(([label, make]): Case => ({
      group: 'name substring (search box)', name: label, target: 50, input: (i) => { const q = make(i); return { label: `q=${q}`, run: list({ q }) }; },
    })),
    ...nameQueries.map(([label, make]): Case => ({
      group: 'name substring: count', name: label, target: 100, input: (i) => { const q = make(i); return { label: `q=${q}`, run: count({ q }) }; },
    })),
  ];

  const DAY = 86_400_000;
  const now = Date.now();
  const month = (i: number) => {
    const from = new Date(now - 730 * DAY + ((i * 37) % 700) * DAY);
    return { createdFrom: from.toISOString().slice(0, 10), createdTo: new Date(+from + 30 * DAY).toISOString().slice(0, 10) };
  };
  const branch = (i: number) => at(tenant.branches, i).id;
  const STATUS_ROT: StatusId[] = ['real', 'new', 'follow_up', 'not_interested'];
  const filters: [string, (i: number) => Record<string, unknown>][] = [
    ['no filter (the default list: newest first)', () => ({})],
    ['no filter, oldest first', () => ({ sort: 'created_asc' })],
    ['status = real (15 %)', () => ({ status: 'real' })],
    ['status = fictitious (2 %)', () => ({ status: 'fictitious' })],
    ['two statuses (follow-up + meeting/quote, 30 %)', () => ({ status: ['follow_up', 'follow_up_meeting_quote'] })],
    ['branch (one of 4)', (i) => ({ branchId: branch(i) })],
    ['created in a 30-day range', (i) => month(i)],
    ['sorted by name (no filter)', () => ({ sort: 'name_asc' })],
    ['status + sorted by name', (i) => ({ status: at(STATUS_ROT, i), sort: 'name_asc' })],
    ['status + branch + 30-day range', (i) => ({ status: at(STATUS_ROT, i), branchId: branch(i), ...month(i) })],
  ];
  const filtered: Case[] = [
    ...filters.map(([label, q]): Case => ({ group: 'filtered list: first page', name: label, target: 100, input: (i) => ({ label: JSON.stringify(q(i)), run: list(q(i)) }) })),
    ...filters.map(([label, q]): Case => ({ group: 'filtered list: count', name: label, target: 100, input: (i) => ({ label: JSON.stringify(q(i)), run: count(q(i)) }) })),
  ];

  return [...exact, ...identity, ...names, ...filtered];
}

/**
 * A Db that records the statements it runs, so the slowest input of a case can be replayed
 * under EXPLAIN (ANALYZE, BUFFERS) with exactly the SQL the product built.
 */
export function recording(db: Db): { db: Db; statements: SQL[] } {
  const statements: SQL[] = [];
  const proxy = new Proxy(db, {
    get(target, prop) {
      if (prop === 'execute') {
        return (q: SQL) => {
          statements.push(q);
          return target.execute(q);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db: proxy, statements };
}

export async function explain(db: Db, call: Call): Promise<string> {
  const rec = recording(db);
  await call.run(rec.db);
  const plans: string[] = [];
  for (const statement of rec.statements) {
    const plan = await rows<Record<string, string>>(db, sql`explain (analyze, buffers) ${statement}`);
    plans.push(plan.map((p) => Object.values(p)[0]).join('\n'));
  }
  return plans.join('\n---\n');
}
