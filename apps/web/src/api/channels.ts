import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Channel, ChannelCreate, ChannelPatch, ReplayResult, SubmissionOutcome, SubmissionPage } from '@kesher/contracts';
import { api, apiUrl, type ListResponse } from './client';

/** Web Data Port: channels (admins), their submission log and replay. */
export const channelKeys = {
  all: ['channels'] as const,
  one: (id: string) => ['channels', id] as const,
  log: (id: string, outcome: SubmissionOutcome | null) => ['channels', id, 'submissions', outcome ?? 'all'] as const,
};

export const useChannels = () =>
  useQuery({ queryKey: channelKeys.all, queryFn: ({ signal }) => api.get<ListResponse<Channel>>('/channels', undefined, signal) });

export const useChannel = (id: string) =>
  useQuery({ queryKey: channelKeys.one(id), queryFn: ({ signal }) => api.get<Channel>(`/channels/${id}`, undefined, signal) });

export function useSaveChannel() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id?: string; body: ChannelCreate | ChannelPatch }) =>
      id ? api.patch<Channel>(`/channels/${id}`, body) : api.post<Channel>('/channels', body),
    onSuccess: () => qc.invalidateQueries({ queryKey: channelKeys.all }),
  });
}

export function useRenewToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.post<Channel>(`/channels/${id}/token`),
    onSuccess: () => qc.invalidateQueries({ queryKey: channelKeys.all }),
  });
}

export function useDeleteChannel() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.del(`/channels/${id}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: channelKeys.all }),
  });
}

export const useSubmissions = (id: string, outcome: SubmissionOutcome | null) =>
  useInfiniteQuery({
    queryKey: channelKeys.log(id, outcome),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) => api.get<SubmissionPage>(`/channels/${id}/submissions`, { outcome, cursor: pageParam, limit: 25 }, signal),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });

export function useReplay(channelId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (submissionId: string) => api.post<ReplayResult>(`/channels/${channelId}/submissions/${submissionId}/replay`),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['channels', channelId] }),
  });
}

export const submissionFileUrl = (channelId: string, submissionId: string, fileId: string) =>
  apiUrl(`/channels/${channelId}/submissions/${submissionId}/files/${fileId}`);
