import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Contact, ContactFields } from '@kesher/contracts';
import { api, type ListResponse } from './client';

export const contactsKey = (customerId: string) => ['customer', customerId, 'contacts'] as const;

export function useContacts(customerId: string) {
  return useQuery({
    queryKey: contactsKey(customerId),
    queryFn: ({ signal }) => api.get<ListResponse<Contact>>(`/customers/${customerId}/contacts`, undefined, signal),
  });
}

export function useSaveContact(customerId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id?: string; body: ContactFields }) =>
      id
        ? api.patch<Contact>(`/customers/${customerId}/contacts/${id}`, body)
        : api.post<Contact>(`/customers/${customerId}/contacts`, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: contactsKey(customerId) }),
  });
}

export function useDeleteContact(customerId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.del(`/customers/${customerId}/contacts/${id}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: contactsKey(customerId) }),
  });
}
