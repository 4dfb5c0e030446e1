import type { FormEvent, ReactNode } from 'react';
import { Modal, type ModalProps } from '@mantine/core';
import { Form, FormActions } from './Form';

/** A form in a dialog, with Cancel and Save at its foot. */
export function FormModal({
  title,
  size,
  onClose,
  onSubmit,
  saving,
  children,
}: Pick<ModalProps, 'title' | 'size' | 'onClose'> & { onSubmit: (e: FormEvent) => void; saving: boolean; children: ReactNode }) {
  return (
    <Modal opened onClose={onClose} title={title} size={size}>
      <Form onSubmit={onSubmit}>
        {children}
        <FormActions saving={saving} onCancel={onClose} />
      </Form>
    </Modal>
  );
}
