import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  Customer,
  CustomerCount,
  CustomerCreate,
  CustomerPage,
  CustomerPatch,
  CustomerSummary,
  StatusMoves,
} from '@kesher/contracts';
import { api, type ListResponse, type QueryValue } from './client';

/** List filters as sent to the server (`cf.<key>` for custom fields). */
export type CustomerFilters = Record<string, QueryValue>;

export const customerKeys = {
  all: ['customers'] as const,
  list: (f: CustomerFilters) => ['customers', 'list', f] as const,
  count: (f: CustomerFilters) => ['customers', 'count', f] as const,
  card: (id: string) => ['customer', id] as const,
  moves: (id: string) => ['customer', id, 'status-moves'] as const,
  children: (id: string) => ['customer', id, 'children'] as const,
};

export function useCustomerList(filters: CustomerFilters, limit = 50) {
  return useInfiniteQuery({
    queryKey: customerKeys.list(filters),
    queryFn: ({ pageParam, signal }) =>
      api.get<CustomerPage>('/customers', { ...filters, limit, cursor: pageParam ?? undefined }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  });
}

/** The total, fetched on its own so a slow count never holds the list back. */
export function useCustomerCount(filters: CustomerFilters) {
  const { sort: _sort, ...countFilters } = filters;
  return useQuery({
    queryKey: customerKeys.count(countFilters),
    queryFn: ({ signal }) => api.get<CustomerCount>('/customers/count', countFilters, signal),
    placeholderData: keepPreviousData,
  });
}

/** A short search for pickers (parent customer). */
export function useCustomerSearch(q: string) {
  return useQuery({
    queryKey: ['customers', 'search', q],
    queryFn: ({ signal }) => api.get<CustomerPage>('/customers', { q, limit: 20 }, signal),
    enabled: q.trim().length > 0,
  });
}

export function useCustomer(id: string | null | undefined) {
  return useQuery({
    queryKey: customerKeys.card(id ?? ''),
    queryFn: ({ signal }) => api.get<Customer>(`/customers/${id}`, undefined, signal),
    enabled: !!id,
  });
}

export function useStatusMoves(id: string) {
  return useQuery({
    queryKey: customerKeys.moves(id),
    queryFn: ({ signal }) => api.get<StatusMoves>(`/customers/${id}/status-moves`, undefined, signal),
  });
}

export function useChildren(id: string) {
  return useQuery({
    queryKey: customerKeys.children(id),
    queryFn: ({ signal }) => api.get<ListResponse<CustomerSummary>>(`/customers/${id}/children`, undefined, signal),
  });
}

/** Refreshes everything shown about a customer (card, its status moves, lists it appears in). */
export function useRefreshCustomer() {
  const qc = useQueryClient();
  return (id: string) =>
    Promise.all([
      qc.invalidateQueries({ queryKey: ['customer', id] }),
      qc.invalidateQueries({ queryKey: customerKeys.all }),
    ]);
}

export function useCreateCustomer() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ body, force }: { body: CustomerCreate; force?: boolean }) =>
      api.post<Customer>('/customers', body, force ? { force: 'true' } : undefined),
    onSuccess: (c) => {
      qc.setQueryData(customerKeys.card(c.id), c);
      void qc.invalidateQueries({ queryKey: customerKeys.all });
    },
  });
}

export function useCompleteCustomer() {
  const refresh = useRefreshCustomer();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: CustomerCreate }) => api.post<Customer>(`/customers/${id}/complete`, body),
    onSuccess: (c) => refresh(c.id),
  });
}

export function useUpdateCustomer(id: string) {
  const qc = useQueryClient();
  const refresh = useRefreshCustomer();
  return useMutation({
    mutationFn: (body: CustomerPatch) => api.patch<Customer>(`/customers/${id}`, body),
    onSuccess: async (c) => {
      qc.setQueryData(customerKeys.card(id), c);
      await refresh(id);
    },
  });
}

export function useDeleteCustomer(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => api.del(`/customers/${id}`),
    onSuccess: () => {
      qc.removeQueries({ queryKey: ['customer', id] });
      void qc.invalidateQueries({ queryKey: customerKeys.all });
    },
  });
}
