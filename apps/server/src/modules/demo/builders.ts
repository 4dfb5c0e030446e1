import type { CustomerFields } from '@kesher/contracts';

/**
 * Realistic Hebrew and English customers for the demo, the tests and the benchmarks. A seeded
 * generator, so a test that builds "customer 17" gets the same one every run.
 */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
const digits = (r: () => number, n: number) => Array.from({ length: n }, () => Math.floor(r() * 10)).join('');

export const HEBREW_FIRST = ['דוד', 'שרה', 'יוסף', 'רחל', 'משה', 'מרים', 'אברהם', 'לאה', 'יעקב', 'רבקה', 'נועה', 'איתי', 'תמר', 'עומר', 'מיכל', 'אורי', 'יעל', 'אלון', 'שירה', 'גיל', 'הדס', 'רון', 'טל', 'עדי', 'נטע', 'אביגיל', 'אריאל', 'דנה', 'יונתן', 'מאיה'] as const;
export const HEBREW_LAST = ['כהן', 'לוי', 'מזרחי', 'פרץ', 'ביטון', 'דהן', 'אברהם', 'פרידמן', 'אזולאי', 'מלכה', 'חדד', 'גבאי', 'שפירא', 'רוזנברג', 'קפלן', 'בן דוד', 'אוחיון', 'יוסף', 'ברק', 'גולן', 'שלום', 'טל', 'נחום', 'אלון', 'סויסה'] as const;
export const HEBREW_COMPANIES = ['אלקטרה בע"מ', 'שופרסל סניף', 'טבע תעשיות', 'מגדל ביטוח', 'אורט ישראל', 'נגב קרמיקה', 'גליל תוכנה בע"מ', 'ים המלח מלונות'] as const;
export const ENGLISH_FIRST = ['James', 'Mary', 'John', 'Patricia', 'Robert', 'Jennifer', 'Michael', 'Linda', 'David', 'Sarah', 'Daniel', 'Emily', 'Noah', 'Olivia', 'Ethan', 'Emma', 'Benjamin', 'Ava', 'Samuel', 'Rachel'] as const;
export const ENGLISH_LAST = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Miller', 'Davis', 'Garcia', 'Wilson', 'Anderson', 'Taylor', 'Thomas', 'Moore', 'Jackson', 'Martin', 'Lee', 'Goldberg', 'Katz', 'Levine', 'Cohen'] as const;
const IL_CITIES = ['תל אביב-יפו', 'ירושלים', 'חיפה', 'באר שבע', 'ראשון לציון', 'פתח תקווה', 'נתניה', 'חולון', 'רמת גן', 'הרצליה', 'כפר סבא', 'אשדוד'] as const;
const IL_STREETS = ['הרצל', 'ויצמן', 'בן גוריון', 'רוטשילד', 'ז׳בוטינסקי', 'אלנבי', 'דיזנגוף', 'העצמאות', 'הנביאים', 'יפו'] as const;
const US_CITIES = ['New York', 'Brooklyn', 'Los Angeles', 'Chicago', 'Miami', 'Boston', 'San Francisco', 'Philadelphia'] as const;
const US_STREETS = ['Main St', 'Broadway', 'Park Ave', 'Oak St', 'Maple Ave', 'Elm St', 'Washington Blvd', 'Lake Shore Dr'] as const;
const US_AREAS = ['212', '646', '718', '415', '310', '305', '617', '312', '215'] as const;

/** A valid Israeli ID number (ת.ז.) with its check digit. */
export function israeliId(r: () => number): string {
  const body = digits(r, 8);
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    let d = Number(body[i]) * ((i % 2) + 1);
    if (d > 9) d -= 9;
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

export const israeliMobile = (r: () => number) => `05${pick(r, ['0', '2', '3', '4', '8'])}-${digits(r, 3)}-${digits(r, 4)}`;
export const usPhone = (r: () => number) => `+1 (${pick(r, US_AREAS)}) ${2 + Math.floor(r() * 8)}${digits(r, 2)}-${digits(r, 4)}`;

/** One customer of an Israeli (Hebrew) or American (English) branch; `n` keeps emails unique. */
export function demoCustomer(r: () => number, n: number, branch: { id: string | null; country: 'IL' | 'US' }): CustomerFields {
  if (branch.country === 'US') {
    const first = pick(r, ENGLISH_FIRST);
    const last = pick(r, ENGLISH_LAST);
    return {
      firstName: first,
      lastName: last,
      branchId: branch.id,
      language: 'en',
      phone: usPhone(r),
      email: `${first}.${last}.${n}@example.com`.toLowerCase(),
      idType: 'passport',
      idCountry: 'US',
      idNumber: `${String.fromCharCode(65 + Math.floor(r() * 26))}${digits(r, 8)}`,
      address: `${1 + Math.floor(r() * 2000)} ${pick(r, US_STREETS)}`,
      city: pick(r, US_CITIES),
      country: 'US',
    };
  }
  if (r() < 0.12) {
    return {
      lastName: pick(r, HEBREW_COMPANIES),
      branchId: branch.id,
      language: 'he',
      phone: `0${pick(r, ['3', '4', '8', '9'])}-${digits(r, 7)}`,
      email: `office${n}@example.co.il`,
      idType: 'company',
      idCountry: 'IL',
      idNumber: `51${digits(r, 7)}`,
      address: `${pick(r, IL_STREETS)} ${1 + Math.floor(r() * 150)}`,
      city: pick(r, IL_CITIES),
      country: 'IL',
    };
  }
  return {
    firstName: pick(r, HEBREW_FIRST),
    lastName: pick(r, HEBREW_LAST),
    branchId: branch.id,
    language: 'he',
    phone: israeliMobile(r),
    email: r() < 0.85 ? `user${n}@example.co.il` : null,
    idType: 'israeli_id',
    idCountry: 'IL',
    idNumber: israeliId(r),
    address: `${pick(r, IL_STREETS)} ${1 + Math.floor(r() * 150)}`,
    city: pick(r, IL_CITIES),
    country: 'IL',
  };
}
