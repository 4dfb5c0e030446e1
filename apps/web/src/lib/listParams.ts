import { SORT_KEYS, STATUS_IDS, type RunFilter, type StatusId } from '@kesher/contracts';
import type { CustomerFilters } from '../api/customers';

export type SortKey = (typeof SORT_KEYS)[number];
export const CF_PREFIX = 'cf.';

/** The list's filters live in the address bar, so Back and a shared link keep them. */
export function filtersFromParams(sp: URLSearchParams): CustomerFilters {
  const f: CustomerFilters = {};
  const q = sp.get('q')?.trim();
  if (q) f.q = q;
  const statuses = sp.getAll('status').filter((s): s is StatusId => (STATUS_IDS as readonly string[]).includes(s));
  if (statuses.length) f.status = statuses;
  for (const key of ['branchId', 'createdFrom', 'createdTo'] as const) {
    const v = sp.get(key);
    if (v) f[key] = v;
  }
  f.sort = sortFrom(sp);
  for (const [k, v] of sp.entries()) if (k.startsWith(CF_PREFIX) && v !== '') f[k] = v;
  return f;
}

export function sortFrom(sp: URLSearchParams): SortKey {
  const s = sp.get('sort');
  return (SORT_KEYS as readonly string[]).includes(s ?? '') ? (s as SortKey) : 'created_desc';
}

/** Returns a copy of `sp` with `key` set (or removed when empty). */
export function withParam(sp: URLSearchParams, key: string, value: string | string[] | null): URLSearchParams {
  const next = new URLSearchParams(sp);
  next.delete(key);
  if (Array.isArray(value)) for (const v of value) next.append(key, v);
  else if (value) next.set(key, value);
  return next;
}

/** The list's filters as a mail run's `filter` (the same query, without sort and paging). */
export function runFilterFromParams(sp: URLSearchParams): RunFilter {
  const { sort: _sort, ...rest } = filtersFromParams(sp);
  return rest as RunFilter;
}
