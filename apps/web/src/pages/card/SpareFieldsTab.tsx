import { useEffect } from 'react';
import { Loader, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Customer } from '@kesher/contracts';
import { useCustomFields } from '../../api/admin';
import { useUpdateCustomer } from '../../api/customers';
import { CustomFieldsGrid } from '../../components/CustomFieldInput';
import { useSaveFeedback } from '../../components/Notifier';
import { useFormState } from '../../lib/form';
import { customBody, type CustomValue } from '../../lib/customerForm';
import { Form, FormActions } from '../../components/Form';

/** Spare fields: the administrator's custom fields, by their definitions. */
export function SpareFieldsTab({ customer }: { customer: Customer }) {
  const { t } = useTranslation();
  const defs = useCustomFields();
  const update = useUpdateCustomer(customer.id);
  const form = useFormState<{ custom: Record<string, CustomValue> }>({ custom: { ...customer.custom } });
  const items = defs.data?.items ?? [];
  const feedback = useSaveFeedback({ known: items.map((d) => `custom.${d.key}`), setErrors: form.setErrors });
  const { reset } = form;
  useEffect(() => reset({ custom: { ...customer.custom } }), [customer.updatedAt, reset]); // only when the server sends a fresh copy

  if (defs.isLoading) return <Loader aria-label={t('app.loading')} />;
  if (items.length === 0) return <Text c="dimmed">{t('spare.empty')}</Text>;

  const save = (e: React.FormEvent) => {
    e.preventDefault();
    update.mutate({ custom: customBody(form.values.custom, true) }, feedback);
  };

  return (
    <Form onSubmit={save}>
      <CustomFieldsGrid
        defs={items}
        values={form.values.custom}
        onChange={(key, v) => {
          form.set('custom', { ...form.values.custom, [key]: v });
          form.setErrors((errs) => {
            const { [`custom.${key}`]: _gone, ...rest } = errs;
            return rest;
          });
        }}
        errors={form.errors}
      />
      <FormActions saving={update.isPending} />
    </Form>
  );
}
