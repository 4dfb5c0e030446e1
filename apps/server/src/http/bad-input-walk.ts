// The generated bad-input cases of issue 10 ("Keep it so"): every route of the OpenAPI document,
// every string field × {NUL, 1 MB, lone surrogate, bidi override, CR/LF}, every number × {NaN-like,
// negative, huge}, malformed JSON and multipart. Used by bad-input-walk.test.ts.

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  minItems?: number;
  nullable?: boolean;
}

export interface Operation {
  method: string;
  /** The OpenAPI path, with {param}s. */
  path: string;
  params: string[];
  query: { name: string; schema: JsonSchema }[];
  body: JsonSchema | null;
}

export interface Case {
  method: string;
  url: string;
  /** What was done, for the report. */
  label: string;
  payload?: string;
  contentType?: string;
}

export const BAD_STRINGS: Record<string, string> = {
  nul: 'a\u0000b',
  '1mb': 'x'.repeat(1024 * 1024),
  lone_surrogate: 'a\uD800b',
  bidi_override: '\u202Egpj.exe',
  crlf: 'a\r\nb',
};

/** Numbers as JSON text: NaN-like ones are not JSON values, so they go in raw. */
export const BAD_NUMBERS: Record<string, string> = {
  nan_string: '"NaN"',
  nan_raw: 'NaN',
  infinity: '1e999',
  negative: '-1',
  huge: '1e308',
  unsafe_integer: '123456789012345678901234567890',
};

/** In a path segment (already encoded: a lone surrogate cannot be UTF-8, so it goes as CESU-8 bytes). */
const BAD_SEGMENTS: Record<string, string> = {
  nul: '%00',
  '1mb': 'x'.repeat(1024 * 1024),
  lone_surrogate: 'a%ED%A0%80b',
  bidi_override: '%E2%80%AEgpj.exe',
  crlf: 'a%0D%0Ab',
};

export function operations(doc: { paths: Record<string, Record<string, { parameters?: { in: string; name: string; schema: JsonSchema }[]; requestBody?: { content?: Record<string, { schema: JsonSchema }> } }>> }): Operation[] {
  const out: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const parameters = op.parameters ?? [];
      out.push({
        method: method.toUpperCase(),
        path,
        params: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema })),
        body: op.requestBody?.content?.['application/json']?.schema ?? null,
      });
    }
  }
  return out;
}

const typeOf = (s: JsonSchema): string | undefined => {
  if (s.enum || s.const !== undefined) return 'enum';
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
  if (t) return t;
  const branch = s.anyOf ?? s.oneOf ?? s.allOf;
  return branch?.map(typeOf).find((x) => x && x !== 'null');
};

const branchOf = (s: JsonSchema): JsonSchema => {
  const branches = s.anyOf ?? s.oneOf ?? s.allOf;
  if (!branches || s.type) return s;
  return branches.find((b) => typeOf(b) === typeOf(s)) ?? s;
};

/** A plausible value for a schema (a marker object for numbers, written raw later). */
export function sample(schema: JsonSchema, ids: Record<string, string>): unknown {
  const s = branchOf(schema);
  if (s.enum) return s.enum[0];
  if (s.const !== undefined) return s.const;
  switch (typeOf(s)) {
    case 'string':
      if (s.format === 'uuid') return ids.customer;
      if (s.format === 'email') return 'someone@example.com';
      if (s.format === 'date') return '2026-01-01';
      if (s.format === 'date-time') return '2026-01-01T00:00:00Z';
      return 'x'.repeat(Math.max(1, s.minLength ?? 1));
    case 'integer':
    case 'number':
      return s.minimum !== undefined && s.minimum > 1 ? s.minimum : 1;
    case 'boolean':
      return true;
    case 'array':
      return s.minItems ? Array.from({ length: s.minItems }, () => sample(s.items ?? {}, ids)) : [];
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const k of s.required ?? []) o[k] = sample(s.properties?.[k] ?? {}, ids);
      return o;
    }
    default:
      return null;
  }
}

type Leaf = { path: (string | number)[]; kind: 'string' | 'number' | 'key' };

/** Every string and number place in a schema (arrays: their first item; records: one key). */
export function leaves(schema: JsonSchema, path: (string | number)[] = [], depth = 0): Leaf[] {
  if (depth > 5) return [];
  const s = branchOf(schema);
  const t = typeOf(s);
  if (t === 'string') return [{ path, kind: 'string' }];
  if (t === 'integer' || t === 'number') return [{ path, kind: 'number' }];
  if (t === 'array' && s.items) return leaves(s.items, [...path, 0], depth + 1);
  if (t === 'object') {
    const out: Leaf[] = [];
    for (const [k, v] of Object.entries(s.properties ?? {})) out.push(...leaves(v, [...path, k], depth + 1));
    if (s.additionalProperties && typeof s.additionalProperties === 'object') {
      out.push({ path: [...path, 'k'], kind: 'key' }, ...leaves(s.additionalProperties, [...path, 'k'], depth + 1));
    }
    return out;
  }
  return [];
}

