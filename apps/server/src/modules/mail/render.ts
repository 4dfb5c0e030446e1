import { FIELD_PATTERN, valueOf, type MergeContext } from './merge-fields.js';

/**
 * Rendering: a template is compiled once (per run and language) into parts — literal text and
 * merge fields, each field knowing where it stands — so that a message is a few string
 * concatenations (well above 20k messages/s). Values are HTML-escaped; in text they are put
 * inside `<bdi>` so a Latin name or a number stays readable inside Hebrew (and the reverse);
 * inside a tag (an attribute such as `href="{#Portal_URL}"`) or in `<title>` they are escaped
 * only. Hebrew messages go out as `<html dir="rtl" lang="he">`. The plain-text part is made
 * from the template's HTML once, at compile time, with the fields left in place.
 */

type Where = 'text' | 'attr' | 'raw';
type Part = string | { get: (c: MergeContext) => string; where: Where };

export interface CompiledTemplate {
  language: string;
  subject: Part[];
  html: Part[];
  text: Part[];
  /** Names of the merge fields the template uses (subject or body). */
  fields: ReadonlySet<string>;
}

export interface Rendered {
  subject: string;
  html: string;
  text: string;
}

export const isRtl = (language: string): boolean => language === 'he' || language === 'ar' || language === 'yi';

export function compileTemplate(template: { subject: string; html: string; language: string }): CompiledTemplate {
  const fields = new Set<string>();
  const html = wrapDocument(template.html, template.language);
  return {
    language: template.language,
    subject: split(template.subject, fields, () => 'raw'),
    html: split(html, fields, (before) => whereInHtml(before)),
    text: split(htmlToText(html), fields, () => 'raw'),
    fields,
  };
}

export function renderMessage(t: CompiledTemplate, c: MergeContext): Rendered {
  return {
    subject: join(t.subject, c, (v) => v.replace(/[\r\n]+/g, ' ')),
    html: join(t.html, c, null),
    text: join(t.text, c, (v) => v),
  };
}

function join(parts: Part[], c: MergeContext, plain: ((v: string) => string) | null): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else if (plain) out += plain(p.get(c));
    else if (p.where === 'text') out += `<bdi>${escapeHtml(p.get(c))}</bdi>`;
    else out += escapeHtml(p.get(c));
  }
  return out;
}

function split(source: string, fields: Set<string>, where: (before: string) => Where): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const m of source.matchAll(FIELD_PATTERN)) {
    const at = m.index;
    if (at > last) parts.push(source.slice(last, at));
    const name = m[1]!;
    fields.add(name);
    parts.push({ get: valueOf(name), where: where(source.slice(0, at)) });
    last = at + m[0].length;
  }
  if (last < source.length) parts.push(source.slice(last));
  return parts;
}

/** Inside a tag (an attribute), or in an element whose content is not markup: no `<bdi>` there. */
function whereInHtml(before: string): Where {
  if (before.lastIndexOf('<') > before.lastIndexOf('>')) return 'attr';
  const lower = before.toLowerCase();
  for (const tag of ['title', 'style', 'script', 'textarea']) {
    if (lower.lastIndexOf(`<${tag}`) > lower.lastIndexOf(`</${tag}`)) return 'attr';
  }
  return 'text';
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const NEEDS_ESCAPE = /[&<>"']/;
export function escapeHtml(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!) : value;
}

/**
 * A whole document with the message's direction and language: a fragment is wrapped; a full
 * document gets `dir` / `lang` on `<html>` (and `dir` on `<body>`) unless it sets them itself.
 */
export function wrapDocument(html: string, language: string): string {
  const dir = isRtl(language) ? 'rtl' : 'ltr';
  if (!/<html[\s>]/i.test(html)) {
    const style = dir === 'rtl' ? ' style="direction:rtl;text-align:right"' : '';
    return `<!DOCTYPE html>\n<html dir="${dir}" lang="${language}">\n<head><meta charset="utf-8"></head>\n<body dir="${dir}"${style}>\n${html}\n</body>\n</html>\n`;
  }
  const addAttrs = (tag: string, attrs: [string, string][]) =>
    attrs.reduce((t, [name, value]) => (new RegExp(`\\s${name}\\s*=`, 'i').test(t) ? t : t.replace(/\s*>$/, ` ${name}="${value}">`)), tag);
  return html
    .replace(/<html(\s[^>]*)?>/i, (tag) => addAttrs(tag, [['dir', dir], ['lang', language]]))
    .replace(/<body(\s[^>]*)?>/i, (tag) => addAttrs(tag, [['dir', dir]]));
}

const ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', copy: '©', reg: '®', trade: '™', hellip: '…',
  ndash: '–', mdash: '—', laquo: '«', raquo: '»', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', bull: '•',
  rlm: '\u200f', lrm: '\u200e', shy: '',
};

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
    }
    return ENTITIES[e.toLowerCase()] ?? all;
  });
}

const stripTags = (s: string) => s.replace(/<[^>]*>/g, '');

/**
 * The plain-text part of an HTML message: blocks and line breaks become new lines, list items
 * bullets, a link "label (address)", everything else its text. Run once per compiled template.
 */
export function htmlToText(html: string): string {
  let s = html
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(head|style|script|title)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<!DOCTYPE[^>]*>/gi, '')
    .replace(/\s+/g, ' ');
  s = s.replace(/<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))[^>]*>([\s\S]*?)<\/a\s*>/gi, (_all, h1?: string, h2?: string, h3?: string, inner = '') => {
    const href = decodeEntities(h1 ?? h2 ?? h3 ?? '').trim();
    const label = decodeEntities(stripTags(inner)).trim();
    const shown = href.replace(/^mailto:/i, '');
    if (!href || href.startsWith('#')) return inner;
    if (!label || label === href || label === shown) return shown;
    return `${inner} (${shown})`;
  });
  s = s
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<hr\b[^>]*>/gi, '\n----------\n')
    .replace(/<li\b[^>]*>/gi, '\n• ')
    .replace(/<\/(p|h[1-6]|blockquote|table|ul|ol)\s*>/gi, '\n\n')
    .replace(/<(p|h[1-6]|blockquote|table|ul|ol|div|tr|section|article|header|footer)\b[^>]*>/gi, '\n')
    .replace(/<\/(div|tr|section|article|header|footer)\s*>/gi, '\n')
    .replace(/<\/t[dh]\s*>/gi, ' ');
  s = decodeEntities(stripTags(s));
  return s
    .split('\n')
    .map((line) => line.replace(/[ \t]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
