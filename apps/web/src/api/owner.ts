import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Database, Session } from '@kesher/contracts';
import { api, type ListResponse } from './client';
import { sessionKey } from './session';

export const ownerKeys = { databases: ['databases'] as const };

/** Every database of the server (owner only). */
export const useDatabases = () =>
  useQuery({ queryKey: ownerKeys.databases, queryFn: ({ signal }) => api.get<ListResponse<Database>>('/databases', undefined, signal) });

export function useCreateDatabase() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; adminEmail: string; language: 'he' | 'en' }) =>
      api.post<Database & { admin: 'created' | 'invited' }>('/databases', body),
    onSuccess: () => qc.invalidateQueries({ queryKey: ownerKeys.databases }),
  });
}

export interface InvitationPreview {
  tenantId: string;
  tenantName: string;
  role: 'admin' | 'staff';
  email: string;
  hasAccount: boolean;
}

export const useInvitationPreview = (token: string) =>
  useQuery({
    queryKey: ['membership-invitation', token],
    queryFn: () => api.post<InvitationPreview>('/membership-invitations/preview', { token }),
    enabled: token.length > 0,
    staleTime: Infinity,
  });

/** Accepting (a logged-in account) or registering (a new email): either way the session is refreshed. */
export function useAcceptInvitation() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { token: string; name?: string; password?: string; language?: 'he' | 'en' }) =>
      body.password !== undefined
        ? api.post<Session>('/membership-invitations/register', body)
        : api.post<Session>('/membership-invitations/accept', { token: body.token }),
    onSuccess: (session) => qc.setQueryData(sessionKey, session),
  });
}
