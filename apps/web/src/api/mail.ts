import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  Language,
  Mailbox,
  MailboxCreate,
  MailboxList,
  MailboxPatch,
  MailSent,
  MailSuppression,
  MailTemplate,
  MergeField,
  TemplatePreview,
  TemplatePreviewBody,
  TemplateSave,
  TemplateTestBody,
} from '@kesher/contracts';
import { api, request, type ListResponse } from './client';

export const mailKeys = {
  mailboxes: ['mailboxes'] as const,
  templates: ['templates'] as const,
  template: (key: string, language: Language) => ['templates', key, language] as const,
  fields: ['templates', 'fields'] as const,
  suppressions: (q: string) => ['mail-suppressions', q] as const,
};

// ---- mailboxes ----

export const useMailboxes = () =>
  useQuery({ queryKey: mailKeys.mailboxes, queryFn: ({ signal }) => api.get<MailboxList>('/mailboxes', undefined, signal) });

export function useSaveMailbox() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id?: string; body: MailboxCreate | MailboxPatch }) =>
      id ? api.patch<Mailbox>(`/mailboxes/${id}`, body) : api.post<Mailbox>('/mailboxes', body),
    onSuccess: () => qc.invalidateQueries({ queryKey: mailKeys.mailboxes }),
  });
}

export function useDeleteMailbox() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.del(`/mailboxes/${id}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: mailKeys.mailboxes }),
  });
}

/** "Send test email" through a mailbox (`null`: the server default) to the signed-in user. */
export const useTestMailbox = () =>
  useMutation({ mutationFn: (id: string | null) => api.post<MailSent>(id ? `/mailboxes/${id}/test` : '/mailboxes/server/test') });

// ---- templates ----

export const useTemplates = () =>
  useQuery({ queryKey: mailKeys.templates, queryFn: ({ signal }) => api.get<ListResponse<MailTemplate>>('/templates', undefined, signal) });

export const useMergeFields = () =>
  useQuery({
    queryKey: mailKeys.fields,
    queryFn: ({ signal }) => api.get<ListResponse<MergeField>>('/templates/fields', undefined, signal),
    staleTime: 5 * 60_000,
  });

/** One template; a key with no saved or built-in version answers 404 (a new template). */
export const useTemplate = (key: string | null, language: Language) =>
  useQuery({
    queryKey: mailKeys.template(key ?? '', language),
    queryFn: ({ signal }) => api.get<MailTemplate>(`/templates/${encodeURIComponent(key ?? '')}/${language}`, undefined, signal),
    enabled: !!key,
    staleTime: 0,
  });

export function useSaveTemplate() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ key, language, body }: { key: string; language: Language; body: TemplateSave }) =>
      api.put<MailTemplate>(`/templates/${encodeURIComponent(key)}/${language}`, body),
    onSuccess: (saved) => {
      qc.setQueryData(mailKeys.template(saved.key, saved.language), saved);
      void qc.invalidateQueries({ queryKey: mailKeys.templates, exact: true });
    },
  });
}

export function useDeleteTemplate() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ key, language }: { key: string; language: Language }) => api.del(`/templates/${encodeURIComponent(key)}/${language}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: mailKeys.templates }),
  });
}

/** The live preview: the draft rendered against a customer (debounced by the caller). */
export const useTemplatePreview = (body: TemplatePreviewBody | null) =>
  useQuery({
    queryKey: ['templates', 'preview', body],
    queryFn: ({ signal }) => request<TemplatePreview>('POST', '/templates/preview', { body, signal }),
    enabled: !!body,
    placeholderData: keepPreviousData,
    retry: false,
    staleTime: 60_000,
  });

export const useSendTemplateTest = () => useMutation({ mutationFn: (body: TemplateTestBody) => api.post<MailSent>('/templates/test', body) });

// ---- suppression list ----

export const useSuppressions = (q: string) =>
  useQuery({
    queryKey: mailKeys.suppressions(q),
    queryFn: ({ signal }) => api.get<ListResponse<MailSuppression>>('/mail-suppressions', { q, limit: 500 }, signal),
    placeholderData: keepPreviousData,
  });

export function useRemoveSuppression() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (email: string) => api.del(`/mail-suppressions/${encodeURIComponent(email)}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['mail-suppressions'] }),
  });
}
