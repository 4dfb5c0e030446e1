import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ImportMapping, ImportPolicy, ImportPreview, ImportRowAction, ImportState, ImportStatus, ImportUndone } from '@kesher/contracts';
import { api, apiUrl, request } from './client';

/** Excel / CSV import: preview (nothing written), start (a background job), progress, report, undo, saved mappings. */
export const importKeys = {
  all: ['imports'] as const,
  one: (id: string) => ['imports', id] as const,
};

export const isImportFinished = (state: ImportState | undefined) => state === 'done' || state === 'failed' || state === 'undone';

function form(file: File, fields: Record<string, string | undefined>): FormData {
  const data = new FormData();
  // Text fields first, the file last (the server stores the file as it streams in).
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) data.append(k, v);
  data.append('file', file, file.name);
  return data;
}

export interface PreviewArgs {
  file: File;
  mapping?: ImportMapping;
  policy?: ImportPolicy;
}

export const useImportPreview = () =>
  useMutation({
    mutationFn: ({ file, mapping, policy }: PreviewArgs) =>
      request<ImportPreview>('POST', '/imports/preview', { form: form(file, { mapping: mapping && JSON.stringify(mapping), policy }) }),
  });

export interface StartArgs {
  file: File;
  policy: ImportPolicy;
  mapping: ImportMapping;
  overrides: Record<string, ImportRowAction>;
}

export function useStartImport() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ file, policy, mapping, overrides }: StartArgs) =>
      request<{ id: string }>('POST', '/imports', {
        form: form(file, { policy, mapping: JSON.stringify(mapping), overrides: Object.keys(overrides).length ? JSON.stringify(overrides) : undefined }),
      }),
    onSuccess: () => qc.invalidateQueries({ queryKey: importKeys.all }),
  });
}

export const useSaveImportMapping = () =>
  useMutation({ mutationFn: (body: { headers: string[]; mapping: ImportMapping }) => api.put<void>('/imports/mappings', body) });

/** An import's progress, asked again every second until it has finished. */
export const useImport = (id: string | null) =>
  useQuery({
    queryKey: importKeys.one(id ?? ''),
    queryFn: ({ signal }) => api.get<ImportStatus>(`/imports/${id}`, undefined, signal),
    enabled: !!id,
    staleTime: 0,
    refetchInterval: (q) => (isImportFinished(q.state.data?.state) ? false : 1000),
  });

export function useUndoImport() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.post<ImportUndone>(`/imports/${id}/undo`),
    onSuccess: (_r, id) => qc.invalidateQueries({ queryKey: importKeys.one(id) }),
  });
}

/** The per-row report as an .xlsx download. */
export const importReportUrl = (id: string) => apiUrl(`/imports/${id}/report.xlsx`);
