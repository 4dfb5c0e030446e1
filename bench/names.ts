import { ENGLISH_FIRST, ENGLISH_LAST, HEBREW_FIRST, HEBREW_LAST } from '../apps/server/src/modules/demo/builders.js';

/**
 * Name pools for a million-customer base. The demo builders know 25 Hebrew and 20 English last
 * names: fine for a demo, but at 1M rows every name would match 4–5 % of the table, which is not
 * what a real customer base looks like and would hide how the trigram index behaves on rare names.
 * These pools keep the demo names as the common head and add a long tail (compound Ashkenazi
 * names, Sephardi / Mizrahi names), drawn with a Zipf-like weight so a few names are common
 * (כהן, Cohen ≈ 2–5 %) and most are rare, as in a real phone book.
 */
const HEBREW_MORE_LAST = [
  'אבוטבול', 'אדרי', 'אוחנה', 'אלמוג', 'אשכנזי', 'בוזגלו', 'בן חיים', 'בן שושן', 'בר', 'ברגר', 'גרוס', 'גרינברג',
  'דאהר', 'הורוביץ', 'ויס', 'וקנין', 'זילברמן', 'חזן', 'טייב', 'יונה', 'כץ', 'לנדאו', 'מימון', 'מנסור', 'נגר',
  'סלים', 'עזרא', 'עמר', 'פולק', 'פישר', 'צור', 'קליין', 'רביבו', 'רוזן', 'שגיא', 'שמואלי', 'שטרן', 'תורג׳מן',
  'אלקבץ', 'בוסקילה', 'גולדשטיין', 'דיין', 'הלפרין', 'זכאי', 'חייק', 'יפרח', 'כרמי', 'לוינסון', 'מלמד', 'נסים',
  'סבג', 'עטיה', 'פינטו', 'צדוק', 'קורן', 'רחמים', 'שושן', 'תמיר', 'אפשטיין', 'בלום', 'גבריאלי', 'דגן',
];
const HEBREW_ROOTS = ['גולד', 'זילבר', 'רוזנ', 'גרינ', 'שווארצ', 'וינ', 'אייזנ', 'ליב', 'פריד', 'בלומ', 'מנדל', 'קסל', 'שטרנ', 'קאופ', 'אפל', 'הירש'];
const HEBREW_SUFFIXES = ['ברג', 'שטיין', 'מן', 'פלד', 'באום', 'בלט', 'טל', 'ולד', 'היים', 'וביץ'];
const HEBREW_MORE_FIRST = [
  'אליהו', 'בתיה', 'גלעד', 'דורית', 'הילה', 'זיו', 'חנה', 'טליה', 'ירון', 'כרמל', 'ליאור', 'מתן', 'נעמה', 'סיון',
  'עידו', 'פנינה', 'צחי', 'קרן', 'רועי', 'שחר', 'תומר', 'אסף', 'ענבל', 'אפרת', 'בועז', 'גאיה', 'דניאל', 'הראל',
  'ורד', 'זהבה', 'חיים', 'יהודית', 'לירון', 'מאור', 'נדב', 'סהר', 'עינב', 'פזית', 'רותם', 'שני', 'תהילה', 'אמיר',
];
const ENGLISH_MORE_LAST = [
  'Harris', 'Clark', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen',
  'Hill', 'Flores', 'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts',
  'Gomez', 'Phillips', 'Evans', 'Turner', 'Diaz', 'Parker', 'Cruz', 'Edwards', 'Collins', 'Reyes', 'Stewart', 'Morris',
  'Morales', 'Murphy', 'Cook', 'Rogers', 'Gutierrez', 'Ortiz', 'Morgan', 'Cooper', 'Peterson', 'Bailey', 'Reed',
  'Kelly', 'Howard', 'Ramos', 'Kim', 'Cox', 'Ward', 'Richardson', 'Watson', 'Brooks', 'Chavez', 'Wood', 'Bennett',
  'Kaplan', 'Shapiro', 'Friedman', 'Schwartz', 'Klein', 'Weiss', 'Adler', 'Horowitz', 'Siegel', 'Abramson',
];
const ENGLISH_ROOTS = ['Gold', 'Silver', 'Rosen', 'Green', 'Black', 'Wein', 'Eisen', 'Lieber', 'Fried', 'Blum', 'Mandel', 'Kessel', 'Stern', 'Kauf', 'Apfel', 'Hirsch'];
const ENGLISH_SUFFIXES = ['berg', 'stein', 'man', 'feld', 'baum', 'blatt', 'thal', 'wald', 'heim', 'witz'];
const ENGLISH_MORE_FIRST = [
  'William', 'Elizabeth', 'Richard', 'Barbara', 'Joseph', 'Susan', 'Charles', 'Jessica', 'Christopher', 'Karen',
  'Matthew', 'Nancy', 'Anthony', 'Lisa', 'Mark', 'Betty', 'Steven', 'Sandra', 'Andrew', 'Ashley', 'Joshua', 'Donna',
  'Kevin', 'Michelle', 'Brian', 'Amanda', 'Jacob', 'Hannah', 'Aaron', 'Miriam', 'Eli', 'Naomi', 'Isaac', 'Leah',
];

const compound = (roots: readonly string[], suffixes: readonly string[]) => roots.flatMap((r) => suffixes.map((s) => r + s));
const unique = (list: readonly string[]) => [...new Set(list)];

export const POOLS = {
  he: {
    last: unique([...HEBREW_LAST, ...HEBREW_MORE_LAST, ...compound(HEBREW_ROOTS, HEBREW_SUFFIXES)]),
    first: unique([...HEBREW_FIRST, ...HEBREW_MORE_FIRST]),
  },
  en: {
    last: unique([...ENGLISH_LAST, ...ENGLISH_MORE_LAST, ...compound(ENGLISH_ROOTS, ENGLISH_SUFFIXES)]),
    first: unique([...ENGLISH_FIRST, ...ENGLISH_MORE_FIRST]),
  },
} as const;

/** Picks from a list with weight 1 / rank^s (rank 1 = the first entry): the head is common, the tail rare. */
export function zipf<T>(list: readonly T[], s: number): (r: () => number) => T {
  const cumulative: number[] = [];
  let total = 0;
  for (let k = 1; k <= list.length; k++) cumulative.push((total += 1 / k ** s));
  return (r) => {
    const x = r() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return list[lo]!;
  };
}

export const pickName = {
  heLast: zipf(POOLS.he.last, 0.8),
  heFirst: zipf(POOLS.he.first, 0.6),
  enLast: zipf(POOLS.en.last, 0.8),
  enFirst: zipf(POOLS.en.first, 0.6),
};
