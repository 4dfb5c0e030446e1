import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Broker, BrokerCustomers } from '@kesher/contracts';
import { api } from './client';

export const brokerKeys = { all: ['brokers'] as const, ofCard: (customerId: string) => ['customer', customerId, 'broker'] as const };

export const useBrokers = () => useQuery({ queryKey: brokerKeys.all, queryFn: ({ signal }) => api.get<{ items: Broker[] }>('/brokers', undefined, signal) });

/** When the card is a broker's own card: the broker and the customers it brought. */
export const useBrokerOfCard = (customerId: string) =>
  useQuery({ queryKey: brokerKeys.ofCard(customerId), queryFn: ({ signal }) => api.get<BrokerCustomers | null>(`/customers/${customerId}/broker`, undefined, signal) });

export function useSaveBroker() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id?: string; body: unknown }) => (id ? api.patch<Broker>(`/brokers/${id}`, body) : api.post<Broker>('/brokers', body)),
    onSuccess: () => qc.invalidateQueries({ queryKey: brokerKeys.all }),
  });
}
