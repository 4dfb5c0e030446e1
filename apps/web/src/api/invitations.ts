import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { BulkEmailBody, InvitationBody, MailListUpload, RunList, RunPreview, RunState, RunStatus } from '@kesher/contracts';
import { api, apiUrl } from './client';

/**
 * Invitation runs ("invite customers to the website": passwords + Invite_to_Website_Email) and
 * bulk emails (any template, filed on the cards, no passwords): the same list, preview, run and
 * report, under two collections.
 */
export type RunKind = 'invitations' | 'bulk-emails';
export type RunBody = InvitationBody | BulkEmailBody;

export const runKeys = {
  all: ['runs'] as const,
  list: (kind: RunKind) => ['runs', kind] as const,
  run: (kind: RunKind, id: string) => ['runs', kind, id] as const,
  preview: (kind: RunKind, body: RunBody) => ['runs', kind, 'preview', body] as const,
};

/** A run has stopped moving: done, or failed as a whole. */
export const isFinished = (state: RunState | undefined) => state === 'done' || state === 'failed';

/** What a run on this list would do (nothing is written). */
export const useRunPreview = (kind: RunKind, body: RunBody | null) =>
  useQuery({
    queryKey: runKeys.preview(kind, body ?? {}),
    queryFn: () => api.post<RunPreview>(`/${kind}/preview`, body),
    enabled: !!body,
    staleTime: 0,
    gcTime: 0,
    retry: false,
  });

export function useStartRun(kind: RunKind) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: RunBody) => api.post<{ id: string }>(`/${kind}`, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: runKeys.list(kind) }),
  });
}

/** A run's progress, asked again every second until it has finished. */
export const useRun = (kind: RunKind, id: string | null) =>
  useQuery({
    queryKey: runKeys.run(kind, id ?? ''),
    queryFn: ({ signal }) => api.get<RunStatus>(`/${kind}/${id}`, undefined, signal),
    enabled: !!id,
    staleTime: 0,
    refetchInterval: (q) => (isFinished(q.state.data?.state) ? false : 1000),
  });

export const useRuns = (kind: RunKind) =>
  useQuery({
    queryKey: runKeys.list(kind),
    queryFn: ({ signal }) => api.get<RunList>(`/${kind}`, undefined, signal),
    placeholderData: keepPreviousData,
    // Keep the list moving while a run on it is.
    refetchInterval: (q) => (q.state.data?.items.some((r) => !isFinished(r.state)) ? 2000 : false),
  });

/** The per-customer report (sent / failed / skipped + reason) as an .xlsx download. */
export const reportUrl = (kind: RunKind, id: string) => apiUrl(`/${kind}/${id}/report.xlsx`);

/** An uploaded .xlsx list matched to customers (by customer number, email or ID number). */
export const useUploadMailList = () => useMutation({ mutationFn: (file: File) => api.upload<MailListUpload>('/mail-lists/xlsx', file) });
