import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Branch, CustomFieldDefinition, Tenant, User } from '@kesher/contracts';
import { api, type ListResponse } from './client';
import { sessionKey } from './session';

export const adminKeys = {
  branches: ['branches'] as const,
  users: ['users'] as const,
  customFields: ['custom-fields'] as const,
  tenant: ['tenant'] as const,
};

const list = <T>(path: string) => ({ signal }: { signal: AbortSignal }) => api.get<ListResponse<T>>(path, undefined, signal);

export const useBranches = () =>
  useQuery({ queryKey: adminKeys.branches, queryFn: list<Branch>('/branches'), staleTime: 60_000 });
export const useUsers = () => useQuery({ queryKey: adminKeys.users, queryFn: list<User>('/users') });
export const useCustomFields = () =>
  useQuery({ queryKey: adminKeys.customFields, queryFn: list<CustomFieldDefinition>('/custom-fields'), staleTime: 60_000 });
export const useTenant = () =>
  useQuery({ queryKey: adminKeys.tenant, queryFn: ({ signal }) => api.get<Tenant>('/tenant', undefined, signal) });

/** Create (no id) or update (id) on a collection endpoint, then refresh the collection. */
function useSave<T>(path: string, key: readonly string[]) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id?: string; body: unknown }) =>
      id ? api.patch<T>(`${path}/${id}`, body) : api.post<T>(path, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: key }),
  });
}

export const useSaveBranch = () => useSave<Branch>('/branches', adminKeys.branches);
export const useSaveUser = () => useSave<User>('/users', adminKeys.users);
/** Lifts the lockout after five failed logins. */
export const useUnlockUser = () => useMutation({ mutationFn: (id: string) => api.post<void>(`/users/${id}/unlock`) });
export const useSaveCustomField = () => useSave<CustomFieldDefinition>('/custom-fields', adminKeys.customFields);

export function useDeleteCustomField() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.del(`/custom-fields/${id}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: adminKeys.customFields }),
  });
}

export function useSaveTenant() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Partial<Omit<Tenant, 'id'>>) => api.patch<Tenant>('/tenant', body),
    onSuccess: (tenant) => {
      qc.setQueryData(adminKeys.tenant, tenant);
      void qc.invalidateQueries({ queryKey: sessionKey });
    },
  });
}
