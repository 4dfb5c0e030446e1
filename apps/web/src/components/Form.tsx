import type { FormEvent, ReactNode } from 'react';
import { Button, Group, Stack, type StackProps } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** A <form> laid out as a Stack. The browser's own validation is off: the server's messages are shown instead. */
export function Form({ onSubmit, children, ...stack }: StackProps & { onSubmit: (e: FormEvent<HTMLFormElement>) => void; children: ReactNode }) {
  return (
    <form onSubmit={onSubmit} noValidate>
      <Stack {...stack}>{children}</Stack>
    </form>
  );
}

/** A form's Save button; with `onCancel` (a dialog's form), Cancel before it and both at the end side. */
export function FormActions({ saving, onCancel }: { saving: boolean; onCancel?: () => void }) {
  const { t } = useTranslation();
  return (
    <Group justify={onCancel ? 'flex-end' : undefined}>
      {onCancel && (
        <Button variant="default" onClick={onCancel}>
          {t('app.cancel')}
        </Button>
      )}
      <Button type="submit" loading={saving}>
        {t('app.save')}
      </Button>
    </Group>
  );
}
