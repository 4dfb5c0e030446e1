import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';
import { Notification, Portal, Stack } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { isApiError } from '../api/client';
import { fieldKey } from '../lib/form';

interface Note {
  id: number;
  kind: 'success' | 'error';
  title?: string;
  message: string;
}
type Notify = (note: Omit<Note, 'id'>) => void;

const NotifyContext = createContext<Notify>(() => {});

/** Small toast area (bottom, at the end side of the reading direction). */
export function NotifierProvider({ children }: { children: ReactNode }) {
  const [notes, setNotes] = useState<Note[]>([]);
  const nextId = useRef(1);
  const { t } = useTranslation();

  const dismiss = useCallback((id: number) => setNotes((n) => n.filter((x) => x.id !== id)), []);
  const notify = useCallback<Notify>(
    (note) => {
      const id = nextId.current++;
      setNotes((n) => [...n.slice(-3), { ...note, id }]);
      window.setTimeout(() => dismiss(id), note.kind === 'error' ? 10_000 : 4_000);
    },
    [dismiss],
  );

  return (
    <NotifyContext.Provider value={notify}>
      {children}
      <Portal>
        <Stack gap="xs" style={{ position: 'fixed', bottom: 16, insetInlineEnd: 16, zIndex: 1000, width: 380, maxWidth: '90vw' }}>
          {notes.map((n) => (
            <Notification
              key={n.id}
              color={n.kind === 'error' ? 'red' : 'teal'}
              title={n.title ?? (n.kind === 'error' ? t('app.errorTitle') : undefined)}
              role={n.kind === 'error' ? 'alert' : 'status'}
              onClose={() => dismiss(n.id)}
              closeButtonProps={{ 'aria-label': t('app.close') }}
              withBorder
            >
              {n.message}
            </Notification>
          ))}
        </Stack>
      </Portal>
    </NotifyContext.Provider>
  );
}

export function useNotify() {
  const notify = useContext(NotifyContext);
  return useMemo(
    () => ({
      success: (message: string) => notify({ kind: 'success', message }),
      error: (message: string) => notify({ kind: 'error', message }),
    }),
    [notify],
  );
}

export type FieldErrors = Record<string, string>;

/** After the errors render, bring the first field in error into view and focus it. */
function focusFirstInvalid(): void {
  requestAnimationFrame(() => {
    const el = document.querySelector<HTMLElement>('[aria-invalid="true"]');
    el?.scrollIntoView({ block: 'center' });
    el?.focus({ preventScroll: true });
  });
}

/**
 * Shows an API error the way a user expects: each `fields[]` entry next to its form field
 * (when the form has that field), and the server's message as a notification otherwise.
 */
export function useReportError() {
  const { t } = useTranslation();
  const { error } = useNotify();
  return useCallback(
    (err: unknown, form?: { known: readonly string[]; setErrors: (e: FieldErrors) => void }) => {
      if (!isApiError(err)) {
        error(err instanceof Error && err.message ? err.message : t('app.unexpectedError'));
        return;
      }
      const inline: FieldErrors = {};
      const leftover: string[] = [];
      for (const f of err.fields) {
        const key = fieldKey(f.path);
        if (form?.known.includes(key)) inline[key] ??= f.message;
        else leftover.push(f.message);
      }
      if (form) {
        form.setErrors(inline);
        if (Object.keys(inline).length > 0) focusFirstInvalid();
      }
      if (Object.keys(inline).length === 0 || leftover.length > 0) {
        error(leftover.length > 0 && Object.keys(inline).length > 0 ? leftover.join(' · ') : [err.message, ...leftover].join(' · '));
      }
    },
    [error, t],
  );
}

/**
 * A save's outcome, as mutation callbacks: "Saved" and then `after` (e.g. close the dialog),
 * or the server's errors shown at the form's fields.
 */
export function useSaveFeedback(form: { known: readonly string[]; setErrors: (e: FieldErrors) => void }, after?: () => void) {
  const { t } = useTranslation();
  const notify = useNotify();
  const report = useReportError();
  return {
    onSuccess: () => {
      notify.success(t('app.saved'));
      after?.();
    },
    onError: (err: unknown) => report(err, form),
  };
}
