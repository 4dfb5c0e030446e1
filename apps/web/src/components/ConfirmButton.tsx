import { useState, type ReactNode } from 'react';
import { Button, Group, Modal, Text, type ButtonProps } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** A destructive action that asks first; the dialog's button says "Delete" unless `confirmLabel` names the action. */
export function ConfirmButton({
  children,
  onConfirm,
  loading,
  text,
  title,
  confirmLabel,
  ...buttonProps
}: ButtonProps & { children: ReactNode; onConfirm: () => void | Promise<unknown>; text?: string; title?: string; confirmLabel?: string }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button color="red" variant="light" {...buttonProps} onClick={() => setOpen(true)}>
        {children}
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={title ?? t('app.confirmTitle')} centered>
        <Text mb="md">{text ?? t('app.confirmText')}</Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={() => setOpen(false)}>
            {t('app.cancel')}
          </Button>
          <Button
            color="red"
            loading={loading}
            onClick={async () => {
              try {
                await onConfirm();
              } finally {
                setOpen(false);
              }
            }}
          >
            {confirmLabel ?? t('app.delete')}
          </Button>
        </Group>
      </Modal>
    </>
  );
}