/** The body with `value` (JSON text) at `path`: the minimal valid body around it. */
function bodyWith(schema: JsonSchema, leaf: Leaf, valueJson: string, ids: Record<string, string>): string {
  const MARK = '"__bad_value_marker__"';
  const root = (sample(schema, ids) ?? {}) as Record<string, unknown>;
  let node: unknown = root;
  let sub: JsonSchema = schema;
  const path = leaf.kind === 'key' ? leaf.path.slice(0, -1) : leaf.path;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    sub = branchOf(sub);
    const next = typeof key === 'number' ? (sub.items ?? {}) : (sub.properties?.[key] ?? (typeof sub.additionalProperties === 'object' ? sub.additionalProperties : {}));
    const container = node as Record<string | number, unknown>;
    if (i === path.length - 1 && leaf.kind !== 'key') {
      container[key] = '__bad_value_marker__';
    } else {
      if (container[key] === undefined || container[key] === null || typeof container[key] !== 'object') {
        container[key] = typeOf(branchOf(next)) === 'array' ? [] : {};
      }
      node = container[key];
    }
    sub = next;
  }
  if (leaf.kind === 'key') {
    (node as Record<string, unknown>)['__bad_key_marker__'] = sample(typeof sub.additionalProperties === 'object' ? sub.additionalProperties : {}, ids);
    return JSON.stringify(root).replace('"__bad_key_marker__"', valueJson);
  }
  return JSON.stringify(root).replace(MARK, valueJson);
}

export function casesFor(op: Operation, url: string, ids: Record<string, string>): Case[] {
  const out: Case[] = [];
  const m = op.method;
  // Path parameters, each bad in turn (the others real).
  for (const p of op.params) {
    for (const [name, bad] of Object.entries(BAD_SEGMENTS)) {
      const u = fillPath(op.path, ids, { [p]: bad });
      out.push({ method: m, url: u, label: `path ${p} × ${name}`, ...(op.body && { payload: '{}', contentType: 'application/json' }) });
    }
  }
  // Query parameters.
  for (const q of op.query) {
    const t = typeOf(branchOf(q.schema));
    const values =
      t === 'integer' || t === 'number'
        ? { nan: 'NaN', negative: '-1', huge: '1e308', unsafe_integer: '123456789012345678901234567890' }
        : Object.fromEntries(Object.entries(BAD_STRINGS).map(([k, v]) => [k, encodeQuery(v)]));
    const sep = url.includes('?') ? '&' : '?';
    for (const [name, v] of Object.entries(values)) out.push({ method: m, url: `${url}${sep}${encodeURIComponent(q.name)}=${v}`, label: `query ${q.name} × ${name}` });
  }
  if (m === 'POST' || m === 'PATCH' || m === 'PUT') {
    if (op.body) {
      for (const leaf of leaves(op.body)) {
        const values = leaf.kind === 'number' ? BAD_NUMBERS : Object.fromEntries(Object.entries(BAD_STRINGS).map(([k, v]) => [k, JSON.stringify(v)]));
        for (const [name, v] of Object.entries(values)) {
          out.push({ method: m, url, label: `${leaf.kind === 'key' ? 'key of ' : ''}${leaf.path.join('.') || 'body'} × ${name}`, payload: bodyWith(op.body, leaf, v, ids), contentType: 'application/json' });
        }
      }
    }
    else {
      // A route that reads its body itself (the intake, uploads): free-form fields, as JSON and as a form.
      for (const [name, v] of Object.entries(BAD_STRINGS)) {
        out.push({ method: m, url, label: `free-form JSON × ${name}`, payload: JSON.stringify({ name: v, [v]: 'x' }), contentType: 'application/json' });
        if (name !== '1mb') out.push({ method: m, url, label: `free-form form × ${name}`, payload: `name=${encodeQuery(v)}&${encodeQuery(v)}=x`, contentType: 'application/x-www-form-urlencoded' });
      }
    }
    out.push({ method: m, url, label: 'malformed JSON', payload: '{"a": ', contentType: 'application/json' });
    out.push({ method: m, url, label: 'JSON not an object', payload: '"\\u0000"', contentType: 'application/json' });
    out.push({ method: m, url, label: 'multipart without boundary', payload: 'whatever', contentType: 'multipart/form-data' });
    out.push({
      method: m,
      url,
      label: 'truncated multipart',
      payload: '--b\r\ncontent-disposition: form-data; name="file"; filename="a.csv"\r\ncontent-type: text/csv\r\n\r\nname\r\nx',
      contentType: 'multipart/form-data; boundary=b',
    });
    out.push({
      method: m,
      url,
      label: 'multipart with NUL and bidi in field and file name',
      payload: `--b\r\ncontent-disposition: form-data; name="lastName"\r\n\r\na\u0000b\r\n--b\r\ncontent-disposition: form-data; name="file"; filename="\u202Egpj.exe"\r\ncontent-type: text/csv\r\n\r\nname\r\nx\r\n--b--\r\n`,
      contentType: 'multipart/form-data; boundary=b',
    });
  }
  return out;
}

/** A query value as a browser would send it (lone surrogates as CESU-8 bytes: not UTF-8). */
function encodeQuery(v: string): string {
  return v.replace(/[\uD800-\uDFFF]/g, '\uFFFF').split('\uFFFF').map(encodeURIComponent).join('%ED%A0%80');
}

/** The path with its {params} filled: real ids by name and resource, overrides as given. */
export function fillPath(path: string, ids: Record<string, string>, overrides: Record<string, string> = {}): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (overrides[name] !== undefined) return overrides[name]!;
    if (name === 'id') {
      const resource = /\/(?:api\/v1|portal\/api)\/([\w-]+)\/\{id\}/.exec(path)?.[1] ?? '';
      return ids[resource] ?? ids.customer!;
    }
    return ids[name] ?? ids.customer!;
  });
}
