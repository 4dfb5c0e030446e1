import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import type { InteractionCreate, InteractionPage } from '@kesher/contracts';
import { api } from './client';
import { useRefreshCustomer } from './customers';

export const interactionsKey = (customerId: string) => ['customer', customerId, 'interactions'] as const;

/** The card's timeline, newest first, a page at a time. */
export function useInteractions(customerId: string) {
  return useInfiniteQuery({
    queryKey: interactionsKey(customerId),
    queryFn: ({ pageParam, signal }) =>
      api.get<InteractionPage>(`/customers/${customerId}/interactions`, { cursor: pageParam ?? undefined }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

/** Logging may move the status (e.g. an unanswered call → in follow-up), so the whole card is refreshed. */
export function useLogInteraction(customerId: string) {
  const refresh = useRefreshCustomer();
  return useMutation({
    mutationFn: (body: InteractionCreate) => api.post<unknown>(`/customers/${customerId}/interactions`, body),
    onSuccess: () => refresh(customerId),
  });
}
