import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { PortalAccess } from '@kesher/contracts';
import { api } from './client';
import { runKeys } from './invitations';

export const portalKeys = { access: (customerId: string) => ['customer', customerId, 'portal-access'] as const };

/** Whether the customer has a generated or an own website password (never the password). */
export const usePortalAccess = (customerId: string) =>
  useQuery({
    queryKey: portalKeys.access(customerId),
    queryFn: ({ signal }) => api.get<PortalAccess>(`/customers/${customerId}/portal-access`, undefined, signal),
  });

/**
 * "Reset and resend": a new generated password and a one-customer invitation run that emails it
 * (refused, with nothing reset, when the customer cannot be reached). Answers the run's id.
 */
export function useResetAndResend(customerId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<{ id: string }>(`/customers/${customerId}/portal-password/resend`),
    onSuccess: () =>
      Promise.all([qc.invalidateQueries({ queryKey: portalKeys.access(customerId) }), qc.invalidateQueries({ queryKey: runKeys.list('invitations') })]),
  });
}
